"""`sagelab cost`: what the running SageMaker compute costs per hour and in 30 days, and what was spent.

Every running notebook instance, Studio app and endpoint of the region, each marked whether it is sagelab's
(tagged ManagedBy=sagelab; a Studio app counts as sagelab's when it, its user profile or its domain carries
the tag; Owner and Project come from the first of those that has them), grouped by Owner and Project.
Hourly on-demand prices come from the AWS Price List API (real AWS) or, when it cannot be reached or answers
nothing usable, from the dated price table shipped in data/sagemaker_prices.yml; the report names the
source and its date. The 30-day projection of a notebook instance follows the stop (and start) schedules
sagelab set for it (playbooks' cost_controls role), and says so; anything else is projected as left running.
What was actually spent, month to date and last month, by Owner and Project, comes from Cost Explorer
(GetCostAndUsage grouped by the cost tags).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sagelab.names import schedule_name
from sagelab.target import AwsTarget

TABLE = Path("data") / "sagemaker_prices.yml"  # relative to the project home
HOURS_PROJECTED = 720  # 30 days
KINDS = {"notebook_instance": "notebook instance", "studio_app": "Studio app", "endpoint": "endpoint"}
RUNNING = ("Pending", "InService")  # billed from creation (start) on
ENDPOINT_BILLED = ("Creating", "InService", "Updating", "SystemUpdating", "RollingBack")
FREE_INSTANCE_TYPES = ("system",)  # Studio's system instance (JupyterServer / default apps) is not billed
PRICING_REGION = "us-east-1"  # the Price List API's endpoint
# How a SageMaker product of the Price List is told apart: words in its usage type or component.
PRICE_LIST_MARKERS = {"notebook_instance": ("notebk", "notebook"), "studio_app": ("studio",),
                      "endpoint": ("host",)}
# The group of the schedules the cost_controls role gives a notebook instance (their names: sagelab.names).
SCHEDULE_GROUP = "default"
ASSUMED_START = 8.0  # without a morning start schedule: assumed started at 08:00 on weekdays
WEEKDAYS_IN_30 = Decimal(30 * 5) / 7  # weekdays in 30 days (21.43)
WEEKDAY_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \? \* MON-FRI \*\)$")


class CostError(ValueError):
    """Bad input (a price table that lacks a type, a region, or cannot be read): nothing is reported."""


def session(target: AwsTarget) -> Any:
    """A boto3 session for the target: the profile's credentials, or the sandbox's."""
    import boto3

    if target.kind == "sandbox":
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                             region_name=target.region)
    return boto3.Session(profile_name=target.profile, region_name=target.region)


def client(target: AwsTarget, service: str = "sagemaker") -> Any:
    return session(target).client(service, endpoint_url=target.endpoint_url or None)


# --- what runs ------------------------------------------------------------------------------------------

@dataclass
class Resource:
    kind: str  # a key of KINDS
    name: str
    owner: str
    project: str
    instance_type: str
    status: str
    sagelab: bool = True  # tagged ManagedBy=sagelab (else: found running, not made by sagelab)
    count: int = 1  # instances (an endpoint's variants may run several)
    hours: Decimal = Decimal(HOURS_PROJECTED)  # billed hours in 30 days
    basis: str = "left running"  # why those hours
    hourly: Decimal = Decimal(0)


def _tags(sm: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in sm.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    return tags


def _first(key: str, *tag_sets: dict[str, str]) -> str:
    return next((tags[key] for tags in tag_sets if tags.get(key)), "-")


def running_resources(sm: Any, tag: tuple[str, str] = ("ManagedBy", "sagelab")) -> list[Resource]:
    """Notebook instances and Studio apps that run (Pending or InService) and billed endpoints, each marked
    whether it is sagelab's."""
    key, value = tag
    found: list[Resource] = []
    for status in RUNNING:
        for page in sm.get_paginator("list_notebook_instances").paginate(StatusEquals=status):
            for notebook in page.get("NotebookInstances", []):
                tags = _tags(sm, notebook["NotebookInstanceArn"])
                found.append(Resource("notebook_instance", notebook["NotebookInstanceName"],
                                      _first("Owner", tags), _first("Project", tags),
                                      notebook["InstanceType"], status, sagelab=tags.get(key) == value))
    profile_tags: dict[tuple[str, str], dict[str, str]] = {}
    domains = [d for page in sm.get_paginator("list_domains").paginate() for d in page.get("Domains", [])]
    for domain in domains:
        domain_id = domain["DomainId"]
        domain_tags = _tags(sm, domain["DomainArn"])
        apps = [a for page in sm.get_paginator("list_apps").paginate(DomainIdEquals=domain_id)
                for a in page.get("Apps", [])]
        for app in apps:
            if app.get("Status") not in RUNNING:
                continue
            owner = {"UserProfileName": app["UserProfileName"]} if app.get("UserProfileName") \
                else {"SpaceName": app.get("SpaceName", "")}
            described = sm.describe_app(DomainId=domain_id, AppType=app["AppType"], AppName=app["AppName"],
                                        **owner)
            if app.get("UserProfileName"):
                cache_key = (domain_id, app["UserProfileName"])
                if cache_key not in profile_tags:
                    arn = sm.describe_user_profile(DomainId=domain_id,
                                                   UserProfileName=app["UserProfileName"])["UserProfileArn"]
                    profile_tags[cache_key] = _tags(sm, arn)
                parent = profile_tags[cache_key]
            else:
                parent = {}
            sets = (_tags(sm, described["AppArn"]), parent, domain_tags)
            instance_type = (described.get("ResourceSpec") or app.get("ResourceSpec") or {}).get(
                "InstanceType", "system")
            if instance_type in FREE_INSTANCE_TYPES:
                continue
            name = f"{domain['DomainName']}/{next(iter(owner.values()))}/{app['AppType']}/{app['AppName']}"
            found.append(Resource("studio_app", name, _first("Owner", *sets), _first("Project", *sets),
                                  instance_type, app["Status"],
                                  sagelab=any(tags.get(key) == value for tags in sets)))
    found += running_endpoints(sm, tag)
    return found


