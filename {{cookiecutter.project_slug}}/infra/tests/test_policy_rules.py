"""Every policy rule fires on a violating resource and passes a compliant one, through its
plain function and through the pulumi_policy wrapper the CLI runs; the synthesized stacks
have no violations at all."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
from project_facts import load as load_facts
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.rules import REQUIREMENTS, RULES, TAGGABLE_TYPES, Resource, evaluate, tier_of
from tests.conftest import STACKS, model_of

INFRA = Path(__file__).resolve().parents[1]
TAGS = {"project": "p", "environment": "prod", "managed-by": "pulumi"}
PROVIDER = Resource("pulumi:providers:aws", "aws", "urn:aws", {"defaultTags": {"tags": TAGS}})


def res(type_: str, name: str = "r", deps: tuple[str, ...] = (), **props) -> Resource:
    return Resource(
        type_, name, f"urn:{name}", props, frozenset(f"urn:{d}" for d in deps), PROVIDER
    )


SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
SERVICE = "aws:ecs/service:Service"
RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
CDN = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
POOL = "aws:cognito/userPool:UserPool"
ROLE = "aws:iam/role:Role"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

GOOD_DB = {"multiAz": True, "backupRetentionPeriod": 14, "deletionProtection": True,
           "storageEncrypted": True, "publiclyAccessible": False}  # fmt: skip
ALL_BLOCKED = dict.fromkeys(
    ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
)
TO_HTTPS = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}]
MODERN = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def network(nat_subnets: str) -> list[Resource]:
    """Private subnets in zones a, b; each routes through the NAT gateway in the public subnet
    of the zone named at its position in nat_subnets."""
    resources = []
    for zone in "ab":
        resources += [
            res(SUBNET, f"public-{zone}", availabilityZone=zone),
            res(SUBNET, f"private-{zone}", availabilityZone=zone),
            res(NAT, f"nat-{zone}", deps=(f"public-{zone}",)),
        ]
    for zone, nat_zone in zip("ab", nat_subnets, strict=True):
        resources += [
            res(ROUTE_TABLE, f"rt-{zone}", deps=(f"nat-{nat_zone}",)),
            res(ASSOCIATION, f"assoc-{zone}", deps=(f"rt-{zone}", f"private-{zone}")),
        ]
    return resources


def cdn(origin: dict, viewer: str = "redirect-to-https") -> Resource:
    return res(
        CDN,
        "cdn",
        deps=("alb",),
        origins=[{"originId": "alb", **origin}],
        defaultCacheBehavior={"viewerProtocolPolicy": viewer},
    )


def trust(condition: dict | None, principal: dict | None = None) -> str:
    """A role trust policy (JSON) for an AWS service, with `condition`."""
    statement = {
        "Effect": "Allow",
        "Principal": principal or {"Service": ["ecs-tasks.amazonaws.com"]},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Statement": [statement | ({"Condition": condition} if condition else {})]})


VIA_VPC_ORIGIN = {"vpcOriginConfig": {"vpcOriginId": "vo-1"}}
HTTP_ACROSS_INTERNET = {"customOriginConfig": {"originProtocolPolicy": "http-only"}}
FORWARD = [{"type": "forward"}]


# rule -> (violating, compliant), in the prod tier
CASES: dict[str, tuple[list[Resource], list[Resource]]] = {
    "subnets-span-zones": (  # prod's tier guarantees 3 zones
        [res(SUBNET, "a", availabilityZone="z1"), res(SUBNET, "b", availabilityZone="z2")],
        [res(SUBNET, z, availabilityZone=z) for z in ("z1", "z2", "z3")],
    ),
    "nat-gateway-per-zone": (network("aa"), network("ab")),
    "ecs-service-redundant": ([res(SERVICE, desiredCount=1)], [res(SERVICE, desiredCount=2)]),
    "ecs-circuit-breaker": (
        [res(SERVICE, deploymentCircuitBreaker={"enable": True, "rollback": False})],
        [res(SERVICE, deploymentCircuitBreaker={"enable": True, "rollback": True})],
    ),
    "rds-multi-az": ([res(RDS, **{**GOOD_DB, "multiAz": False})], [res(RDS, **GOOD_DB)]),
    "rds-backup-retention": (
        [res(RDS, **{**GOOD_DB, "backupRetentionPeriod": 7})],
        [res(RDS, **GOOD_DB)],
    ),
    "rds-deletion-protection": (
        [res(RDS, **{**GOOD_DB, "deletionProtection": False})],
        [res(RDS, **GOOD_DB)],
    ),
    "rds-storage-encrypted": (
        [res(RDS, **{**GOOD_DB, "storageEncrypted": False})],
        [res(RDS, **GOOD_DB)],
    ),
    "rds-not-public": (
        [res(RDS, **{**GOOD_DB, "publiclyAccessible": True})],
        [res(RDS, **GOOD_DB)],
    ),
    "s3-public-access-blocked": (
        [
            res(BUCKET, "logs"),
            res(BLOCK, deps=("logs",), **{**ALL_BLOCKED, "blockPublicPolicy": False}),
        ],
        [res(BUCKET, "logs"), res(BLOCK, deps=("logs",), **ALL_BLOCKED)],
    ),
    "s3-encryption-configured": (
        [res(BUCKET, "logs"), res(SSE, deps=("other-bucket",))],
        [res(BUCKET, "logs"), res(SSE, deps=("logs",))],
    ),
    "no-admin-ports-from-internet": (
        [
            res(
                SG,
                ingress=[
                    {"cidrBlocks": ["0.0.0.0/0"], "protocol": "tcp", "fromPort": 22, "toPort": 22}
                ],
            ),
            res(INGRESS, "v6", cidrIpv6="::/0", ipProtocol="tcp", fromPort=5000, toPort=6000),
            res(
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                "all",
                type="ingress",
                cidrBlocks=["0.0.0.0/0"],
                protocol="-1",
                fromPort=0,
                toPort=0,
            ),
        ],
        [
            res(
                SG,
                ingress=[
                    {"cidrBlocks": ["10.0.0.0/16"], "protocol": "tcp", "fromPort": 22, "toPort": 22}
                ],
            ),
            res(INGRESS, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443),
            res(INGRESS, "ping", cidrIpv4="0.0.0.0/0", ipProtocol="icmp", fromPort=8, toPort=0),
        ],
    ),
    "alb-https-only": (
        [
            res(LB, "alb"),
            res(
                LISTENER,
                "http",
                deps=("alb",),
                protocol="HTTP",
                defaultActions=[{"type": "forward"}],
            ),
            res(
                LISTENER,
                "https",
                deps=("alb",),
                protocol="HTTPS",
                sslPolicy="ELBSecurityPolicy-2016-08",
            ),
        ],
        [
            res(LB, "alb"),
            res(LISTENER, "http", deps=("alb",), protocol="HTTP", defaultActions=TO_HTTPS),
            res(LISTENER, "https", deps=("alb",), protocol="HTTPS", sslPolicy=MODERN),
        ],
    ),
    "cloudfront-no-plain-http": ([cdn(HTTP_ACROSS_INTERNET)], [cdn(VIA_VPC_ORIGIN)]),
    "waf-protects-load-balancer": (
        [res(LB, "alb")],
        [res(LB, "alb"), res("aws:wafv2/webAclAssociation:WebAclAssociation", deps=("alb",))],
    ),
    "cognito-mfa": (
        [res(POOL, mfaConfiguration="OPTIONAL", softwareTokenMfaConfiguration={"enabled": True})],
        [res(POOL, mfaConfiguration="ON", softwareTokenMfaConfiguration={"enabled": True})],
    ),
    "service-role-names-its-source": (
        [res(ROLE, assumeRolePolicy=trust({"StringEquals": {"aws:PrincipalAccount": "1"}}))],
        [
            res(ROLE, assumeRolePolicy=trust({"StringEquals": {"aws:SourceAccount": "1"}})),
            res(ROLE, "arn", assumeRolePolicy=trust({"ArnLike": {"aws:SourceArn": "arn:*"}})),
        ],
    ),
    "log-groups-kms-encrypted": (
        [res(LOG_GROUP, retentionInDays=30)],
        [res(LOG_GROUP, retentionInDays=30, kmsKeyId="arn:aws:kms:eu-west-2:1:key/k")],
    ),
    "log-retention-set": (
        [res("aws:cloudwatch/logGroup:LogGroup")],
        [res("aws:cloudwatch/logGroup:LogGroup", retentionInDays=30)],
    ),
    "required-tags": (
        [res("aws:ec2/vpc:Vpc", tags={"environment": "dev"})],
        [res("aws:ec2/vpc:Vpc", tags={"Name": "main", "environment": "prod"})],
    ),
    "aws-api-constraints": (
        [res(SG, description="PostgreSQL from the app's tasks only")],
        [res(SG, description="PostgreSQL from the app tasks only")],
    ),
}
RULE = {rule.name: rule for rule in RULES}


def messages(rule_name: str, resources: list[Resource], tier: str = "prod") -> list[str]:
    return [v.message for v in RULE[rule_name].violations(resources, REQUIREMENTS[tier])]


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULE)


@pytest.mark.parametrize("rule_name", CASES)
def test_rule_fires_on_violation_and_passes_compliance(rule_name):
    violating, compliant = CASES[rule_name]
    assert messages(rule_name, violating), "the rule did not fire"
    assert messages(rule_name, compliant) == []


# --- the wrapper the CLI runs ----------------------------------------------------------
# Inputs that refer to resources not created yet are unknown during a preview.
UNKNOWN_DURING_PREVIEW = ("bucket", "loadBalancerArn", "securityGroupId", "subnetId", "vpcId")
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def as_cli(resource: Resource) -> dict:
    """The resource's fields as the CLI hands them over: a lazy mapping that raises on
    reading an unknown value."""
    props = {**resource.props, **dict.fromkeys(UNKNOWN_DURING_PREVIEW, UNKNOWN_STRING_VALUE)}
    provider = PolicyProviderResource(PROVIDER.type, PROVIDER.props, PROVIDER.urn, PROVIDER.name)
    return {
        "resource_type": resource.type,
        "props": unknown_checking_proxy(props),
        "urn": resource.urn,
        "name": resource.name,
        "opts": OPTIONS,
        "provider": provider,
    }


def cli_violations(rule_name: str, resources: list[Resource], config: dict | None) -> list[str]:
    policy = RULE[rule_name].policy()
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:
            policy.validate(ResourceValidationArgs(**as_cli(resource), config=config), report)
    else:
        by_urn = {r.urn: PolicyResource(**as_cli(r), parent=None, dependencies=[],
                                        property_dependencies={}) for r in resources}  # fmt: skip
        for resource in resources:
            by_urn[resource.urn].dependencies.extend(
                by_urn[d] for d in sorted(resource.dependencies) if d in by_urn
            )
        policy.validate(StackValidationArgs(list(by_urn.values()), config), report)
    return found


@pytest.mark.parametrize("rule_name", CASES)
def test_policy_wrapper_gives_the_same_verdict_without_reading_unknowns(rule_name):
    violating, compliant = CASES[rule_name]
    assert cli_violations(rule_name, violating, {"tier": "prod"})
    assert cli_violations(rule_name, compliant, {"tier": "prod"}) == []


def test_without_config_a_stack_gets_prods_requirements():
    assert tier_of(None) == tier_of({}) == REQUIREMENTS["prod"]
    dev_service = [res(SERVICE, desiredCount=1)]
    assert cli_violations("ecs-service-redundant", dev_service, None)
    assert cli_violations("ecs-service-redundant", dev_service, {"tier": "dev"}) == []


def test_aws_api_constraints_skip_values_unknown_during_a_preview():
    """An unknown value is skipped on its own; the known ones beside it are still checked."""
    rule = RULE["aws-api-constraints"].policy()
    found: list[str] = []
    for description, expected in ((UNKNOWN_STRING_VALUE, 0), ("the app's tasks", 1)):
        props = {"description": description, "ingress": [{"description": UNKNOWN_STRING_VALUE}]}
        args = as_cli(res(SG, **props)) | {"props": unknown_checking_proxy(props)}
        rule.validate(
            ResourceValidationArgs(**args, config=None), lambda m, u=None: found.append(m)
        )
        assert len(found) == expected
    assert found[0].startswith('description "the app\'s tasks" does not match')


def test_aws_api_constraints_check_the_providers_default_tags():
    bad = Resource(
        "pulumi:providers:aws", "aws", "urn:p", {"defaultTags": '{"tags": {"a": "b\'s"}}'}
    )
    assert messages("aws-api-constraints", [bad])
    assert messages("aws-api-constraints", [PROVIDER]) == []


# --- tiers -----------------------------------------------------------------------------
def test_dev_may_save_what_its_profile_saves():
    db = res(RDS, **{**GOOD_DB, "multiAz": False, "deletionProtection": False,
                     "backupRetentionPeriod": 1})  # fmt: skip
    for rule in ("rds-multi-az", "rds-deletion-protection", "rds-backup-retention"):
        assert messages(rule, [db], "dev") == []
    assert messages("ecs-service-redundant", [res(SERVICE, desiredCount=1)], "dev") == []
    assert messages("nat-gateway-per-zone", network("aa"), "dev") == []
    assert messages("waf-protects-load-balancer", [res(LB)], "dev") == []
    optional = res(
        POOL, mfaConfiguration="OPTIONAL", softwareTokenMfaConfiguration={"enabled": True}
    )
    assert messages("cognito-mfa", [optional], "dev") == []
    assert messages("cognito-mfa", [optional], "staging") == []


def test_mfa_on_needs_an_authenticator_app_in_every_tier():
    no_totp = res(POOL, mfaConfiguration="ON")
    assert messages("cognito-mfa", [no_totp], "dev") == [
        "mfaConfiguration is ON but softwareTokenMfaConfiguration is not enabled"
    ]
    assert messages("cognito-mfa", [res(POOL, mfaConfiguration="OFF")], "dev") == []
    assert messages("cognito-mfa", [res(POOL)], "prod") == [
        "mfaConfiguration is OFF; this tier needs ON (an authenticator app code)"
    ]


def test_dev_may_keep_its_logs_under_aws_managed_encryption():
    plain = [res(LOG_GROUP, retentionInDays=14)]
    assert messages("log-groups-kms-encrypted", plain, "dev") == []
    assert messages("log-groups-kms-encrypted", plain, "staging")


def test_only_roles_trusted_by_a_service_need_a_source_condition():
    unconditioned_service = res(ROLE, assumeRolePolicy=trust(None))
    assert messages("service-role-names-its-source", [unconditioned_service]) == [
        "trusted by ecs-tasks.amazonaws.com with no aws:SourceAccount or aws:SourceArn condition"
    ]
    # A CI role trusted by an OIDC provider is scoped by its own conditions (ci_access.py).
    federated = trust(None, principal={"Federated": "arn:aws:iam::1:oidc-provider/x"})
    assert messages("service-role-names-its-source", [res(ROLE, assumeRolePolicy=federated)]) == []


def test_staging_rehearses_prod_but_may_share_a_nat_gateway():
    assert messages("rds-multi-az", [res(RDS, **{**GOOD_DB, "multiAz": False})], "staging")
    assert messages("ecs-service-redundant", [res(SERVICE, desiredCount=1)], "staging")
    assert messages("nat-gateway-per-zone", network("aa"), "staging") == []
    assert messages("rds-backup-retention", [res(RDS, **{**GOOD_DB, "backupRetentionPeriod": 7})],
                    "staging") == []  # fmt: skip
    assert messages(
        "rds-backup-retention", [res(RDS, **{**GOOD_DB, "backupRetentionPeriod": 0})], "dev"
    )


# --- no plain HTTP on a public network --------------------------------------------------
def test_internal_load_balancer_may_serve_http_to_its_vpc_origin():
    internal = [
        res(LB, "alb", internal=True),
        res(LISTENER, "http", deps=("alb",), protocol="HTTP", defaultActions=FORWARD),
    ]
    assert messages("alb-https-only", internal) == []


def test_internet_facing_http_that_forwards_behind_a_header_check_fails():
    """The old no-domain shape: CloudFront-only ingress and a secret header still left the
    app reachable over plain HTTP on a public address."""
    old_edge = [
        res(LB, "alb"),
        res(LISTENER, "http", deps=("alb",), protocol="HTTP",
            defaultActions=[{"type": "fixed-response"}]),
        res(LISTENER_RULE, "from-cdn", deps=("http",), actions=FORWARD),
        cdn(HTTP_ACROSS_INTERNET),
    ]  # fmt: skip
    found = messages("alb-https-only", old_edge)
    assert any("forwards plain HTTP from the internet" in m for m in found)
    assert "internet-facing with no HTTPS listener" in found
    assert messages("cloudfront-no-plain-http", old_edge)


@pytest.mark.parametrize(
    ("origin", "viewer"),
    [
        (HTTP_ACROSS_INTERNET, "redirect-to-https"),
        ({"customOriginConfig": {"originProtocolPolicy": "match-viewer"}}, "redirect-to-https"),
        (VIA_VPC_ORIGIN, "allow-all"),
    ],
    ids=["http-only-origin", "match-viewer-origin", "viewers-may-use-http"],
)
def test_cloudfront_fails_on_plain_http_across_the_internet(origin, viewer):
    assert messages("cloudfront-no-plain-http", [cdn(origin, viewer)])


@pytest.mark.parametrize(
    "origin",
    [VIA_VPC_ORIGIN, {"customOriginConfig": {"originProtocolPolicy": "https-only"}}, {}],
    ids=["vpc-origin", "https-only-custom-origin", "s3-origin"],
)
def test_cloudfront_passes_https_and_vpc_origins(origin):
    assert messages("cloudfront-no-plain-http", [cdn(origin)]) == []


def test_an_internal_load_balancer_behind_a_vpc_origin_needs_a_waf_too():
    origin_of = [res(LB, "alb", internal=True), res(VPC_ORIGIN, "origin", deps=("alb",))]
    assert messages("waf-protects-load-balancer", origin_of)
    assert messages("waf-protects-load-balancer", [res(LB, "alb", internal=True)]) == []


def test_web_ports_may_face_the_internet():
    web = [res(INGRESS, f"in-{p}", cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=p, toPort=p)
           for p in (80, 443)]  # fmt: skip
    assert messages("no-admin-ports-from-internet", web) == []


def test_missing_default_tags_are_reported_once_per_provider():
    bare = Resource("pulumi:providers:aws", "aws", "urn:bare", {"defaultTags": "{}"})
    vpcs = [Resource("aws:ec2/vpc:Vpc", n, f"urn:{n}", {}, provider=bare) for n in "ab"]
    assert messages("required-tags", vpcs) == ["defaultTags lack project, environment, managed-by"]
    assert messages("required-tags", [Resource("aws:ec2/vpc:Vpc", "v", "urn:v", {})])
    not_taggable = Resource("aws:iam/rolePolicy:RolePolicy", "p", "urn:p", {}, provider=bare)
    assert messages("required-tags", [not_taggable]) == []


# --- the tier of each stack, and the synthesized stacks --------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_is_held_to_the_tier_project_yaml_gives_it(stack):
    """No config per stack: the tier comes from the stack named in the resources' URNs."""
    urn = f"urn:pulumi:{stack}::desk::aws:ecs/service:Service::service-service"
    assert tier_of(None, urn) == REQUIREMENTS[load_facts().tier_of(stack)]
    service = Resource(SERVICE, "service-service", urn, {"desiredCount": 1}, provider=PROVIDER)
    found = cli_violations("ecs-service-redundant", [service], None)
    assert bool(found) == (REQUIREMENTS[load_facts().tier_of(stack)].min_tasks > 1)


