"""Availability and security rules, checked on every preview (policy pack) and offline.

Each rule is a pure function over plain resources (type, name, urn, props, dependencies)
and the environment's tier, returning one message per violation. The same functions run
under `pulumi preview --policy-pack infra/policy` (see __main__.py) and in the tests over
the synthesized model, so a rule can never pass offline and fail in the pipeline.

The tier (dev, staging, prod) is read from the AWS provider's default `tier` tag, set by
stack.py from the environment profile; without it the strictest tier (prod) applies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

TIERS = ("dev", "staging", "prod")
REQUIRED_TAGS = ("project", "environment", "tier", "managed-by")
ADMIN_PORTS = (22, 3389, 5432, 3306, 1433, 6379, 27017)  # shells and databases
ANYWHERE = ("0.0.0.0/0", "::/0")
MODERN_TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2",
    "ELBSecurityPolicy-TLS-1-2",
    "ELBSecurityPolicy-FS-1-2",
)
MIN_BACKUP_DAYS = {"dev": 1, "staging": 7, "prod": 7}


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    props: dict
    dependencies: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[list[Resource], str], Iterable[str]]


def of_type(resources: list[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r.type == type_]


def tier_of(resources: list[Resource]) -> str:
    for provider in of_type(resources, "pulumi:providers:aws"):
        tags = provider.props.get("defaultTags") or {}
        if isinstance(tags, str):  # providers receive nested inputs as JSON text
            tags = json.loads(tags)
        tier = (tags.get("tags") or {}).get("tier")
        if tier in TIERS:
            return tier
    return "prod"


# --- availability -----------------------------------------------------------------------
def subnets_span_zones(resources, tier):
    zones = {s.props.get("availabilityZone") for s in of_type(resources, "aws:ec2/subnet:Subnet")}
    if len(zones) < 2:
        yield f"subnets use {len(zones)} availability zone(s); use at least 2"


def nat_gateway_per_zone_in_prod(resources, tier):
    if tier != "prod":
        return
    private_zones = {
        s.props.get("availabilityZone")
        for s in of_type(resources, "aws:ec2/subnet:Subnet")
        if (s.props.get("tags") or {}).get("network-tier") == "private"
    }
    nats = of_type(resources, "aws:ec2/natGateway:NatGateway")
    if len(nats) < len(private_zones):
        yield f"{len(nats)} NAT gateway(s) for private subnets in {len(private_zones)} zones"


def ecs_runs_several_tasks(resources, tier):
    if tier == "dev":
        return
    for service in of_type(resources, "aws:ecs/service:Service"):
        if (service.props.get("desiredCount") or 0) < 2:
            yield f"{service.name}: desiredCount {service.props.get('desiredCount')}; use 2 or more"


def ecs_circuit_breaker(resources, tier):
    for service in of_type(resources, "aws:ecs/service:Service"):
        breaker = service.props.get("deploymentCircuitBreaker") or {}
        if not (breaker.get("enable") and breaker.get("rollback")):
            yield f"{service.name}: deployment circuit breaker with rollback is off"


def rds_multi_az(resources, tier):
    if tier == "dev":
        return
    for db in of_type(resources, "aws:rds/instance:Instance"):
        if not db.props.get("multiAz"):
            yield f"{db.name}: not Multi-AZ in {tier}"


def rds_backups(resources, tier):
    for db in of_type(resources, "aws:rds/instance:Instance"):
        days = db.props.get("backupRetentionPeriod") or 0
        if days < MIN_BACKUP_DAYS[tier]:
            yield f"{db.name}: {days} day(s) of backups; {tier} needs {MIN_BACKUP_DAYS[tier]}"


def rds_deletion_protection_in_prod(resources, tier):
    if tier != "prod":
        return
    for db in of_type(resources, "aws:rds/instance:Instance"):
        if not db.props.get("deletionProtection"):
            yield f"{db.name}: deletion protection is off in prod"


# --- security ---------------------------------------------------------------------------
def rds_encrypted_and_private(resources, tier):
    for db in of_type(resources, "aws:rds/instance:Instance"):
        if not db.props.get("storageEncrypted"):
            yield f"{db.name}: storage is not encrypted"
        if db.props.get("publiclyAccessible"):
            yield f"{db.name}: publicly accessible"


def _covered(bucket: Resource, guards: list[Resource]) -> bool:
    return any(bucket.urn in guard.dependencies for guard in guards)


def s3_public_access_blocked(resources, tier):
    settings = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocks = of_type(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for block in blocks:
        if not all(block.props.get(s) for s in settings):
            yield f"{block.name}: all four public access settings must be true"
    for bucket in of_type(resources, "aws:s3/bucket:Bucket"):
        if not _covered(bucket, blocks):
            yield f"{bucket.name}: no public access block"


def s3_encrypted(resources, tier):
    configs = of_type(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    for bucket in of_type(resources, "aws:s3/bucket:Bucket"):
        if not _covered(bucket, configs):
            yield f"{bucket.name}: no server-side encryption configuration"


def _opens_admin_port(from_port, to_port, protocol) -> bool:
    if str(protocol) in ("-1", "all"):
        return True
    low, high = int(from_port or 0), int(to_port or 0)
    return any(low <= port <= high for port in ADMIN_PORTS)


def no_admin_ports_from_anywhere(resources, tier):
    for group in of_type(resources, "aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.props.get("ingress") or []:
            sources = (rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or [])
            if set(sources) & set(ANYWHERE) and _opens_admin_port(
                rule.get("fromPort"), rule.get("toPort"), rule.get("protocol")
            ):
                yield f"{group.name}: admin/database port open to the internet"
    for rule in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        p = rule.props
        if {p.get("cidrIpv4"), p.get("cidrIpv6")} & set(ANYWHERE) and _opens_admin_port(
            p.get("fromPort"), p.get("toPort"), p.get("ipProtocol")
        ):
            yield f"{rule.name}: admin/database port open to the internet"
    for rule in of_type(resources, "aws:ec2/securityGroupRule:SecurityGroupRule"):
        p = rule.props
        sources = (p.get("cidrBlocks") or []) + (p.get("ipv6CidrBlocks") or [])
        if (
            p.get("type") == "ingress"
            and set(sources) & set(ANYWHERE)
            and _opens_admin_port(p.get("fromPort"), p.get("toPort"), p.get("protocol"))
        ):
            yield f"{rule.name}: admin/database port open to the internet"


def users_reach_the_service_over_https(resources, tier):
    """HTTPS listeners use TLS 1.2+; an HTTP listener only redirects to HTTPS, unless it
    is the origin of a CloudFront distribution that redirects viewers to HTTPS and the
    listener refuses everything by default (only CloudFront's secret header is forwarded)."""
    https_edge = any(
        d.props.get("defaultCacheBehavior", {}).get("viewerProtocolPolicy")
        in ("redirect-to-https", "https-only")
        for d in of_type(resources, "aws:cloudfront/distribution:Distribution")
    )
    for listener in of_type(resources, "aws:lb/listener:Listener"):
        p = listener.props
        actions = p.get("defaultActions") or []
        if p.get("protocol") == "HTTPS":
            if not str(p.get("sslPolicy", "")).startswith(MODERN_TLS_POLICIES):
                yield f"{listener.name}: TLS policy {p.get('sslPolicy')!r} allows TLS below 1.2"
        elif all(
            a.get("type") == "redirect" and a.get("redirect", {}).get("protocol") == "HTTPS"
            for a in actions
        ) or (https_edge and all(a.get("type") == "fixed-response" for a in actions)):
            continue
        else:
            yield f"{listener.name}: plain HTTP that neither redirects to HTTPS nor sits behind HTTPS CloudFront"


def waf_where_users_are(resources, tier):
    if tier == "dev":
        return
    if of_type(resources, "aws:lb/loadBalancer:LoadBalancer") and not of_type(
        resources, "aws:wafv2/webAclAssociation:WebAclAssociation"
    ):
        yield f"no web ACL protects the load balancer in {tier}"


# --- operability ------------------------------------------------------------------------
def log_retention_set(resources, tier):
    for group in of_type(resources, "aws:cloudwatch/logGroup:LogGroup"):
        if not group.props.get("retentionInDays"):
            yield f"{group.name}: no retention (logs kept, and paid for, forever)"


def required_tags(resources, tier):
    providers = of_type(resources, "pulumi:providers:aws")
    if not providers:
        yield "no explicit AWS provider with default tags"
    for provider in providers:
        tags = provider.props.get("defaultTags") or {}
        if isinstance(tags, str):
            tags = json.loads(tags)
        missing = [t for t in REQUIRED_TAGS if t not in (tags.get("tags") or {})]
        if missing:
            yield f"{provider.name}: default tags miss {', '.join(missing)}"


RULES: list[Rule] = [
    Rule("subnets-span-zones", "Subnets in at least two availability zones, so one zone can fail.", subnets_span_zones),
    Rule("nat-gateway-per-zone-in-prod", "In prod, each zone with app subnets has its own NAT gateway.", nat_gateway_per_zone_in_prod),
    Rule("ecs-runs-several-tasks", "Outside dev, the service runs at least two tasks.", ecs_runs_several_tasks),
    Rule("ecs-circuit-breaker", "Failed deployments roll back automatically.", ecs_circuit_breaker),
    Rule("rds-multi-az", "Outside dev, the database has a standby in another zone.", rds_multi_az),
    Rule("rds-backups", "Automated backups are kept long enough for the tier.", rds_backups),
    Rule("rds-deletion-protection-in-prod", "Prod's database cannot be deleted by accident.", rds_deletion_protection_in_prod),
    Rule("rds-encrypted-and-private", "The database is encrypted at rest and not reachable from the internet.", rds_encrypted_and_private),
    Rule("s3-public-access-blocked", "Every bucket blocks public access.", s3_public_access_blocked),
    Rule("s3-encrypted", "Every bucket encrypts objects at rest.", s3_encrypted),
    Rule("no-admin-ports-from-anywhere", "No shell or database port is open to the internet.", no_admin_ports_from_anywhere),
    Rule("users-reach-the-service-over-https", "Users only ever talk to the service over HTTPS (TLS 1.2+).", users_reach_the_service_over_https),
    Rule("waf-where-users-are", "Outside dev, a web application firewall protects the load balancer.", waf_where_users_are),
    Rule("log-retention-set", "Every log group has a retention period.", log_retention_set),
    Rule("required-tags", "Every resource is tagged with project, environment, tier and managed-by.", required_tags),
]  # fmt: skip


def evaluate(resources: list[Resource]) -> dict[str, list[str]]:
    """Every rule's violations for one stack (empty lists when compliant)."""
    tier = tier_of(resources)
    return {rule.name: list(rule.check(resources, tier)) for rule in RULES}


def from_model(model: dict) -> list[Resource]:
    """The synthesized model's resources as the rules see them."""
    return [
        Resource(r["type"], r["name"], r["urn"], r["inputs"], frozenset(r["dependencies"]))
        for r in model["resources"]
    ]