def running_endpoints(sm: Any, tag: tuple[str, str] = ("ManagedBy", "sagelab")) -> list[Resource]:
    """Endpoints that are billed (creating, in service, updating), one row per instance-backed variant:
    its instance type and count (serverless variants are billed per request, not per hour: left out)."""
    key, value = tag
    found: list[Resource] = []
    for page in sm.get_paginator("list_endpoints").paginate():
        for summary in page.get("Endpoints", []):
            if summary.get("EndpointStatus") not in ENDPOINT_BILLED:
                continue
            endpoint = sm.describe_endpoint(EndpointName=summary["EndpointName"])
            config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            current = {v.get("VariantName"): v for v in endpoint.get("ProductionVariants") or []}
            tags = _tags(sm, endpoint["EndpointArn"])
            for variant in config.get("ProductionVariants") or []:
                if not variant.get("InstanceType"):
                    continue
                count = current.get(variant.get("VariantName"), {}).get("CurrentInstanceCount")
                count = int(count if count is not None else variant.get("InitialInstanceCount") or 1)
                name = summary["EndpointName"] + (f"/{variant['VariantName']}" if len(
                    config["ProductionVariants"]) > 1 else "")
                found.append(Resource("endpoint", name, _first("Owner", tags), _first("Project", tags),
                                      variant["InstanceType"], summary["EndpointStatus"],
                                      sagelab=tags.get(key) == value, count=count))
    return found


# --- the schedules sagelab set ------------------------------------------------------------------------

def _weekday_hour(expression: str) -> float | None:
    """The time of day (hours) of a cron(M H ? * MON-FRI *) expression, else None."""
    found = WEEKDAY_CRON.match(expression or "")
    return int(found.group(2)) + int(found.group(1)) / 60 if found else None


def _schedule(scheduler: Any, name: str) -> dict[str, Any] | None:
    try:
        found = scheduler.get_schedule(Name=name, GroupName=SCHEDULE_GROUP)
    except scheduler.exceptions.ResourceNotFoundException:
        return None
    return found if found.get("State", "ENABLED") == "ENABLED" else None


