"""Collectors on moto, the read-only guard, faults, and the number of API calls."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from epa_toolkit.inspection import collect as collection
from epa_toolkit.inspection.collect import (
    NothingMatched,
    WriteRefused,
    client,
    collect,
    image_repository,
    read_only_session,
    tagged_arns,
)
from epa_toolkit.inspection.engine import evaluate
from epa_toolkit.inspection.inventory import Scope
from epa_toolkit.inspection.model import Status, tier_defaults
from tests.aws_seed import REGION, seed


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "MOTO_ECS_SERVICE_RUNNING": "2"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_guard_refuses_anything_but_reads():
    session = read_only_session(REGION)
    ec2 = session.client("ec2")
    ec2.describe_vpcs()  # reads are fine
    with pytest.raises(WriteRefused, match="refused ec2:CreateVpc"):
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
    assert boto3.client("ec2").describe_vpcs()["Vpcs"] == [v for v in ec2.describe_vpcs()["Vpcs"]]


def test_reference_shaped_prod_is_collected_and_passes():
    seed()
    scope, inventory = collect(read_only_session(REGION), "desk", "prod")
    assert scope == Scope("123456789012", REGION, "desk", "prod", tier="prod",
                          caller="arn:aws:sts::123456789012:user/moto")  # fmt: skip
    assert inventory["errors"] == {}
    assert "tier" not in inventory, "the tier is the environment's, beside its resources"
    assert {s["network_tier"] for s in inventory["network"]["subnets"]} == {
        "public",
        "private",
        "isolated",
    }
    assert len({s["az"] for s in inventory["network"]["subnets"]}) == 3
    assert len(inventory["network"]["nat_gateways"]) == 3
    [service] = inventory["ecs"]["services"]
    assert service["circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["scaling"] == {"min": 2, "max": 6, "policies": 1}
    findings = evaluate(inventory, tier_defaults("prod"))
    failed = {f.check.id: f.message for f in findings if f.status == Status.FAIL}
    assert failed == {}


def test_misconfigured_environment_fails_the_right_checks():
    seed(broken=True)
    findings = evaluate(collect(read_only_session(REGION), "desk", "prod").inventory, tier_defaults("prod"))
    failed = {f.check.id for f in findings if f.status == Status.FAIL}
    assert {"vpc_multi_az_subnets", "alb_deletion_protection", "ecs_service_circuit_breaker",
            "rds_multi_az", "rds_backups", "rds_deletion_protection", "alb_https_only",
            "cloudfront_no_plain_http", "cloudfront_origin_private"} <= failed  # fmt: skip


def test_the_shared_image_repository_is_found_by_following_the_images():
    seed()
    session = read_only_session(REGION)
    # The registry is tagged environment=shared: the environment's tags do not reach it.
    assert not [
        arn for arn in tagged_arns(session, "desk", "prod").arns.get("ecr", []) if "repository/" in arn
    ]
    assert collect(session, "desk", "prod").inventory["workload"]["repositories"] == [
        {"name": "desk", "scan_on_push": True}
    ]
    boto3.client("ecr", region_name=REGION).put_image_scanning_configuration(
        repositoryName="desk", imageScanningConfiguration={"scanOnPush": False}
    )
    [scan] = [f for f in evaluate(collect(session, "desk", "prod").inventory, tier_defaults("prod"))
              if f.check.id == "ecr_scan_on_push"]  # fmt: skip
    assert (scan.status, scan.resource) == (Status.FAIL, "desk")


@pytest.mark.parametrize(("image", "expected"), [
    (f"123456789012.dkr.ecr.{REGION}.amazonaws.com/desk@sha256:{'0' * 64}", ("123456789012", "desk")),
    (f"123456789012.dkr.ecr.{REGION}.amazonaws.com/desk:initial", ("123456789012", "desk")),
    (f"210987654321.dkr.ecr.{REGION}.amazonaws.com/team/desk:1", ("210987654321", "team/desk")),
    ("public.ecr.aws/docker/library/python:3.12", None),
    ("python:3.12", None),
])  # fmt: skip
def test_images_name_their_repository(image, expected):
    assert image_repository(image) == expected


def test_nothing_tagged_is_an_error():
    seed(project="other")
    with pytest.raises(NothingMatched, match="no resources tagged project=desk environment=prod"):
        collect(read_only_session(REGION), "desk", "prod")


def test_access_denied_marks_the_section_not_evaluated():
    seed()
    session = read_only_session(REGION)

    def deny(**kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeDBInstances")

    session.events.register("before-call.rds.DescribeDBInstances", deny)
    _, inventory = collect(session, "desk", "prod")
    assert inventory["errors"] == {
        "rds": "AccessDenied on DescribeDBInstances",
        # Read by following the database (its keys, its monitoring role, its log groups):
        # without it, they would look empty, not broken.
        **dict.fromkeys(("keys_and_secrets", "identity", "log_groups"),
                        "needs rds, which could not be collected (AccessDenied on DescribeDBInstances)"),
    }  # fmt: skip
    rds = [f for f in evaluate(inventory, tier_defaults("prod")) if f.check.id.startswith("rds_")]
    assert {f.status for f in rds} == {Status.NOT_EVALUATED}


def count_calls(session) -> list[str]:
    calls: list[str] = []
    session.events.register("before-call", lambda model, **kw: calls.append(model.name))
    return calls


def test_api_calls_grow_with_resource_types_not_resources():
    seed(project="small", services=1)
    seed(project="large", services=6)
    calls = {}
    for project in ("small", "large"):
        session = read_only_session(REGION)
        calls[project] = count_calls(session)
        _, inventory = collect(session, project, "prod")
    assert len(inventory["ecs"]["services"]) == 6
    assert len(calls["large"]) == len(calls["small"]), (calls["small"], calls["large"])


def test_throttling_is_retried():
    """AWS answers "slow down" twice; the adaptive retry mode waits and tries again."""
    from botocore.awsrequest import AWSResponse

    session = read_only_session(REGION)
    attempts = []

    def throttle(request, **kwargs):
        attempts.append(request.url)
        if len(attempts) <= 2:
            body = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message>"
                    b"</Error></Errors><RequestID>r</RequestID></Response>")  # fmt: skip
            return AWSResponse(request.url, 503, {}, _Raw(body))
        return None  # let the (fake) AWS answer

    session.events.register_first("before-send.ec2.DescribeVpcs", throttle)
    assert client(session, "ec2").describe_vpcs()["Vpcs"] is not None  # the inspection's own client
    assert len(attempts) == 3


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def distribution_summary(arn: str, origin: dict) -> dict:
    """A ListDistributions item as AWS returns it (every required field)."""
    return {
        "Id": arn.rsplit("/", 1)[-1], "ARN": arn, "Status": "Deployed", "LastModifiedTime": "2026-01-01T00:00:00Z",
        "DomainName": "d111.cloudfront.net", "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{"Id": "alb", "DomainName": "internal-edge-alb-1.eu-west-2.elb.amazonaws.com",
                                              **origin}]},
        "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "redirect-to-https"},
        "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0}, "Comment": "edge",
        "PriceClass": "PriceClass_100", "Enabled": True, "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}, "WebACLId": "",
        "HttpVersion": "http2and3", "IsIPV6Enabled": False, "Staging": False,
    }  # fmt: skip


def test_a_vpc_origin_is_collected_as_one(monkeypatch):
    """The real response shape, stubbed (every field AWS sends): only the
    distribution tagged for this environment is kept, and its origin is a VPC origin."""
    session = read_only_session(REGION)
    cloudfront = client(session, "cloudfront")
    ours, other = (f"arn:aws:cloudfront::123456789012:distribution/{i}" for i in ("EOURS", "EOTHER"))
    vpc_origin = {"VpcOriginConfig": {"VpcOriginId": "vo_1", "OriginReadTimeout": 30}}
    with Stubber(cloudfront) as stub:
        items = [distribution_summary(ours, vpc_origin), distribution_summary(other, {})]
        stub.add_response("list_distributions", {"DistributionList": {
            "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 2, "Items": items}})  # fmt: skip
        for arn, environment in ((ours, "prod"), (other, "staging")):
            tags = [
                {"Key": "project", "Value": "desk"},
                {"Key": "environment", "Value": environment},
            ]
            stub.add_response("list_tags_for_resource", {"Tags": {"Items": tags}}, {"Resource": arn})
            if environment == "prod":  # only ours is read in full
                stub.add_response("get_distribution_config", {"DistributionConfig": {
                    "CallerReference": "desk-prod", "Comment": "edge", "Enabled": True,
                    "Origins": items[0]["Origins"], "DefaultCacheBehavior": items[0]["DefaultCacheBehavior"],
                    "Logging": {"Enabled": True, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com",
                                "Prefix": "cloudfront/"}}}, {"Id": "EOURS"})  # fmt: skip
        monkeypatch.setattr(collection, "client", lambda _session, _service: cloudfront)
        [distribution] = collection.collect_cloudfront(session, "desk", "prod")
    assert distribution["id"] == "EOURS"
    assert distribution["viewer_protocol_policies"] == ["redirect-to-https"]
    [origin] = distribution["origins"]
    assert origin["kind"] == "vpc" and origin["vpc_origin_id"] == "vo_1"
    assert origin["protocol_policy"] is None
    assert distribution["logging"] is True and distribution["default_certificate"] is True


FAILURES = {  # (refused: test_access_denied_marks_the_section_not_evaluated)
    "throttled past the retries": ClientError(
        {"Error": {"Code": "Throttling", "Message": "slow"}}, "Describe"
    ),
    "connection lost": EndpointConnectionError(endpoint_url="https://elasticloadbalancing.example"),
    "malformed answer": KeyError("LoadBalancerArn"),
}
# What each section's failure takes with it: the sections read by following it.
FOLLOWERS = {"network": {"identity", "log_groups"}, "ecs": {"workload", "identity", "log_groups"},
             "workload": {"identity", "log_groups"}, "protection": {"log_groups"},
             "load_balancers": {"protection", "storage", "log_groups"},
             "rds": {"keys_and_secrets", "identity", "log_groups"}}  # fmt: skip
SECTIONS = [*collection.SECTIONS, *collection.FOLLOWS, "cloudfront", "alarms"]


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_a_failing_section_leaves_only_its_checks_not_evaluated(monkeypatch, failure):
    """Each section fails in turn: the run goes on, the checks that need the section (or a
    section read by following it) are NOT_EVALUATED with the reason, and every other check
    is evaluated as on a healthy environment."""
    seed()
    session = read_only_session(REGION)
    healthy = {
        f.check.id: f.status
        for f in evaluate(collect(session, "desk", "prod").inventory, tier_defaults("prod"))
    }
    for section in SECTIONS:
        names = {"protection": "collect_protection", "keys_and_secrets": "collect_keys_and_secrets"}
        target = names.get(section, f"collect_{section}")

        def broken(*args, **kwargs):
            raise FAILURES[failure]

        with monkeypatch.context() as patch:
            patch.setattr(collection, target, broken)  # how the following sections call it
            if section in collection.SECTIONS:
                patch.setitem(collection.SECTIONS, section, broken)
            _, inventory = collect(session, "desk", "prod")
        lost = {section} | FOLLOWERS.get(section, set())
        assert set(inventory["errors"]) == lost, section
        for finding in evaluate(inventory, tier_defaults("prod")):
            if set(finding.check.needs) & lost:
                assert finding.status is Status.NOT_EVALUATED, (section, finding.check.id)
                assert "could not collect" in finding.message
            else:
                assert finding.status is healthy[finding.check.id], (section, finding.check.id)


def test_a_load_balancer_without_target_groups_is_collected():
    seed()
    elb = boto3.client("elbv2", region_name=REGION)
    [lb] = elb.describe_load_balancers()["LoadBalancers"]
    for group in elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            elb.delete_listener(ListenerArn=listener["ListenerArn"])
        elb.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    _, inventory = collect(read_only_session(REGION), "desk", "prod")
    assert "load_balancers" not in inventory["errors"]
    assert inventory["load_balancers"][0]["target_groups"] == []


def test_unrelated_alarms_and_log_groups_are_never_read():
    """A busy shared account: 1,000 alarms and 1,000 log groups of others. The inspection
    reads the environment's own by name, so its calls are the same as in an empty account."""
    seed()
    session = read_only_session(REGION)
    quiet = count_calls(session)
    collect(session, "desk", "prod")
    cloudwatch, logs = (
        boto3.client("cloudwatch", region_name=REGION),
        boto3.client("logs", region_name=REGION),
    )
    for n in range(1000):
        cloudwatch.put_metric_alarm(AlarmName=f"other-team-{n}", Namespace="AWS/EC2", MetricName="CPUUtilization",
                                    Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=90,
                                    ComparisonOperator="GreaterThanThreshold")  # fmt: skip
        logs.create_log_group(logGroupName=f"/other-team/{n}")
    session = read_only_session(REGION)
    busy = count_calls(session)
    _, inventory = collect(session, "desk", "prod")
    assert busy == quiet
    assert {a["name"].split("-")[0] for a in inventory["alarms"]} == {"desk"}
    assert not [g for g in inventory["log_groups"] if g["name"].startswith("/other-team/")]


@pytest.mark.parametrize(
    ("weakness", "failing"),
    [
        # Nothing filters what CloudFront passes on to the load balancer either.
        ("empty web ACL", {"waf_acl_has_rules", "cloudfront_web_acl"}),
        ("customer-managed *:* on the task role", {"iam_workload_roles_least_privilege"}),
    ],
)
def test_seeded_weaknesses_fail_their_checks(weakness, failing):
    seed(waf_rules=weakness != "empty web ACL")
    if weakness.startswith("customer-managed"):
        iam = boto3.client("iam", region_name=REGION)
        everything = iam.create_policy(PolicyName="app-everything", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}))  # fmt: skip
        iam.attach_role_policy(RoleName="desk-task", PolicyArn=everything["Policy"]["Arn"])
    _, inventory = collect(read_only_session(REGION), "desk", "prod")
    failed = {f.check.id for f in evaluate(inventory, tier_defaults("prod")) if f.status == Status.FAIL}
    assert failed == failing, weakness
