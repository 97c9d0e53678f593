"""epa cost: the price table, the estimate over a model, and the refresh from the Price List API."""

from __future__ import annotations

import datetime
import json
import time

import boto3
import pytest
from botocore.stub import Stubber

from epa_toolkit.cost import estimate, prices, refresh

TABLE = prices.load()


def resource(type_: str, name: str, **inputs) -> dict:
    return {"type": type_, "name": name, "custom": True, "inputs": inputs}


def model(stack: str = "dev", region: str = "eu-west-2", nat: int = 1, multi_az: bool = False) -> dict:
    """A small stack as synth.py records it: what the estimate reads."""
    return {
        "stack": stack,
        "region": region,
        "resources": [
            *[resource("aws:ec2/natGateway:NatGateway", f"nat-{i}") for i in range(nat)],
            *[resource("aws:ec2/eip:Eip", f"nat-{i}", domain="vpc") for i in range(nat)],
            resource("aws:ec2/vpc:Vpc", "vpc"),
            resource("aws:ecs/taskDefinition:TaskDefinition", "task", cpu="256", memory="512"),
            resource("aws:ecs/service:Service", "service", desiredCount=2, taskDefinition="arn:x/task"),
            resource(
                "aws:rds/instance:Instance",
                "db",
                engine="postgres",
                storageType="gp3",
                instanceClass="db.t4g.micro",
                allocatedStorage=20,
                multiAz=multi_az,
            ),
            {"type": "custom:Network", "name": "network", "custom": False, "inputs": {}},
        ],
    }


def line(result: estimate.Estimate, item: str) -> estimate.Line:
    [found] = [ln for ln in result.lines if ln.item == item]
    return found


def test_every_price_has_every_region_a_unit_and_a_source():
    data = TABLE.data
    assert prices.problems(data) == []
    assert data["date"] and data["source"] and data["currency"] == "USD"
    assert {"eu-west-2", "eu-west-1", "us-east-1"} <= set(TABLE.regions)
    for key, entry in data["prices"].items():
        assert set(entry["regions"]) == set(TABLE.regions), key
        assert entry["source"].startswith("https://aws.amazon.com/"), key


def test_a_table_missing_a_region_is_refused():
    data = json.loads(json.dumps(TABLE.data))
    del data["prices"]["nat_gateway_hour"]["regions"]["eu-west-1"]
    assert prices.problems(data) == ["prices.nat_gateway_hour: no price for eu-west-1"]


def test_each_nat_gateway_adds_its_hourly_price_for_730_hours():
    one, three = (estimate.estimate(model(nat=n), TABLE) for n in (1, 3))
    nat = TABLE.price("nat_gateway_hour", "eu-west-2")
    ipv4 = TABLE.price("public_ipv4_hour", "eu-west-2")
    assert line(three, "NAT gateways").monthly - line(one, "NAT gateways").monthly == pytest.approx(
        2 * nat * 730
    )
    # Each gateway has its elastic IP: a public IPv4 address, billed by the hour since 2024.
    assert three.total - one.total == pytest.approx(2 * (nat + ipv4) * 730)


def test_multi_az_doubles_the_database_instance_and_its_storage():
    single, multi = (estimate.estimate(model(multi_az=m), TABLE) for m in (False, True))
    hourly = TABLE.price("rds_instance_hour", "eu-west-2", "db.t4g.micro")
    assert line(single, "Database instance").monthly == pytest.approx(hourly * 730)
    assert line(multi, "Database instance").monthly == pytest.approx(2 * hourly * 730)
    assert line(multi, "Database storage (gp3)").monthly == pytest.approx(
        2 * line(single, "Database storage (gp3)").monthly
    )


def test_fargate_is_tasks_times_size_times_hours():
    result = estimate.estimate(model(), TABLE)
    assert line(result, "Fargate vCPU").quantity == 2 * 0.25 * 730
    assert line(result, "Fargate memory").quantity == 2 * 0.5 * 730


def test_the_stacks_region_sets_the_prices():
    london, virginia = (estimate.estimate(model(region=r), TABLE) for r in ("eu-west-2", "us-east-1"))
    assert line(virginia, "NAT gateways").unit_price == TABLE.price("nat_gateway_hour", "us-east-1")
    assert london.total != virginia.total


def test_a_region_without_prices_is_named_with_the_fix():
    with pytest.raises(estimate.CostError, match=r"'ap-south-2'.*--refresh-prices --region ap-south-2"):
        estimate.estimate(model(region="ap-south-2"), TABLE)


def test_an_unknown_type_is_an_error_not_a_zero():
    stack = model()
    stack["resources"].append(resource("aws:elasticache/cluster:Cluster", "cache"))
    assert estimate.unpriced(stack, TABLE) == ["aws:elasticache/cluster:Cluster"]
    with pytest.raises(estimate.CostError, match=r"aws:elasticache/cluster:Cluster.*`free`"):
        estimate.estimate(stack, TABLE)


def test_no_type_is_both_priced_and_free():
    assert set(estimate.PRICERS).isdisjoint(TABLE.free)