def scheduled_hours(scheduler: Any, notebook: str) -> tuple[Decimal, str]:
    """Billed hours in 30 days of a notebook instance under the schedules sagelab set for it, and why.

    With a weeknight stop at H_stop it runs on weekdays from its start (its morning start schedule, else
    assumed 08:00) to H_stop, and not at the weekend (stopped on Friday night; a weekend stop catches a
    restart). Without a weeknight stop: left running (720 h). The idle auto-stop is not counted."""
    night = _schedule(scheduler, schedule_name(notebook, "weeknight_stop"))
    if night is None:
        return Decimal(HOURS_PROJECTED), "left running (no night stop schedule)"
    stop = _weekday_hour(night.get("ScheduleExpression", ""))
    if stop is None:
        expression = night.get("ScheduleExpression")
        return Decimal(HOURS_PROJECTED), f"left running (night stop {expression} not read)"
    morning = _schedule(scheduler, schedule_name(notebook, "morning_start"))
    start = _weekday_hour(morning.get("ScheduleExpression", "")) if morning else None
    started = f"started {_clock(start)} by its morning schedule" if start is not None \
        else f"assumed started {_clock(ASSUMED_START)} (no morning start schedule)"
    start = ASSUMED_START if start is None else start
    daily = Decimal(str(max(stop - start, 0)))
    zone = night.get("ScheduleExpressionTimezone", "UTC")
    weekend = "weekends stopped" + (" (weekend stop schedule)" if _schedule(
        scheduler, schedule_name(notebook, "weekend_stop")) else "")
    return (daily * WEEKDAYS_IN_30, f"weekdays {_clock(start)}-{_clock(stop)} {zone}, {started}, night stop "
            f"{night['ScheduleExpression']}, {weekend}")


def _clock(hours: float) -> str:
    return f"{int(hours):02d}:{round((hours % 1) * 60):02d}"


def apply_schedules(scheduler: Any, resources: list[Resource]) -> None:
    """Set each sagelab notebook instance's billed hours from its schedules."""
    for resource in resources:
        if resource.kind == "notebook_instance" and resource.sagelab:
            resource.hours, resource.basis = scheduled_hours(scheduler, resource.name)


# --- prices ---------------------------------------------------------------------------------------------

@dataclass
class Prices:
    source: str  # "price table" or "AWS Price List API"
    as_of: str
    currency: str
    indicative: bool
    reference: str  # the table's path, or the API
    prices: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    note: str = ""

    def price(self, kind: str, instance_type: str, region: str) -> Decimal:
        found = self.prices.get(kind, {}).get(instance_type)
        if found is None:
            raise CostError(f"instance type {instance_type} has no {KINDS[kind]} price in the price table "
                            f"{self.reference} (region {region}); add it under regions.{region}.{kind} "
                            f"(on-demand {self.currency} per hour)")
        return found


