"""`sagelab cost` against the embedded AWS sandbox: a known set of notebook instances, Studio apps and
endpoints in a region of their own, priced with a fixed price table, gives exact figures - what sagelab did
not make is listed and marked, a notebook instance with sagelab's night and weekend stop is projected with
those schedules, and what was spent month to date and last month comes from Cost Explorer's canned answers
(POST /moto-api/static/ce/cost-and-usage-results) by Owner and Project; a table that lacks a running
instance type is refused with an error naming the type and the table; the price table shipped with the
collection is dated and covers the book's region; Price List API answers are read as AWS gives them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

from sagelab import cost
from sagelab.cli import main
from tests.conftest import REPO, call_api

REGION = "ap-northeast-1"
SAGELAB = {"ManagedBy": "sagelab", "Project": "churn", "CostCenter": "cc-1"}
PRICES = {"as_of": "2026-11-01", "indicative": False, "currency": "USD", "source": "test",
          "regions": {REGION: {"notebook_instance": {"ml.t3.medium": 0.0544, "ml.m5.xlarge": 0.256},
                               "studio_app": {"ml.t3.large": 0.1088},
                               "endpoint": {"ml.m5.large": 0.128}}}}
# What Cost Explorer answers, in the order cost asks: month to date, then last month.
SPENT = [{"ResultsByTime": [{"TimePeriod": {"Start": "2026-12-01", "End": "2026-12-08"}, "Total": {},
                             "Estimated": True, "Groups": [
                                 {"Keys": ["Owner$alice", "Project$churn"],
                                  "Metrics": {"UnblendedCost": {"Amount": "12.3456", "Unit": "USD"}}},
                                 {"Keys": ["Owner$", "Project$"],
                                  "Metrics": {"UnblendedCost": {"Amount": "1.5", "Unit": "USD"}}}]}]},
         {"ResultsByTime": [{"TimePeriod": {"Start": "2026-11-01", "End": "2026-12-01"}, "Total": {},
                             "Estimated": False, "Groups": [
                                 {"Keys": ["Owner$alice", "Project$churn"],
                                  "Metrics": {"UnblendedCost": {"Amount": "40.004", "Unit": "USD"}}},
                                 {"Keys": ["Owner$bob", "Project$churn"],
                                  "Metrics": {"UnblendedCost": {"Amount": "60", "Unit": "USD"}}}]}]}]


def tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


def wait(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the sandbox did not get there in time"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def estate(sandbox) -> Any:
    """alice: a running ml.t3.medium notebook and a JupyterLab app (ml.t3.large) whose Owner comes from
    her user profile; bob: a running ml.m5.xlarge notebook. Not counted: alice's stopped notebook, an
    untagged notebook, the free JupyterServer app on the system instance."""
    sm = boto3.client("sagemaker", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(retries={"max_attempts": 1}))
    ec2 = boto3.client("ec2", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    role = "arn:aws:iam::123456789012:role/sagelab-sagemaker-execution"
    for name, kind, owner in (("cost-alice", "ml.t3.medium", "alice"), ("cost-bob", "ml.m5.xlarge", "bob"),
                              ("cost-alice-stopped", "ml.t3.medium", "alice")):
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType=kind, RoleArn=role,
                                    Tags=tags(**SAGELAB, Owner=owner))
    sm.create_notebook_instance(NotebookInstanceName="cost-someone-elses", InstanceType="ml.t3.medium",
                                RoleArn=role)

    def status(name):
        return sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
    wait(lambda: status("cost-alice-stopped") == "InService")
    sm.stop_notebook_instance(NotebookInstanceName="cost-alice-stopped")

    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == vpc][:1]
    domain_id = sm.create_domain(DomainName="cost-studio", AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                                 DefaultUserSettings={"ExecutionRole": role},
                                 Tags=tags(**SAGELAB, Owner="platform"))["DomainArn"].rpartition("/")[2]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", Tags=tags(Owner="alice"))
    sm.create_app(DomainId=domain_id, UserProfileName="alice", AppType="JupyterLab", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.large"})
    sm.create_app(DomainId=domain_id, UserProfileName="alice", AppType="JupyterServer", AppName="default")

    # alice's notebook has sagelab's night and weekend stop (the cost_controls role's schedules)
    scheduler = boto3.client("scheduler", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = sm.describe_notebook_instance(NotebookInstanceName="cost-alice")["NotebookInstanceArn"]
    for suffix, expression in (("stop-weeknight", "cron(0 20 ? * MON-FRI *)"),
                               ("stop-weekend", "cron(0 0/2 ? * SAT,SUN *)")):
        scheduler.create_schedule(
            Name=f"cost-alice-{suffix}", ScheduleExpression=expression,
            ScheduleExpressionTimezone="Europe/Dublin",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance",
                    "RoleArn": "arn:aws:iam::123456789012:role/sagelab-notebook-scheduler",
                    "Input": json.dumps({"NotebookInstanceName": "cost-alice"})})
    assert arn
    # endpoints: alice's two ml.m5.large instances made by deploy() on her workstation (tagged through the
    # SDK config), and one nobody tagged
    for name, count, endpoint_tags in (("cost-alice-endpoint", 2, tags(**SAGELAB, Owner="alice")),
                                       ("cost-untagged-endpoint", 1, [])):
        sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "x.dkr.ecr/y:1"})
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": count,
            "InstanceType": "ml.m5.large"}])
        endpoint_tagging = {"Tags": endpoint_tags} if endpoint_tags else {}
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name, **endpoint_tagging)
    call_api(sandbox.endpoint_url, "/moto-api/static/ce/cost-and-usage-results", {"results": SPENT})
    return sm


def run_cost(capsys, monkeypatch, sandbox, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("SAGELAB_SANDBOX_HOME", str(sandbox.home))
    code = main(["cost", "--region", REGION, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cost_report_with_a_fixed_price_table(estate, sandbox, capsys, monkeypatch, tmp_path):
    table = tmp_path / "prices.yml"
    table.write_text(yaml.safe_dump(PRICES))
    code, out, err = run_cost(capsys, monkeypatch, sandbox, "--prices", str(table), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["prices"] == {"source": "price table", "as_of": "2026-11-01", "indicative": False,
                             "reference": str(table), "note": ""}
    assert (doc["target"], doc["region"], doc["currency"], doc["hours_projected"]) == \
        ("sandbox", REGION, "USD", 720)
    groups = {(g["owner"], g["project"]): g for g in doc["groups"]}
    assert list(groups) == [("-", "-"), ("alice", "churn"), ("bob", "churn")]
    nobody, alice, bob = groups[("-", "-")], groups[("alice", "churn")], groups[("bob", "churn")]
    # alice's notebook: weekdays 08:00-20:00 under her night stop = 12 h x 150/7 weekdays = 257.14 h
    assert [(r["kind"], r["name"], r["instance_type"], r["count"], r["hourly"], r["hours"],
             r["projection_30_days"], r["sagelab"]) for r in alice["resources"]] == [
        ("endpoint", "cost-alice-endpoint", "ml.m5.large", 2, 0.256, 720.0, 184.32, True),
        ("notebook instance", "cost-alice", "ml.t3.medium", 1, 0.0544, 257.14, 13.99, True),
        ("Studio app", "cost-studio/alice/JupyterLab/default", "ml.t3.large", 1, 0.1088, 720.0, 78.34, True)]
    notebook = alice["resources"][1]
    assert notebook["basis"] == (
        "weekdays 08:00-20:00 Europe/Dublin, assumed started 08:00 (no morning start schedule), night stop "
        "cron(0 20 ? * MON-FRI *), weekends stopped (weekend stop schedule)")
    assert (alice["hourly"], alice["projection_30_days"]) == (0.4192, 276.64)  # 184.32 + 13.9886 + 78.336
    assert [(r["name"], r["hourly"], r["projection_30_days"]) for r in bob["resources"]] == [
        ("cost-bob", 0.256, 184.32)]
    # what sagelab did not make is billed too: listed, marked
    assert [(r["name"], r["sagelab"]) for r in nobody["resources"]] == [
        ("cost-untagged-endpoint", False), ("cost-someone-elses", False)]
    assert doc["not_sagelab"] == ["cost-someone-elses", "cost-untagged-endpoint"]
    # + bob 184.32 + someone else's notebook 39.168 + the untagged endpoint 92.16
    assert doc["total"] == {"count": 6, "hourly": 0.8576, "projection_30_days": 592.29}

    # what was spent: Cost Explorer by Owner and Project
    spent = doc["spent"]
    assert spent["note"] == "" and spent["source"].startswith("Cost Explorer GetCostAndUsage")
    assert spent["month_to_date"]["groups"] == [{"owner": "-", "project": "-", "amount": 1.5},
                                                {"owner": "alice", "project": "churn", "amount": 12.35}]
    assert (spent["month_to_date"]["total"], spent["month_to_date"]["estimated"]) == (13.85, True)
    assert spent["last_month"]["groups"] == [{"owner": "alice", "project": "churn", "amount": 40.0},
                                             {"owner": "bob", "project": "churn", "amount": 60.0}]
    assert spent["last_month"]["total"] == 100.0
    assert spent["month_to_date"]["start"].endswith("-01") and spent["last_month"]["end"].endswith("-01")
    # sagelab's tags are active cost allocation tags now (activated by this run or an earlier one)
    assert spent["cost_allocation_tags"]["active"] == ["CostCenter", "ManagedBy", "Owner", "Project"]
    ce = boto3.client("ce", endpoint_url=sandbox.endpoint_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    listed = ce.list_cost_allocation_tags(TagKeys=["Owner", "Project", "CostCenter", "ManagedBy"])
    assert {t["TagKey"]: t["Status"] for t in listed["CostAllocationTags"]} == {
        "CostCenter": "Active", "ManagedBy": "Active", "Owner": "Active", "Project": "Active"}

    # the table a person reads: the same figures, the price source and its date, the projection's basis
    code, out, _unused = run_cost(capsys, monkeypatch, sandbox, "--prices", str(table))
    assert code == 0
    for shown in ("cost-alice", "cost-studio/alice/JupyterLab/default", "alice / churn", "276.64",
                  "592.29", f"Prices: price table {table}, as of 2026-11-01",
                  "cost-someone-elses (not sagelab's)",
                  "endpoint x2", "cost-alice: 257.1 hours - weekdays 08:00-20:00",
                  "Not made by sagelab (no ManagedBy=sagelab tag), billed all the same: cost-someone-elses, "
                  "cost-untagged-endpoint", "Spent on SageMaker", "100.00 USD", "month to date"):
        assert shown in out, out
    assert "cost-alice-stopped" not in out
    assert "Activated as cost allocation tags" not in out  # active already: asked again, nothing changed


def test_the_sandbox_answers_cost_allocation_tag_updates_as_aws_does(sandbox):
    ce = boto3.client("ce", endpoint_url=sandbox.endpoint_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(retries={"max_attempts": 1}))
    key = f"cost-test-{time.monotonic_ns()}"
    assert ce.update_cost_allocation_tags_status(
        CostAllocationTagsStatus=[{"TagKey": key, "Status": "Active"}])["Errors"] == []
    assert ce.list_cost_allocation_tags(TagKeys=[key])["CostAllocationTags"][0]["Status"] == "Active"
    ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": key, "Status": "Inactive"}])
    assert ce.list_cost_allocation_tags(TagKeys=[key], Status="Active")["CostAllocationTags"] == []
    with pytest.raises(ce.exceptions.ClientError) as refused:  # AWS takes 1 to 20 entries per request
        ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[
            {"TagKey": f"{key}-{i}", "Status": "Active"} for i in range(21)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "length between 1 and 20" in refused.value.response["Error"]["Message"]


def test_a_price_table_without_a_running_type_is_refused(estate, sandbox, capsys, monkeypatch, tmp_path):
    incomplete = json.loads(json.dumps(PRICES))
    del incomplete["regions"][REGION]["notebook_instance"]["ml.m5.xlarge"]
    table = tmp_path / "incomplete.yml"
    table.write_text(yaml.safe_dump(incomplete))
    code, out, err = run_cost(capsys, monkeypatch, sandbox, "--prices", str(table), "--json")
    assert code == 1 and out == ""
    assert "instance type ml.m5.xlarge has no notebook instance price in the price table" in err
    assert str(table) in err.replace("\n", "")

    code, out, err = run_cost(capsys, monkeypatch, sandbox, "--region", "sa-east-1")  # a region it lacks
    assert code == 1 and out == ""
    assert "has no prices for region sa-east-1" in err.replace("\n", "")


def test_the_shipped_price_table_is_dated_and_covers_the_books_region():
    table = cost.load_table(REPO / cost.TABLE, "eu-west-1")
    assert table.as_of and table.currency == "USD" and table.indicative is True
    assert table.prices["notebook_instance"]["ml.t3.medium"] > 0
    assert table.prices["studio_app"]["ml.t3.medium"] > 0
    header = (REPO / cost.TABLE).read_text()
    assert "INDICATIVE" in header and "https://aws.amazon.com/sagemaker/pricing/" in header


class FakePricing:
    """What pricing:GetProducts answers for AmazonSageMaker (PriceList items are JSON strings)."""

    def __init__(self, products: list[dict]) -> None:
        self.products = products
        self.filters: list[list[dict]] = []

    def get_paginator(self, _unused: str) -> FakePricing:
        return self

    def paginate(self, ServiceCode: str, Filters: list[dict]) -> list[dict]:  # noqa: N803
        assert ServiceCode == "AmazonSageMaker"
        self.filters.append(Filters)
        name = next(f["Value"] for f in Filters if f["Field"] == "instanceName")
        return [{"PriceList": [json.dumps(p) for p in self.products if p["product"]["attributes"]
                               ["instanceName"] == name]}]


def product(instance: str, usage: str, usd: str) -> dict:
    attributes = {"instanceName": instance, "usagetype": usage, "regionCode": "eu-west-1"}
    return {"product": {"attributes": attributes},
            "terms": {"OnDemand": {"X.Y": {"priceDimensions": {"X.Y.Z": {
                "unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}}}


def test_price_list_api_answers_are_read_per_kind(tmp_path):
    pricing = FakePricing([product("ml.t3.medium", "EU-Notebk:ml.t3.medium", "0.0550000000"),
                           product("ml.t3.medium", "EU-Studio:ml.t3.medium", "0.0560000000"),
                           product("ml.t3.medium", "EU-Train:ml.t3.medium", "0.0600000000")])
    prices = cost.price_list(pricing, "eu-west-1", {("notebook_instance", "ml.t3.medium"),
                                                    ("studio_app", "ml.t3.medium")})
    assert prices.source == "AWS Price List API" and prices.indicative is False
    assert str(prices.prices["notebook_instance"]["ml.t3.medium"]) == "0.0550000000"
    assert str(prices.prices["studio_app"]["ml.t3.medium"]) == "0.0560000000"
    assert {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"} in pricing.filters[0]
    with pytest.raises(cost.CostError, match="gave 0 prices for notebook instance ml.p5.48xlarge"):
        cost.price_list(pricing, "eu-west-1", {("notebook_instance", "ml.p5.48xlarge")})


def test_an_unreadable_table_is_a_clear_error(tmp_path: Path):
    with pytest.raises(cost.CostError, match="cannot be read"):
        cost.load_table(tmp_path / "missing.yml", "eu-west-1")
    (tmp_path / "bad.yml").write_text("just: text\n")
    with pytest.raises(cost.CostError, match="is not a price table"):
        cost.load_table(tmp_path / "bad.yml", "eu-west-1")
