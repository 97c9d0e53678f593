"""Every policy rule fires on a violating resource, passes a compliant one, and the
synthesized stacks have no violations at all."""

from __future__ import annotations

import pytest

from policy.rules import RULES, Resource, evaluate, from_model, tier_of
from tests.conftest import STACKS, model_of


def res(type_: str, name: str = "r", deps: tuple[str, ...] = (), **props) -> Resource:
    return Resource(type_, name, f"urn:{name}", props, frozenset(deps))


def provider(tier: str, **tags: str) -> Resource:
    all_tags = {"project": "p", "environment": tier, "tier": tier, "managed-by": "pulumi", **tags}
    return res("pulumi:providers:aws", "aws", defaultTags={"tags": all_tags})


def violations(rule_name: str, resources: list[Resource]) -> list[str]:
    return evaluate(resources)[rule_name]


SUBNET = "aws:ec2/subnet:Subnet"
SERVICE = "aws:ecs/service:Service"
RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
LISTENER = "aws:lb/listener:Listener"
GOOD_DB = {"multiAz": True, "backupRetentionPeriod": 14, "deletionProtection": True,
           "storageEncrypted": True, "publiclyAccessible": False}  # fmt: skip
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

# rule name -> (violating resources, compliant resources), both in the prod tier unless set.
CASES = {
    "subnets-span-zones": (
        [res(SUBNET, "a", availabilityZone="z1"), res(SUBNET, "b", availabilityZone="z1")],
        [res(SUBNET, "a", availabilityZone="z1"), res(SUBNET, "b", availabilityZone="z2")],
    ),
    "nat-gateway-per-zone-in-prod": (
        [res(SUBNET, f"p{z}", availabilityZone=z, tags={"network-tier": "private"}) for z in "abc"]
        + [res("aws:ec2/natGateway:NatGateway", "n")],
        [res(SUBNET, f"p{z}", availabilityZone=z, tags={"network-tier": "private"}) for z in "abc"]
        + [res("aws:ec2/natGateway:NatGateway", f"n{z}") for z in "abc"],
    ),
    "ecs-runs-several-tasks": ([res(SERVICE, desiredCount=1)], [res(SERVICE, desiredCount=2)]),
    "ecs-circuit-breaker": (
        [res(SERVICE, deploymentCircuitBreaker={"enable": True, "rollback": False})],
        [res(SERVICE, deploymentCircuitBreaker={"enable": True, "rollback": True})],
    ),
    "rds-multi-az": ([res(RDS, **{**GOOD_DB, "multiAz": False})], [res(RDS, **GOOD_DB)]),
    "rds-backups": ([res(RDS, **{**GOOD_DB, "backupRetentionPeriod": 3})], [res(RDS, **GOOD_DB)]),
    "rds-deletion-protection-in-prod": (
        [res(RDS, **{**GOOD_DB, "deletionProtection": False})],
        [res(RDS, **GOOD_DB)],
    ),
    "rds-encrypted-and-private": (
        [res(RDS, **{**GOOD_DB, "storageEncrypted": False, "publiclyAccessible": True})],
        [res(RDS, **GOOD_DB)],
    ),
    "s3-public-access-blocked": (
        [
            res(BUCKET, "logs"),
            res(
                PUBLIC_ACCESS_BLOCK,
                "pab",
                deps=("urn:logs",),
                blockPublicAcls=True,
                blockPublicPolicy=False,
                ignorePublicAcls=True,
                restrictPublicBuckets=True,
            ),
        ],
        [
            res(BUCKET, "logs"),
            res(
                PUBLIC_ACCESS_BLOCK,
                "pab",
                deps=("urn:logs",),
                blockPublicAcls=True,
                blockPublicPolicy=True,
                ignorePublicAcls=True,
                restrictPublicBuckets=True,
            ),
        ],
    ),
    "s3-encrypted": (
        [res(BUCKET, "logs"), res(SSE, "sse", deps=("urn:other",))],
        [res(BUCKET, "logs"), res(SSE, "sse", deps=("urn:logs",))],
    ),
    "no-admin-ports-from-anywhere": (
        [
            res(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                cidrIpv4="0.0.0.0/0",
                ipProtocol="tcp",
                fromPort=22,
                toPort=22,
            )
        ],
        [
            res(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                cidrIpv4="0.0.0.0/0",
                ipProtocol="tcp",
                fromPort=443,
                toPort=443,
            )
        ],
    ),
    "users-reach-the-service-over-https": (
        [res(LISTENER, protocol="HTTP", defaultActions=[{"type": "forward"}])],
        [
            res(
                LISTENER,
                "http",
                protocol="HTTP",
                defaultActions=[{"type": "redirect", "redirect": {"protocol": "HTTPS"}}],
            ),
            res(
                LISTENER,
                "https",
                protocol="HTTPS",
                sslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                defaultActions=[{"type": "forward"}],
            ),
        ],
    ),
    "waf-where-users-are": (
        [res("aws:lb/loadBalancer:LoadBalancer")],
        [
            res("aws:lb/loadBalancer:LoadBalancer"),
            res("aws:wafv2/webAclAssociation:WebAclAssociation"),
        ],
    ),
    "log-retention-set": (
        [res("aws:cloudwatch/logGroup:LogGroup")],
        [res("aws:cloudwatch/logGroup:LogGroup", retentionInDays=30)],
    ),
}