def load_table(path: Path, region: str) -> Prices:
    """The dated price table for region; CostError when it cannot be used."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CostError(f"the price table {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("regions"), dict) or not data.get("as_of"):
        raise CostError(f"the price table {path} is not a price table: it needs as_of, currency and regions")
    region_prices = data["regions"].get(region)
    if not isinstance(region_prices, dict):
        listed = ", ".join(sorted(data["regions"])) or "none"
        raise CostError(f"the price table {path} has no prices for region {region}; it has: {listed}")
    prices: dict[str, dict[str, Decimal]] = {}
    for kind in KINDS:
        try:
            prices[kind] = {str(t): Decimal(str(p)) for t, p in (region_prices.get(kind) or {}).items()}
        except ArithmeticError:
            raise CostError(f"the price table {path} has a price that is not a number under "
                            f"regions.{region}.{kind}") from None
    return Prices("price table", str(data["as_of"]), str(data.get("currency", "USD")),
                  bool(data.get("indicative", False)), str(path), prices)


def _on_demand_hourly(product: dict[str, Any]) -> Decimal | None:
    for term in (product.get("terms") or {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and dimension.get("unit", "").lower().startswith("hr"):
                return Decimal(usd)
    return None


def price_list(pricing: Any, region: str, wanted: set[tuple[str, str]]) -> Prices:
    """Hourly on-demand prices from the AWS Price List API (service AmazonSageMaker) for each
    (kind, instance type); raises CostError when an answer is missing or ambiguous."""
    prices: dict[str, dict[str, Decimal]] = {kind: {} for kind in KINDS}
    for kind, instance_type in sorted(wanted):
        filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                   {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type}]
        found: set[Decimal] = set()
        for page in pricing.get_paginator("get_products").paginate(ServiceCode="AmazonSageMaker",
                                                                   Filters=filters):
            for item in page.get("PriceList", []):
                product = json.loads(item) if isinstance(item, str) else item
                attributes = (product.get("product") or {}).get("attributes") or {}
                words = " ".join(str(attributes.get(k, "")) for k in ("usagetype", "component")).lower()
                price = _on_demand_hourly(product)
                if price and any(m in words for m in PRICE_LIST_MARKERS[kind]) and \
                        (kind == "studio_app" or "studio" not in words):
                    found.add(price)
        if len(found) != 1:
            raise CostError(f"the Price List API gave {len(found)} prices for {KINDS[kind]} {instance_type} "
                            f"in {region}")
        prices[kind][instance_type] = found.pop()
    today = datetime.now(UTC).date().isoformat()
    return Prices("AWS Price List API", today, "USD", False, "pricing:GetProducts (AmazonSageMaker)", prices)


def choose_prices(target: AwsTarget, table: Path, resources: list[Resource], explicit_table: bool) -> Prices:
    """The Price List API on real AWS (unless a table was named), else the table."""
    if target.kind == "aws" and not explicit_table and resources:
        import botocore.exceptions

        try:
            pricing = session(target).client("pricing", region_name=PRICING_REGION)
            return price_list(pricing, target.region, {(r.kind, r.instance_type) for r in resources})
        except (CostError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            prices = load_table(table, target.region)
            prices.note = f"the Price List API could not be used ({exc}); prices from the table instead"
            return prices
    return load_table(table, target.region)


# --- what was spent (Cost Explorer) ---------------------------------------------------------------------

CE_REGION = "us-east-1"  # Cost Explorer's endpoint
CE_METRIC = "UnblendedCost"
CE_SERVICE = "Amazon SageMaker"


def periods(today: date) -> dict[str, tuple[str, str]]:
    """Month to date (today included) and last month, as Cost Explorer's [Start, End) dates."""
    first = today.replace(day=1)
    last_first = (first - timedelta(days=1)).replace(day=1)
    return {"month_to_date": (first.isoformat(), (today + timedelta(days=1)).isoformat()),
            "last_month": (last_first.isoformat(), first.isoformat())}


def _tag_value(key: str) -> str:
    """A Cost Explorer group key ("Owner$alice"; "Owner$" when untagged) as a value ("-" when untagged)."""
    return key.partition("$")[2] or "-"


def spend(ce: Any, today: date) -> dict[str, Any]:
    """SageMaker's cost by Owner and Project, month to date and last month (GetCostAndUsage)."""
    found: dict[str, Any] = {}
    for name, (start, end) in periods(today).items():
        groups: dict[tuple[str, str], Decimal] = {}
        unit, token, estimated = "USD", None, False
        while True:
            page = ce.get_cost_and_usage(
                TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY", Metrics=[CE_METRIC],
                Filter={"Dimensions": {"Key": "SERVICE", "Values": [CE_SERVICE]}},
                GroupBy=[{"Type": "TAG", "Key": "Owner"}, {"Type": "TAG", "Key": "Project"}],
                **({"NextPageToken": token} if token else {}))
            for period in page.get("ResultsByTime", []):
                estimated = estimated or bool(period.get("Estimated"))
                for group in period.get("Groups", []):
                    keys = group.get("Keys") or []
                    owner = next((_tag_value(k) for k in keys if k.startswith("Owner$")), "-")
                    project = next((_tag_value(k) for k in keys if k.startswith("Project$")), "-")
                    metric = (group.get("Metrics") or {}).get(CE_METRIC) or {}
                    unit = metric.get("Unit", unit)
                    groups[(owner, project)] = groups.get((owner, project), Decimal(0)) + Decimal(
                        str(metric.get("Amount", "0")))
            token = page.get("NextPageToken")
            if not token:
                break
        found[name] = {"start": start, "end": end, "unit": unit, "estimated": estimated,
                       "groups": [{"owner": o, "project": p, "amount": _money(a, 2)}
                                  for (o, p), a in sorted(groups.items())],
                       "total": _money(sum(groups.values(), Decimal(0)), 2)}
    return found