def test_the_report_has_a_table_per_environment_and_the_total_quickly():
    started = time.perf_counter()
    estimates = [estimate.estimate(model(stack=s, nat=n), TABLE) for s, n in (("dev", 1), ("prod", 3))]
    text = estimate.render_text(estimates, TABLE)
    assert time.perf_counter() - started < 2
    assert "dev (eu-west-2)" in text and "prod (eu-west-2)" in text
    assert text.count("\nTotal ") == 2
    grand = sum(e.total for e in estimates)
    assert f"All environments: ${grand:,.2f} a month" in text


def test_the_summary_keeps_the_shape_the_budget_reads():
    estimates = [estimate.estimate(model(stack=s), TABLE) for s in ("dev", "prod")]
    data = json.loads(estimate.summary_json(estimates, TABLE))
    assert list(data) == ["currency", "prices_date", "environments", "total"]
    assert data["currency"] == "USD" and data["prices_date"] == TABLE.date
    assert list(data["environments"]) == ["dev", "prod"]
    assert data["total"] == pytest.approx(sum(data["environments"].values()), abs=0.011)


def product(usagetype: str, usd: str, unit: str = "Hrs") -> str:
    """One PriceList item as the API returns it: a JSON document in a string."""
    return json.dumps({
        "product": {"sku": "SKU1", "attributes": {"usagetype": usagetype, "regionCode": "eu-west-2"}},
        "terms": {"OnDemand": {"SKU1.JRTCKXETXF": {"priceDimensions": {"SKU1.JRTCKXETXF.6YS6EN2CT7": {
            "unit": unit, "beginRange": "0", "endRange": "Inf", "pricePerUnit": {"USD": usd}}}}}},
    })  # fmt: skip


def test_refresh_reads_the_price_list_api():
    data = {
        **TABLE.data,
        "prices": {key: TABLE.data["prices"][key] for key in ("nat_gateway_hour", "rds_instance_hour")},
    }
    data["prices"]["rds_instance_hour"] = {
        **data["prices"]["rds_instance_hour"],
        "regions": {"eu-west-2": {"db.t4g.micro": 0.0}},
    }
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {
                "PriceList": [
                    product("EUW2-NatGateway-Hours", "0.0500000000"),
                    product("EUW2-NatGateway-Bytes", "0.0500000000", "GB"),
                ],
                "FormatVersion": "aws_v1",
            },
            {
                "ServiceCode": "AmazonEC2",
                "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-2"}],
            },
        )
        stub.add_response(
            "get_products",
            {"PriceList": [product("EUW2-InstanceUsage:db.t4g.micro", "0.0180000000")]},
            {
                "ServiceCode": "AmazonRDS",
                "Filters": [
                    {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-2"},
                    {"Type": "TERM_MATCH", "Field": "databaseEngine", "Value": "PostgreSQL"},
                    {"Type": "TERM_MATCH", "Field": "deploymentOption", "Value": "Single-AZ"},
                    {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "db.t4g.micro"},
                ],
            },
        )
        new = refresh.refreshed(client, data, ["eu-west-2"], datetime.date(2027, 1, 4))
        stub.assert_no_pending_responses()
    assert new["date"] == "2027-01-04" and "Price List API" in new["source"]
    assert new["prices"]["nat_gateway_hour"]["regions"] == {"eu-west-2": 0.05}
    assert new["prices"]["rds_instance_hour"]["regions"] == {"eu-west-2": {"db.t4g.micro": 0.018}}


def test_refresh_refuses_an_ambiguous_answer():
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response("get_products", {"PriceList": [product("EUW2-NatGateway-Hours", "0.05"),
                                                        product("EUW2-NatGateway-Hours", "0.06")]})  # fmt: skip
        with pytest.raises(refresh.RefreshError, match="expected one price"):
            refresh.lookup(client, {"service": "AmazonEC2", "usagetype": "NatGateway-Hours"}, "eu-west-2")


def small_project(root, project_yaml) -> None:
    (root / "infra" / "components").mkdir(parents=True)
    (root / "infra" / "tests").mkdir()
    (root / "infra" / "components" / "network.py").write_text("NAT_GATEWAYS = 1\n")
    (root / "infra" / "Pulumi.prod.yaml").write_text("config: {}\n")
    (root / "infra" / "tests" / "test_network.py").write_text("")
    (root / "project.yaml").write_text(project_yaml.read_text())


def test_models_are_reused_until_what_they_are_made_from_changes(tmp_path):
    from epa_toolkit.cost import cli
    from project_facts import FILE, project_root

    small_project(tmp_path, project_root() / FILE)
    key = cli.fingerprint(tmp_path)
    (tmp_path / "infra" / "tests" / "test_network.py").write_text("def test_more(): ...\n")
    assert cli.fingerprint(tmp_path) == key, "the tests do not make the models"
    stacks = ("dev", "staging", "prod")
    for stack in stacks:  # what an earlier run left (this project has no synth.py to run)
        path = tmp_path / cli.CACHE / f"{stack}-{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(model(stack=stack)))
    assert [m["stack"] for m in cli.synthesized(tmp_path)] == list(stacks)
    (tmp_path / "infra" / "components" / "network.py").write_text("NAT_GATEWAYS = 3\n")
    assert cli.fingerprint(tmp_path) != key
    with pytest.raises(ModuleNotFoundError, match="synth"):  # changed code: synthesized again
        cli.synthesized(tmp_path)