def test_every_rule_has_a_case():
    assert set(CASES) | {"required-tags"} == {rule.name for rule in RULES}


@pytest.mark.parametrize("rule_name", sorted(CASES))
def test_rule_fires_on_violation_and_passes_compliance(rule_name):
    violating, compliant = CASES[rule_name]
    assert violations(rule_name, [provider("prod"), *violating]), "the rule did not fire"
    assert violations(rule_name, [provider("prod"), *compliant]) == []


def test_required_tags_rule():
    assert violations("required-tags", []) == ["no explicit AWS provider with default tags"]
    missing = res("pulumi:providers:aws", "aws", defaultTags='{"tags": {"project": "p"}}')
    assert violations("required-tags", [missing]) == [
        "aws: default tags miss environment, tier, managed-by"
    ]
    assert violations("required-tags", [provider("prod")]) == []


def test_dev_is_allowed_what_its_profile_saves():
    dev_db = res(RDS, **{**GOOD_DB, "multiAz": False, "deletionProtection": False,
                         "backupRetentionPeriod": 1})  # fmt: skip
    result = evaluate([provider("dev"), dev_db, res(SERVICE, desiredCount=1,
                       deploymentCircuitBreaker={"enable": True, "rollback": True})])  # fmt: skip
    assert result["rds-multi-az"] == result["ecs-runs-several-tasks"] == []
    assert result["rds-deletion-protection-in-prod"] == result["rds-backups"] == []


def test_http_origin_is_fine_only_behind_https_cloudfront():
    origin = res(LISTENER, protocol="HTTP", defaultActions=[{"type": "fixed-response"}])
    cdn = res("aws:cloudfront/distribution:Distribution",
              defaultCacheBehavior={"viewerProtocolPolicy": "redirect-to-https"})  # fmt: skip
    rule = "users-reach-the-service-over-https"
    assert violations(rule, [provider("prod"), origin, cdn]) == []
    assert violations(rule, [provider("prod"), origin])


def test_tier_defaults_to_the_strictest():
    assert tier_of([]) == "prod"
    assert tier_of([provider("staging")]) == "staging"


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_stacks_have_no_violations(stack):
    result = evaluate(from_model(model_of(stack)))
    assert {name: msgs for name, msgs in result.items() if msgs} == {}


def test_domain_variant_has_no_violations():
    result = evaluate(from_model(model_of("prod", "desk.example-training.co.uk")))
    assert {name: msgs for name, msgs in result.items() if msgs} == {}