COST_TAGS = ("Owner", "Project", "CostCenter", "ManagedBy")  # the tags every sagelab resource carries


def activate_cost_tags(ce: Any, keys: tuple[str, ...] = COST_TAGS) -> dict[str, Any]:
    """Make sagelab's tags active cost allocation tags (Cost Explorer groups costs only by active ones):
    those not active yet are activated; the account may refuse (only a management account may, in an
    organization), which is reported, not an error."""
    import botocore.exceptions

    try:
        listed = ce.list_cost_allocation_tags(TagKeys=list(keys)).get("CostAllocationTags", [])
        active = sorted(t["TagKey"] for t in listed if t.get("Status") == "Active")
        wanted = [k for k in keys if k not in active]
        errors = ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[
            {"TagKey": k, "Status": "Active"} for k in wanted]).get("Errors", []) if wanted else []
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        return {"active": [], "activated": [], "note": f"the account did not allow activating them ({exc})"}
    refused = {e.get("TagKey"): f"{e.get('Code')}: {e.get('Message')}" for e in errors}
    activated = [k for k in wanted if k not in refused]
    note = "; ".join(f"{k} not activated ({why})" for k, why in refused.items())
    return {"active": sorted(active + activated), "activated": activated, "note": note}


def actual_spend(target: AwsTarget, today: date | None = None) -> dict[str, Any]:
    """What Cost Explorer says was spent, or why it could not say (no permission, no data yet), after
    making sagelab's tags active cost allocation tags where the account allows."""
    import botocore.exceptions

    ce = session(target).client("ce", region_name=CE_REGION, endpoint_url=target.endpoint_url or None)
    tags = activate_cost_tags(ce)
    try:
        return {"source": "Cost Explorer GetCostAndUsage, Amazon SageMaker, by tags Owner and Project",
                **spend(ce, today or datetime.now(UTC).date()), "cost_allocation_tags": tags, "note": ""}
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        return {"source": "Cost Explorer", "cost_allocation_tags": tags,
                "note": f"Cost Explorer could not be used ({exc})"}


# --- the report -----------------------------------------------------------------------------------------

def _money(value: Decimal, places: int) -> float:
    return float(round(value, places))


def build(target: AwsTarget, resources: list[Resource], prices: Prices,
          spent: dict[str, Any] | None = None) -> dict[str, Any]:
    """The --json document. Raises CostError (before anything is shown) when a price is missing."""
    for resource in resources:
        resource.hourly = prices.price(resource.kind, resource.instance_type, target.region) * resource.count
    groups: dict[tuple[str, str], list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: (r.owner, r.project, r.kind, r.name)):
        groups.setdefault((resource.owner, resource.project), []).append(resource)

    def row(resource: Resource) -> dict[str, Any]:
        return {**asdict(resource), "kind": KINDS[resource.kind], "hourly": _money(resource.hourly, 4),
                "hours": float(round(resource.hours, 2)),
                "projection_30_days": _money(resource.hourly * resource.hours, 2)}

    def totals(items: list[Resource]) -> dict[str, Any]:
        hourly = sum((r.hourly for r in items), Decimal(0))
        projected = sum((r.hourly * r.hours for r in items), Decimal(0))
        return {"hourly": _money(hourly, 4), "projection_30_days": _money(projected, 2)}

    return {
        "target": target.kind, "region": target.region, "profile": target.profile,
        "endpoint_url": target.endpoint_url, "currency": prices.currency, "hours_projected": HOURS_PROJECTED,
        "prices": {"source": prices.source, "as_of": prices.as_of, "indicative": prices.indicative,
                   "reference": prices.reference, "note": prices.note},
        "groups": [{"owner": owner, "project": project, **totals(items), "resources": [row(r) for r in items]}
                   for (owner, project), items in groups.items()],
        "total": {"count": len(resources), **totals(resources)},
        "not_sagelab": sorted(r.name for r in resources if not r.sagelab),
        "spent": spent or {},
    }


def price_line(doc: dict[str, Any]) -> str:
    prices = doc["prices"]
    where = f"{prices['source']} {prices['reference']}" if prices["source"] == "price table" \
        else prices["source"]
    line = f"Prices: {where}, as of {prices['as_of']} ({doc['currency']}, on-demand)"
    if prices["indicative"]:
        line += " - indicative figures, check them on aws.amazon.com/sagemaker/pricing"
    return line


