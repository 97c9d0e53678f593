"""Every model passes AWS's own parameter constraints (botocore), and a value AWS would
reject is caught: a `pulumi up` must not be the first thing to read them."""

from __future__ import annotations

import json

import pytest

from aws_constraints import (
    DOCUMENTED,
    MAPPING,
    TAGS,
    check_model,
    documentation_text,
    resource_findings,
    shape_at,
)
from tests.conftest import STACKS, model_of
from tests.test_bootstrap import bootstrap  # noqa: F401 (the fixture)

DOMAINS = {"cloudfront": "", "domain": "desk.example-training.co.uk"}
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
CONTAINER = {"name": "app", "image": "app:1", "essential": True,
             "portMappings": [{"containerPort": 8000, "protocol": "tcp"}]}  # fmt: skip


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("domain", DOMAINS.values(), ids=DOMAINS.keys())
def test_every_stack_passes_awss_constraints(stack, domain):
    assert check_model(model_of(stack, domain)) == []


def test_the_bootstrap_passes_awss_constraints(bootstrap):  # noqa: F811
    resources, _ = bootstrap()
    assert check_model({"stack": "bootstrap", "resources": resources}) == []


def test_every_mapped_parameter_exists_in_botocore():
    for parameters in MAPPING.values():
        for target in parameters.values():
            shape_at(target)  # KeyError: botocore has no such parameter
    for key, value in TAGS.values():
        assert shape_at(key).type_name == shape_at(value).type_name == "string"


@pytest.mark.parametrize("target", DOCUMENTED, ids=str)
def test_documented_rules_are_what_botocore_says(target):
    assert DOCUMENTED[target].quote in documentation_text(target)


def test_every_resource_type_of_the_stacks_is_mapped():
    """A new resource type needs a line in MAPPING (an empty one if nothing maps)."""
    used = {
        r["type"]
        for stack in STACKS
        for domain in DOMAINS.values()
        for r in model_of(stack, domain)["resources"]
        if r["type"].startswith("aws:")
    }
    unmapped = used - set(MAPPING)
    assert unmapped <= UNMAPPED_TYPES, sorted(unmapped - UNMAPPED_TYPES)


# Types whose inputs are only references, settings without a botocore constraint, or JSON.
UNMAPPED_TYPES = {
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:cognito/managedLoginBranding:ManagedLoginBranding",  # references and one flag
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:route53/record:Record",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:secretsmanager/secretVersion:SecretVersion",  # a reference and a secret value
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
}


# --- seeded failures -------------------------------------------------------------------
def findings(type_: str, logical_name: str | None = None, **props) -> list[str]:
    return [str(f) for f in resource_findings(type_, props, logical_name)]


def test_the_apostrophe_that_once_failed_a_first_deploy_is_caught():
    model = {
        "stack": "prod",
        "resources": [
            {"type": SG, "name": "app-db-sg",
             "inputs": {"description": "PostgreSQL from the app's tasks only"}},
        ],
    }  # fmt: skip
    assert check_model(model) == [
        "prod: aws:ec2/securityGroup app-db-sg description "
        '"PostgreSQL from the app\'s tasks only" does not match '
        r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$ (EC2 CreateSecurityGroup Description)"
    ]
    [message] = findings(EGRESS, description="To the app's tasks")
    assert "AuthorizeSecurityGroupEgress" in message
    assert findings(SG, ingress=[{"description": "é"}, {"description": "ok"}]) == [
        'ingress[0].description "é" does not match '
        r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$ "
        "(EC2 AuthorizeSecurityGroupIngress IpPermissions[].IpRanges[].Description)"
    ]
    assert findings(SG, description="x" * 256)  # longer than 255


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        ("aws:lb/loadBalancer:LoadBalancer", {"name": "a" * 33}, "does not match"),
        ("aws:lb/targetGroup:TargetGroup", {"name": "app-tg-"}, "does not match"),
        ("aws:iam/role:Role", {"name": "deploy prod"}, r"does not match [\w+=,.@-]+"),
        ("aws:iam/role:Role", {"maxSessionDuration": 60}, "is less than 3600"),
        ("aws:iam/role:Role", {"path": "service-desk"}, "does not match"),
        ("aws:rds/instance:Instance", {"identifier": "1desk"}, "does not match"),
        ("aws:rds/instance:Instance", {"backupRetentionPeriod": 36}, "is more than 35"),
        ("aws:rds/instance:Instance", {"instanceClass": 2}, "is not a string"),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 45}, "is not one of 1, 3"),
        ("aws:cloudwatch/logGroup:LogGroup", {"name": "/app logs"}, "does not match"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"period": 0}, "is less than 1"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"statistic": "p95"}, "is not one of"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"comparisonOperator": ">"}, "is not one"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"alarmDescription": "x" * 1025}, "longer"),
        ("aws:sns/topic:Topic", {"name": "alerts!"}, "does not match"),
        ("aws:kms/key:Key", {"deletionWindowInDays": 3}, "is less than 7"),
        ("aws:ecr/repository:Repository", {"name": "Service-Desk"}, "does not match"),
        ("aws:wafv2/webAcl:WebAcl", {"visibilityConfig": {"metricName": "a b"}}, "does not"),
        ("aws:cloudfront/distribution:Distribution", {"comment": "c" * 129}, "longer than 128"),
        ("aws:s3/bucket:Bucket", {"bucket": "Logs"}, "does not match"),
        ("aws:ec2/vpc:Vpc", {"tags": {"aws:owner": "me"}}, "does not match ^(?!aws:)"),
        ("aws:iam/role:Role", {"tags": {"team": "ops & dev"}}, "does not match"),
        ("aws:budgets/budget:Budget", {"name": "desk:monthly"}, "does not match"),
        ("aws:budgets/budget:Budget", {"limitAmount": "600 USD"}, "does not match"),
        ("aws:budgets/budget:Budget", {"timeUnit": "WEEKLY"}, "is not one of"),
        (
            "aws:budgets/budget:Budget",
            {"notifications": [{"notificationType": "ESTIMATED", "threshold": 80}]},
            "is not one of",
        ),
    ],
)
def test_bad_values_are_caught(type_, props, expected):
    assert any(expected in message for message in findings(type_, **props))