def test_a_stack_project_yaml_does_not_know_gets_prods_requirements():
    assert (
        tier_of(None, "urn:pulumi:sandbox::desk::aws:ecs/service:Service::s")
        == REQUIREMENTS["prod"]
    )


def aws_class(type_: str) -> type:
    module, name = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    return getattr(importlib.import_module(f"pulumi_aws.{module}"), name)


def test_taggable_types_match_pulumi_aws_and_cover_the_stacks():
    def taggable(type_: str) -> bool:
        return "tags" in inspect.signature(aws_class(type_)._internal_init).parameters

    assert all(taggable(t) for t in TAGGABLE_TYPES)
    used = {
        r["type"]
        for stack in STACKS
        for r in model_of(stack)["resources"]
        if r["type"].startswith("aws:")
    }
    assert {t for t in used if taggable(t)} <= TAGGABLE_TYPES


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_stacks_have_no_violations(stack):
    result = evaluate(model_of(stack), load_facts().tier_of(stack))
    assert {rule: found for rule, found in result.items() if found} == {}


@pytest.mark.parametrize(
    "domain", ["", "desk.example-training.co.uk"], ids=["cloudfront", "domain"]
)
def test_both_ways_in_have_no_violations(domain):
    result = evaluate(model_of("prod", domain), "prod")
    assert {rule: found for rule, found in result.items() if found} == {}
