"""`sagelab cost`: what sagelab's running SageMaker resources cost per hour, and in 30 days if left running.

Every running notebook instance and Studio app tagged ManagedBy=sagelab (a Studio app counts as
sagelab's when it, its user profile or its domain carries the tag; Owner and Project come from the first
of those that has them), grouped by Owner and Project. Hourly on-demand prices come from the AWS Price
List API (real AWS) or, when it cannot be reached or answers nothing usable, from the dated price table
shipped in data/sagemaker_prices.yml; the report names the source and its date.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sagelab.target import AwsTarget

TABLE = Path("data") / "sagemaker_prices.yml"  # relative to the project home
HOURS_PROJECTED = 720  # 30 days
KINDS = {"notebook_instance": "notebook instance", "studio_app": "Studio app"}
RUNNING = ("Pending", "InService")  # billed from creation (start) on
FREE_INSTANCE_TYPES = ("system",)  # Studio's system instance (JupyterServer / default apps) is not billed
PRICING_REGION = "us-east-1"  # the Price List API's endpoint
# How a SageMaker product of the Price List is told apart: words in its usage type or component.
PRICE_LIST_MARKERS = {"notebook_instance": ("notebk", "notebook"), "studio_app": ("studio",)}


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
    hourly: Decimal = Decimal(0)


def _tags(sm: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in sm.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    return tags


def _first(key: str, *tag_sets: dict[str, str]) -> str:
    return next((tags[key] for tags in tag_sets if tags.get(key)), "-")


def running_resources(sm: Any, tag: tuple[str, str] = ("ManagedBy", "sagelab")) -> list[Resource]:
    """Notebook instances and Studio apps that run (Pending or InService) and are sagelab's."""
    key, value = tag
    found: list[Resource] = []
    for status in RUNNING:
        for page in sm.get_paginator("list_notebook_instances").paginate(StatusEquals=status):
            for notebook in page.get("NotebookInstances", []):
                tags = _tags(sm, notebook["NotebookInstanceArn"])
                if tags.get(key) == value:
                    found.append(Resource("notebook_instance", notebook["NotebookInstanceName"],
                                          _first("Owner", tags), _first("Project", tags),
                                          notebook["InstanceType"], status))
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
            if not any(tags.get(key) == value for tags in sets):
                continue
            instance_type = (described.get("ResourceSpec") or app.get("ResourceSpec") or {}).get(
                "InstanceType", "system")
            if instance_type in FREE_INSTANCE_TYPES:
                continue
            name = f"{domain['DomainName']}/{next(iter(owner.values()))}/{app['AppType']}/{app['AppName']}"
            found.append(Resource("studio_app", name, _first("Owner", *sets), _first("Project", *sets),
                                  instance_type, app["Status"]))
    return found


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


# --- the report -----------------------------------------------------------------------------------------

def _money(value: Decimal, places: int) -> float:
    return float(round(value, places))


def build(target: AwsTarget, resources: list[Resource], prices: Prices) -> dict[str, Any]:
    """The --json document. Raises CostError (before anything is shown) when a price is missing."""
    for resource in resources:
        resource.hourly = prices.price(resource.kind, resource.instance_type, target.region)
    groups: dict[tuple[str, str], list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: (r.owner, r.project, r.kind, r.name)):
        groups.setdefault((resource.owner, resource.project), []).append(resource)

    def row(resource: Resource) -> dict[str, Any]:
        return {**asdict(resource), "kind": KINDS[resource.kind], "hourly": _money(resource.hourly, 4),
                "projection_30_days": _money(resource.hourly * HOURS_PROJECTED, 2)}

    def totals(items: list[Resource]) -> dict[str, Any]:
        hourly = sum((r.hourly for r in items), Decimal(0))
        return {"hourly": _money(hourly, 4), "projection_30_days": _money(hourly * HOURS_PROJECTED, 2)}

    return {
        "target": target.kind, "region": target.region, "profile": target.profile,
        "endpoint_url": target.endpoint_url, "currency": prices.currency, "hours_projected": HOURS_PROJECTED,
        "prices": {"source": prices.source, "as_of": prices.as_of, "indicative": prices.indicative,
                   "reference": prices.reference, "note": prices.note},
        "groups": [{"owner": owner, "project": project, **totals(items), "resources": [row(r) for r in items]}
                   for (owner, project), items in groups.items()],
        "total": {"count": len(resources), **totals(resources)},
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
    for column in ("owner", "project", "kind", "name", "instance type", "status", "per hour", "30 days"):
        table.add_column(column, justify="right" if column in ("per hour", "30 days") else "left")
    currency = doc["currency"]
    for group in doc["groups"]:
        for r in group["resources"]:
            table.add_row(group["owner"], group["project"], r["kind"], r["name"], r["instance_type"],
                          r["status"], f"{r['hourly']:.4f}", f"{r['projection_30_days']:.2f}")
        table.add_row("", Text(f"{group['owner']} / {group['project']}", style="bold"), "", "", "", "",
                      Text(f"{group['hourly']:.4f}", style="bold"),
                      Text(f"{group['projection_30_days']:.2f}", style="bold"), end_section=True)
    total = doc["total"]
    table.add_row(Text("total", style="bold"), "", "", f"{total['count']} running", "", "",
                  Text(f"{total['hourly']:.4f}", style="bold"),
                  Text(f"{total['projection_30_days']:.2f}", style="bold"))
    if doc["groups"]:
        console.print(table)
    else:
        console.print(Text(f"No running notebook instance or Studio app managed by sagelab in {where} "
                           f"({doc['region']}): nothing is being billed for compute.", style="green"),
                      soft_wrap=True)
    console.print(f"{price_line(doc)}. 30 days = {doc['hours_projected']} hours if left running; "
                  f"{currency}, without tax, storage and data transfer.", markup=False, highlight=False,
                  soft_wrap=True)
    if doc["prices"]["note"]:
        console.print(f"Note: {doc['prices']['note']}", markup=False, highlight=False, soft_wrap=True)