def test_long_logical_names_make_autonames_aws_rejects():
    """Pulumi names a target group "<logical name>-<7 characters>": 32 at most."""
    type_ = "aws:lb/targetGroup:TargetGroup"
    assert findings(type_, "app-tg") == []
    [message] = findings(type_, "a-very-long-target-group-name")
    assert message.startswith('name (autoname) "a-very-long-target-group-name-')


def test_unknown_values_are_skipped():
    assert findings(SG, description="[unknown]", ingress=[{"description": None}]) == []
    assert findings("aws:iam/role:Role", name="[secret]") == []


def test_default_tags_are_checked_against_every_service():
    provider = "pulumi:providers:aws"
    ok = json.dumps({"tags": {"project": "desk", "managed-by": "pulumi"}})
    assert findings(provider, defaultTags=ok) == []
    bad = json.dumps({"tags": {"owner": "Alex's team"}})
    assert any("IAM TagRole" in m for m in findings(provider, defaultTags=bad))


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        ({"portMappings": [{"containerPort": 8000, "protocol": "sctp"}]}, "is not one of tcp"),
        ({"portMappings": [{"containerPort": "8000"}]}, "Invalid type"),
        ({"name": None}, "has no name"),
        ({"essential": "yes"}, "Invalid type"),
        (
            {"healthCheck": {"command": ["CMD", "true"], "retries": 2, "intervl": 5}},
            "Unknown parameter",
        ),
        ({"name": "my app"}, "does not match"),
    ],
)
def test_bad_container_definitions_are_caught(container, expected):
    definition = {key: value for key, value in (CONTAINER | container).items() if value is not None}
    messages = findings(TASK, containerDefinitions=json.dumps([definition]))
    assert any(expected in m for m in messages), messages
    assert findings(TASK, containerDefinitions=json.dumps([CONTAINER])) == []


# --- Cognito ---------------------------------------------------------------------------
POOL = "aws:cognito/userPool:UserPool"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_cognito_names_settings_and_prefix_domains_are_checked():
    assert (
        findings(POOL, name="desk prod", mfaConfiguration="ON", deletionProtection="ACTIVE") == []
    )
    [message] = findings(POOL, mfaConfiguration="REQUIRED")
    assert "is not one of OFF, ON, OPTIONAL" in message
    [message] = findings(POOL, passwordPolicy={"minimumLength": 100})
    assert "is more than 99" in message
    assert findings(DOMAIN, domain="service-desk-prod-1a2b3c") == []
    assert "does not match" in findings(DOMAIN, domain="Service-Desk")[0]
    assert "longer than 63" in " ".join(findings(DOMAIN, domain="a" * 64))
    messages = findings(CLIENT, callbackUrls=["https://x/auth/callback", "with space"])
    assert [m.split(" ")[0] for m in messages] == ["callbackUrls[1]"]
    [message] = findings(CLIENT, allowedOauthFlows=["code", "password"])
    assert "allowedOauthFlows[1]" in message


def test_token_lifetimes_are_checked_in_seconds_by_their_unit():
    units = {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "hours"}
    ok = {"accessTokenValidity": 60, "idTokenValidity": 60, "refreshTokenValidity": 8}
    assert findings(CLIENT, tokenValidityUnits=units, **ok) == []
    [message] = findings(CLIENT, tokenValidityUnits=units, **(ok | {"accessTokenValidity": 1441}))
    assert message.startswith("accessTokenValidity 1441 (minutes) is more than 86400 seconds")
    # Without a unit the API counts access tokens in hours: 25 hours is too long.
    [message] = findings(CLIENT, accessTokenValidity=25)
    assert "(hours) is more than 86400 seconds" in message
    # botocore still gives the ranges in seconds, which the conversion relies on.
    from aws_constraints import VALIDITY_RANGE_QUOTE, Api, documentation_text

    for parameter in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity"):
        text = documentation_text(Api("cognito-idp", "CreateUserPoolClient", parameter))
        assert VALIDITY_RANGE_QUOTE in text, parameter
