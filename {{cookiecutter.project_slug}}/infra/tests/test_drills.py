"""The failure drills (components/drills.py): where the profile has them, three FIS
templates aimed at the stack's own resources, stopped by its user-facing alarms."""

from __future__ import annotations

import json

import pytest

from aws_constraints import resource_findings
from components.drills import SCENARIOS, STOP_ALARMS
from environment_profile import ProfileError, load_profile
from synth import ACCOUNT
from tests.conftest import Model, model_of

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def arn_of(model: Model, resource: dict) -> str:
    """A resource's ARN as the mocks give it (synth.FakeAws)."""
    service = resource["type"].split(":")[1].split("/")[0]
    kind = resource["type"].split(":")[-1].lower()
    return f"arn:aws:{service}:{model.data['region']}:{ACCOUNT}:{kind}/{resource['name']}"


def templates(model: Model) -> dict[str, dict]:
    return {t["inputs"]["tags"]["scenario"]: t["inputs"] for t in model.of_type(TEMPLATE)}


@pytest.fixture(params=["staging", "prod"])
def drilled(request) -> Model:
    return Model(model_of(request.param))


def test_staging_and_prod_have_the_three_drills_and_dev_none(drilled, dev):
    assert sorted(templates(drilled)) == sorted(SCENARIOS)
    [role] = [r for r in drilled.of_type("aws:iam/role:Role") if r["name"] == "drills-fis"]
    assert all(t["roleArn"] == arn_of(drilled, role) for t in templates(drilled).values())
    assert dev.of_type(TEMPLATE) == []
    assert [r for r in dev.resources if r["name"].startswith("drills")] == []


def test_az_outage_cuts_off_every_subnet_of_one_zone(drilled):
    [target] = templates(drilled)["az-outage"]["targets"]
    [zone] = target["filters"][0]["values"]
    in_zone = [
        s
        for s in drilled.of_type("aws:ec2/subnet:Subnet")
        if s["inputs"]["availabilityZone"] == zone
    ]
    assert {s["inputs"]["tags"]["network-tier"] for s in in_zone} == {
        "public",
        "private",
        "isolated",
    }
    assert sorted(target["resourceArns"]) == sorted(arn_of(drilled, s) for s in in_zone)
    assert target["filters"][0]["path"] == "AvailabilityZone"
    [action] = templates(drilled)["az-outage"]["actions"]
    assert action["actionId"] == "aws:network:disrupt-connectivity"
    assert {p["key"]: p["value"] for p in action["parameters"]} == {
        "duration": "PT5M",
        "scope": "all",
    }


def test_task_loss_stops_half_of_this_stacks_service(drilled):
    [target] = templates(drilled)["task-loss"]["targets"]
    cluster = drilled.one("aws:ecs/cluster:Cluster")
    service = drilled.one("aws:ecs/service:Service")
    assert target["resourceType"] == "aws:ecs:task"
    assert target["parameters"] == {
        "cluster": cluster["inputs"].get("name", cluster["name"]),
        "service": service["inputs"].get("name", service["name"]),
    }
    assert target["selectionMode"] == "PERCENT(50)"


def test_db_failover_forces_a_failover_of_this_stacks_multi_az_database(drilled):
    template = templates(drilled)["db-failover"]
    database = drilled.one("aws:rds/instance:Instance")
    assert database["inputs"]["multiAz"] is True
    [target] = template["targets"]
    assert target["resourceArns"] == [arn_of(drilled, database)]
    [action] = template["actions"]
    assert action["actionId"] == "aws:rds:reboot-db-instances"
    assert action["parameters"] == [{"key": "forceFailover", "value": "true"}]


def test_every_drill_stops_on_the_alarms_users_feel(drilled):
    alarms = {a["inputs"]["name"]: arn_of(drilled, a) for a in drilled.of_type(ALARM)}
    prefix = drilled.of_type(ALARM)[0]["inputs"]["name"].rsplit("-", 2)[0]
    expected = [alarms[name] for name in alarms if name.split(f"{prefix}-", 1)[1] in STOP_ALARMS]
    assert len(expected) == len(STOP_ALARMS)
    for template in templates(drilled).values():
        assert [c["source"] for c in template["stopConditions"]] == ["aws:cloudwatch:alarm"] * 3
        assert sorted(c["value"] for c in template["stopConditions"]) == sorted(expected)


def test_the_fis_role_reaches_only_this_stacks_resources(drilled):
    [policy] = [
        json.loads(r["inputs"]["policy"])
        for r in drilled.of_type("aws:iam/rolePolicy:RolePolicy")
        if r["name"] == "drills-fis"
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    database = drilled.one("aws:rds/instance:Instance")
    assert by_sid["FailOverTheDatabase"]["Resource"] == [arn_of(drilled, database)]
    cluster = drilled.one("aws:ecs/cluster:Cluster")
    assert by_sid["ListTheServicesTasks"]["Condition"] == {
        "ArnEquals": {"ecs:cluster": [arn_of(drilled, cluster)]}
    }
    subnets = templates(drilled)["az-outage"]["targets"][0]["resourceArns"]
    swap = by_sid["SwapTheZonesNetworkAcls"]["Resource"]
    assert set(subnets) < set(swap) and len(swap) == len(subnets) + 1


def test_drills_need_a_standby_to_fail_over_to():
    config = {"alertEmail": "ops@example.co.uk", "failureDrills": "true"}
    with pytest.raises(ProfileError, match="failureDrills: the db-failover drill needs dbMultiAz"):
        load_profile(config, "dev")  # dev's database is single-AZ
    assert load_profile(config | {"dbMultiAz": "true"}, "dev").failure_drills is True
    assert load_profile({"alertEmail": "ops@example.co.uk"}, "dev").failure_drills is False


def test_a_template_aws_would_reject_is_caught():
    bad = {"targets": [{"name": "tasks", "selectionMode": "PERCENT (50)",
                        "parameters": {"cluster": "c", "service": "a service!"}}]}  # fmt: skip
    found = [str(f) for f in resource_findings(TEMPLATE, bad)]
    assert any("targets[0].selectionMode" in f for f in found), found
    assert any('targets[0].parameters["service"]' in f for f in found), found