def print_report(doc: dict[str, Any], console: Console) -> None:
    where = ("embedded sandbox " + doc["endpoint_url"]) if doc["target"] == "sandbox" \
        else f"AWS profile {doc['profile']}"
    table = Table(title=f"sagelab cost: {where} ({doc['region']})", title_justify="left")
    numbers = ("per hour", "hours/30 d", "30 days")
    for column in ("owner", "project", "kind", "name", "instance type", "status", *numbers):
        table.add_column(column, justify="right" if column in numbers else "left")
    currency = doc["currency"]
    for group in doc["groups"]:
        for r in group["resources"]:
            name = r["name"] + ("" if r["sagelab"] else " (not sagelab's)")
            kind = r["kind"] + (f" x{r['count']}" if r["count"] > 1 else "")
            table.add_row(group["owner"], group["project"], kind, name, r["instance_type"], r["status"],
                          f"{r['hourly']:.4f}", f"{r['hours']:.1f}", f"{r['projection_30_days']:.2f}")
        table.add_row("", Text(f"{group['owner']} / {group['project']}", style="bold"), "", "", "", "",
                      Text(f"{group['hourly']:.4f}", style="bold"), "",
                      Text(f"{group['projection_30_days']:.2f}", style="bold"), end_section=True)
    total = doc["total"]
    table.add_row(Text("total", style="bold"), "", "", f"{total['count']} running", "", "",
                  Text(f"{total['hourly']:.4f}", style="bold"), "",
                  Text(f"{total['projection_30_days']:.2f}", style="bold"))
    if doc["groups"]:
        console.print(table)
    else:
        console.print(Text(f"No running notebook instance, Studio app or endpoint in {where} "
                           f"({doc['region']}): nothing is being billed for compute.", style="green"),
                      soft_wrap=True)
    say = {"markup": False, "highlight": False, "soft_wrap": True}
    console.print(f"{price_line(doc)}; {currency}, without tax, storage and data transfer.", **say)
    console.print(f"30 days: a notebook instance as its stop schedules run it (sagelab's night and weekend "
                  f"stop), the rest {doc['hours_projected']} hours, as if left running:", **say)
    for group in doc["groups"]:
        for r in group["resources"]:
            if r["basis"] != "left running":
                console.print(f"  {r['name']}: {r['hours']:.1f} hours - {r['basis']}", **say)
    if doc["not_sagelab"]:
        console.print(f"Not made by sagelab (no ManagedBy=sagelab tag), billed all the same: "
                      f"{', '.join(doc['not_sagelab'])}", **say)
    if doc["prices"]["note"]:
        console.print(f"Note: {doc['prices']['note']}", **say)
    print_spent(doc.get("spent") or {}, console)


def print_spent(spent: dict[str, Any], console: Console) -> None:
    """Month to date and last month by Owner and Project (Cost Explorer), or why there is none."""
    say = {"markup": False, "highlight": False, "soft_wrap": True}
    if not spent:
        return
    tags = spent.get("cost_allocation_tags") or {}
    if tags.get("activated"):
        console.print(f"Activated as cost allocation tags: {', '.join(tags['activated'])} (Cost Explorer "
                      "groups costs by them from now on, not backwards)", **say)
    if tags.get("note"):
        console.print(f"Cost allocation tags: {tags['note']}", **say)
    if spent.get("note"):
        console.print(f"Spent: {spent['note']}", **say)
        return
    table = Table(title=f"Spent on SageMaker ({spent['source']})", title_justify="left")
    for column in ("period", "owner", "project", "amount"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for name, label in (("month_to_date", "month to date"), ("last_month", "last month")):
        found = spent[name]
        period = f"{label} ({found['start']} - {found['end']})" + (" estimated" if found["estimated"] else "")
        for group in found["groups"]:
            table.add_row(period, group["owner"], group["project"], f"{group['amount']:.2f} {found['unit']}")
            period = ""
        table.add_row(Text(period or "", style="bold"), Text("total", style="bold"), "",
                      Text(f"{found['total']:.2f} {found['unit']}", style="bold"), end_section=True)
    console.print(table)
