"""Availability and security rules, enforced on every `pulumi preview` and checked offline.

Each rule is a pure function over plain data (a Resource: type, name, URN, input props with
Pulumi's camelCase names, dependencies) and the tier's requirements. `Rule.policy()` wraps
it for the Pulumi CLI (__main__.py builds the pack from RULES); the tests and `evaluate()`
call the same functions on hand-written resources and on the synthesized model, so a rule
cannot pass offline and fail in the pipeline.

Two things shape how the rules read resources:
- During a preview, values that depend on resources not yet created (IDs, ARNs) are
  unknown, and reading one makes the CLI skip the whole rule. So rules join resources by
  their dependencies (a public access block depends on its bucket), never by those IDs.
- The tier (dev, staging, prod) is the one project.yaml gives the stack named in each
  resource's URN, so nothing per stack is kept by hand. A stack project.yaml does not
  know is held to prod's requirements: a forgotten entry fails loudly instead of
  letting prod off lightly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from project_facts import Guarantees
from project_facts import load as load_facts
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from aws_constraints import CHECKED_TYPES, resource_findings

# What each tier guarantees: one table in project.yaml, shared with the environment
# profiles and the inspection (project_facts).
FACTS = load_facts()
REQUIREMENTS: dict[str, Guarantees] = FACTS.tiers
TIERS = tuple(REQUIREMENTS)
STRICTEST_TIER = "prod"
TIER_CONFIG = PolicyConfigSchema(
    properties={"tier": {"type": "string", "enum": list(TIERS), "default": STRICTEST_TIER}}
)

SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ECS_SERVICE = "aws:ecs/service:Service"
RDS_INSTANCE = "aws:rds/instance:Instance"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
SECURITY_GROUPS = (
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
)
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
USER_POOL = "aws:cognito/userPool:UserPool"

ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})
# Ports that must never face the internet: remote shells and data stores (project.yaml).
ADMIN_PORTS = FACTS.closed_to_internet
ALL_PROTOCOLS = ("-1", "all")
NO_PORTS = ("icmp", "icmpv6", "1", "58")  # ICMP rules carry types and codes, not ports
# ELB security policies whose lowest TLS version is 1.2 or 1.3.
MODERN_TLS = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-")
HTTPS_VIEWERS = ("redirect-to-https", "https-only")
REQUIRED_TAGS = ("project", "environment", "managed-by")
# Types the stacks use that accept tags (pulumi_aws resources with a `tags` input);
# tests/test_policy_rules.py checks the list against pulumi_aws and the synthesized stacks.
TAGGABLE_TYPES = frozenset(
    {
        "aws:acm/certificate:Certificate",
        "aws:appautoscaling/target:Target",
        "aws:cloudfront/distribution:Distribution",
        "aws:cloudfront/vpcOrigin:VpcOrigin",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cognito/userPool:UserPool",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/eip:Eip",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/service:Service",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:fis/experimentTemplate:ExperimentTemplate",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:rds/instance:Instance",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:s3/bucket:Bucket",
        "aws:secretsmanager/secret:Secret",
        "aws:sns/topic:Topic",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:wafv2/webAcl:WebAcl",
    }
)


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it, whether it came from the CLI or the model."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    dependencies: frozenset[str] = frozenset()
    provider: Resource | None = None  # the provider that manages it (carries default tags)


class Violation(NamedTuple):
    urn: str | None  # None: the stack as a whole
    message: str


ResourceCheck = Callable[[Resource, Guarantees], Iterable[str]]
StackCheck = Callable[[list[Resource], Guarantees], Iterable[Violation]]


def of_type(resources: Iterable[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def depending_on(resources: Iterable[Resource], target: Resource, *types: str) -> list[Resource]:
    return [r for r in of_type(resources, *types) if target.urn in r.dependencies]


# --- availability ---------------------------------------------------------------------
def zone_of(subnet: Resource) -> str | None:
    return subnet.props.get("availabilityZone") or subnet.props.get("availabilityZoneId")


def subnets_span_zones(resources: list[Resource], tier: Guarantees) -> Iterator[Violation]:
    zones = {zone_of(subnet) for subnet in of_type(resources, SUBNET)}
    if zones and len(zones) < tier.min_zones:
        yield Violation(
            None,
            f"subnets in {len(zones)} zone(s) ({', '.join(sorted(map(str, zones)))}); this tier "
            f"needs {tier.min_zones}, so the service survives a zone outage",
        )


def nat_gateway_per_zone(resources: list[Resource], tier: Guarantees) -> Iterator[Violation]:
    """Follows each subnet's route table to the NAT gateways it sends traffic out through:
    a subnet using a NAT gateway in another zone loses its way out when that zone fails."""
    if not tier.nat_gateway_per_zone:
        return
    subnets = {s.urn: s for s in of_type(resources, SUBNET)}
    nat_zones = {
        nat.urn: {zone_of(subnets[d]) for d in nat.dependencies if d in subnets}
        for nat in of_type(resources, NAT_GATEWAY)
    }
    # Routes are inline on the table or separate Route resources.
    nats_of_table = {
        t.urn: t.dependencies & nat_zones.keys() for t in of_type(resources, ROUTE_TABLE)
    }
    for route in of_type(resources, ROUTE):
        for table in route.dependencies & nats_of_table.keys():
            nats_of_table[table] |= route.dependencies & nat_zones.keys()
    for association in of_type(resources, ROUTE_TABLE_ASSOCIATION):
        for table in association.dependencies & nats_of_table.keys():
            zones_out = set().union(*(nat_zones[nat] for nat in nats_of_table[table]))
            for subnet in (subnets[s] for s in association.dependencies & subnets.keys()):
                if zones_out and zone_of(subnet) not in zones_out:
                    yield Violation(
                        subnet.urn,
                        f"in {zone_of(subnet)} but reaches the internet through a NAT gateway "
                        f"in {', '.join(sorted(map(str, zones_out)))}; give each zone its own",
                    )


def ecs_service_redundant(service: Resource, tier: Guarantees) -> Iterator[str]:
    tasks = service.props.get("desiredCount") or 0
    if tasks < tier.min_tasks:
        yield f"desiredCount is {tasks:g}; this tier needs at least {tier.min_tasks} tasks"


def ecs_circuit_breaker(service: Resource, _: Guarantees) -> Iterator[str]:
    breaker = service.props.get("deploymentCircuitBreaker") or {}
    if not (breaker.get("enable") and breaker.get("rollback")):
        yield "deploymentCircuitBreaker needs enable and rollback set to true"


def rds_multi_az(db: Resource, tier: Guarantees) -> Iterator[str]:
    if tier.db_multi_az and not db.props.get("multiAz"):
        yield "multiAz is off: no standby to fail over to"


def rds_backup_retention(db: Resource, tier: Guarantees) -> Iterator[str]:
    days = db.props.get("backupRetentionPeriod") or 0
    if days < tier.min_backup_days:
        yield f"backupRetentionPeriod is {days:g} days; this tier needs {tier.min_backup_days}"


def rds_deletion_protection(db: Resource, tier: Guarantees) -> Iterator[str]:
    if tier.db_deletion_protection and not db.props.get("deletionProtection"):
        yield "deletionProtection is off"


# --- security --------------------------------------------------------------------------
def cognito_mfa(pool: Resource, tier: Guarantees) -> Iterator[str]:
    mode = pool.props.get("mfaConfiguration") or "OFF"
    if tier.mfa_required and mode != "ON":
        yield f"mfaConfiguration is {mode}; this tier needs ON (an authenticator app code)"
    totp = (pool.props.get("softwareTokenMfaConfiguration") or {}).get("enabled")
    if mode != "OFF" and not totp:
        yield f"mfaConfiguration is {mode} but softwareTokenMfaConfiguration is not enabled"


def rds_storage_encrypted(db: Resource, _: Guarantees) -> Iterator[str]:
    if not db.props.get("storageEncrypted"):
        yield "storageEncrypted is off"


def rds_not_public(db: Resource, _: Guarantees) -> Iterator[str]:
    if db.props.get("publiclyAccessible"):
        yield "publiclyAccessible is on"


def s3_public_access_blocked(resources: list[Resource], _: Guarantees) -> Iterator[Violation]:
    settings = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in of_type(resources, *BUCKETS):
        blocks = depending_on(resources, bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield Violation(bucket.urn, "no BucketPublicAccessBlock")
        for block in blocks:
            off = [s for s in settings if not block.props.get(s)]
            if off:
                yield Violation(block.urn, f"{', '.join(off)} must be true")


def s3_encryption_configured(resources: list[Resource], _: Guarantees) -> Iterator[Violation]:
    for bucket in of_type(resources, *BUCKETS):
        configs = depending_on(resources, bucket, *BUCKET_ENCRYPTION)
        if not (configs or bucket.props.get("serverSideEncryptionConfiguration")):
            yield Violation(bucket.urn, "no BucketServerSideEncryptionConfiguration")


class Ingress(NamedTuple):
    """One ingress permission, whichever resource type declared it."""

    cidrs: frozenset[str]
    protocol: str
    from_port: int | None
    to_port: int | None

    def covers(self, port: int) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        if self.protocol in NO_PORTS:
            return False
        low = 0 if self.from_port is None else int(self.from_port)
        high = 65535 if self.to_port is None else int(self.to_port)
        return low <= port <= high

    @property
    def from_internet(self) -> bool:
        return bool(self.cidrs & ANYWHERE)


def ingress_of(resource: Resource) -> list[Ingress]:
    """Security groups take rules inline or as separate resources (two generations)."""
    p = resource.props
    if resource.type in SECURITY_GROUPS:
        return [
            Ingress(
                frozenset([*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or [])]),
                str(r.get("protocol")).lower(),
                r.get("fromPort"),
                r.get("toPort"),
            )
            for r in p.get("ingress") or []
        ]
    if resource.type == SECURITY_GROUP_RULE and p.get("type") == "ingress":
        cidrs = [*(p.get("cidrBlocks") or []), *(p.get("ipv6CidrBlocks") or [])]
        return [
            Ingress(
                frozenset(cidrs),
                str(p.get("protocol")).lower(),
                p.get("fromPort"),
                p.get("toPort"),
            )
        ]
    if resource.type == INGRESS_RULE:
        cidrs = [c for c in (p.get("cidrIpv4"), p.get("cidrIpv6")) if c]
        return [
            Ingress(
                frozenset(cidrs),
                str(p.get("ipProtocol")).lower(),
                p.get("fromPort"),
                p.get("toPort"),
            )
        ]
    return []


def no_admin_ports_from_internet(resource: Resource, _: Guarantees) -> Iterator[str]:
    """Web ports (80, 443) may face the internet; shells, databases and "everything" not."""
    for rule in ingress_of(resource):
        if not rule.from_internet:
            continue
        if rule.protocol in ALL_PROTOCOLS:
            yield f"all traffic is open to {', '.join(sorted(rule.cidrs & ANYWHERE))}"
            continue
        for port, service in ADMIN_PORTS.items():
            if rule.covers(port):
                yield f"{service} ({port}) is open to {', '.join(sorted(rule.cidrs & ANYWHERE))}"


def redirects_to_https(listener: Resource) -> bool:
    actions = listener.props.get("defaultActions") or []
    return bool(actions) and all(
        a.get("type") == "redirect" and (a.get("redirect") or {}).get("protocol") == "HTTPS"
        for a in actions
    )


def forwards(actions: Iterable[Mapping[str, Any]] | None) -> bool:
    """Whether requests reach a target group: a forward action (sign-in actions come
    before one). Redirects and fixed responses serve none of the app's content."""
    return any(a.get("type") == "forward" for a in actions or [])


def internet_facing(lb: Resource) -> bool:
    return not lb.props.get("internal")


def alb_https_only(resources: list[Resource], _: Guarantees) -> Iterator[Violation]:
    """No plain HTTP reaches the app from the internet. An internet-facing ALB (the custom
    domain shape) serves HTTPS with TLS 1.2 or later, and plain HTTP may only redirect to
    HTTPS: no HTTP listener, or listener rule, forwards to the app. An internal ALB has no
    public address: without a domain, CloudFront reaches it through a VPC origin (see
    cloudfront-no-plain-http), so it is not judged here."""
    for lb in of_type(resources, *LOAD_BALANCERS):
        if not internet_facing(lb) or lb.props.get("loadBalancerType", "application") != (
            "application"
        ):
            continue
        listeners = depending_on(resources, lb, *LISTENERS)
        for listener in listeners:
            protocol = listener.props.get("protocol")
            if protocol == "HTTPS":
                policy = listener.props.get("sslPolicy") or "(AWS default)"
                if not MODERN_TLS.match(policy):
                    yield Violation(listener.urn, f"sslPolicy {policy} allows TLS below 1.2")
                continue
            rules = depending_on(resources, listener, *LISTENER_RULES)
            if forwards(listener.props.get("defaultActions")) or any(
                forwards(rule.props.get("actions")) for rule in rules
            ):
                yield Violation(
                    listener.urn,
                    f"forwards plain {protocol} from the internet to the app; "
                    "redirect it to HTTPS instead",
                )
            elif not redirects_to_https(listener):
                yield Violation(listener.urn, f"plain {protocol} that does not redirect to HTTPS")
        if not any(listener.props.get("protocol") == "HTTPS" for listener in listeners):
            yield Violation(lb.urn, "internet-facing with no HTTPS listener")


def cloudfront_no_plain_http(resources: list[Resource], _: Guarantees) -> Iterator[Violation]:
    """CloudFront speaks HTTPS on both public legs: viewers are sent to HTTPS in every
    cache behaviour, and a custom origin (reached across the internet) only over HTTPS. A
    VPC origin (an internal load balancer or instance, reached inside AWS's network) and
    an S3 origin (always HTTPS) are fine."""
    for distribution in of_type(resources, DISTRIBUTION):
        p = distribution.props
        behaviours = [p.get("defaultCacheBehavior") or {}, *(p.get("orderedCacheBehaviors") or [])]
        for behaviour in behaviours:
            viewer = behaviour.get("viewerProtocolPolicy")
            if viewer not in HTTPS_VIEWERS:
                yield Violation(
                    distribution.urn,
                    f"viewerProtocolPolicy {viewer} lets viewers use plain HTTP; "
                    "use redirect-to-https",
                )
        for origin in p.get("origins") or []:
            custom = origin.get("customOriginConfig")
            policy = (custom or {}).get("originProtocolPolicy")
            if custom and policy != "https-only":
                yield Violation(
                    distribution.urn,
                    f"origin {origin.get('originId')} is a custom origin with "
                    f"originProtocolPolicy {policy}: plain HTTP across the internet; use "
                    "https-only, or a VPC origin for an internal load balancer",
                )


def waf_protects_load_balancer(resources: list[Resource], tier: Guarantees) -> Iterator[Violation]:
    if not tier.waf:
        return
    for lb in of_type(resources, *LOAD_BALANCERS):
        # An internal load balancer is reached from the internet only as a VPC origin.
        if not internet_facing(lb) and not depending_on(resources, lb, VPC_ORIGIN):
            continue
        on_cloudfront = any(
            d.props.get("webAclId") for d in depending_on(resources, lb, DISTRIBUTION)
        )
        if not (depending_on(resources, lb, WEB_ACL_ASSOCIATION) or on_cloudfront):
            yield Violation(lb.urn, "no web ACL (WAF) in front of it")


def service_role_names_its_source(role: Resource, _: Guarantees) -> Iterator[str]:
    """A role an AWS service assumes names the account (aws:SourceAccount) or the resources
    (aws:SourceArn) it acts for: otherwise the service could be made to use it for another
    account's resources (the confused deputy)."""
    policy = role.props.get("assumeRolePolicy") or "{}"
    if isinstance(policy, str):
        policy = json.loads(policy)
    statements = policy.get("Statement") or []
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, Mapping) else None
        if statement.get("Effect") != "Allow" or not services:
            continue
        keys = {key.lower() for test in (statement.get("Condition") or {}).values() for key in test}
        if not keys & {"aws:sourceaccount", "aws:sourcearn"}:
            names = ", ".join([services] if isinstance(services, str) else services)
            yield f"trusted by {names} with no aws:SourceAccount or aws:SourceArn condition"


def log_groups_kms_encrypted(group: Resource, tier: Guarantees) -> Iterator[str]:
    if tier.logs_kms_encrypted and not group.props.get("kmsKeyId"):
        yield "kmsKeyId is not set; this tier encrypts logs with the environment's own key"


# --- operability -----------------------------------------------------------------------
def log_retention_set(group: Resource, _: Guarantees) -> Iterator[str]:
    if not group.props.get("retentionInDays"):
        yield "retentionInDays is not set: logs are kept, and billed, forever"


def default_tags(provider: Resource) -> Mapping[str, Any]:
    tags = provider.props.get("defaultTags") or {}
    if isinstance(tags, str):  # providers receive nested settings as JSON text
        tags = json.loads(tags)
    return tags.get("tags") or {}


def required_tags(resources: list[Resource], _: Guarantees) -> Iterator[Violation]:
    """The tags come from the AWS provider's defaultTags (one place, every resource), so
    check the provider of every taggable resource, and that no resource overrides them."""
    taggable = of_type(resources, *TAGGABLE_TYPES)
    providers = {r.provider.urn: r.provider for r in taggable if r.provider}
    for urn, provider in providers.items():
        missing = [tag for tag in REQUIRED_TAGS if not default_tags(provider).get(tag)]
        if missing:
            yield Violation(urn, f"defaultTags lack {', '.join(missing)}")
    for resource in taggable:
        if resource.provider is None:
            yield Violation(resource.urn, "created without an AWS provider that sets defaultTags")
            continue
        defaults = default_tags(resource.provider)
        own = resource.props.get("tags") or {}
        for tag in REQUIRED_TAGS:
            if tag in own and defaults.get(tag) and own[tag] != defaults[tag]:
                yield Violation(
                    resource.urn, f"overrides tag {tag}={defaults[tag]!r} with {own[tag]!r}"
                )


# --- AWS's own API constraints ---------------------------------------------------------
def known_values(value: Any) -> Any:
    """The CLI's lazy props as plain data; a value unknown during a preview becomes None,
    so one unknown input skips only itself, not the whole check."""
    if isinstance(value, Mapping):
        plain = {}
        for key in value:
            try:
                plain[key] = known_values(value[key])
            except UnknownValueError:
                plain[key] = None
        return plain
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for index in range(len(value)):
            try:
                items.append(known_values(value[index]))
            except UnknownValueError:
                items.append(None)
        return items
    return value


def aws_api_constraints(resource: Resource, _: Guarantees) -> Iterator[str]:
    """Names, descriptions, tags and settings against the patterns, lengths, ranges and
    allowed values AWS publishes for its API (aws_constraints.py, botocore's models)."""
    for finding in resource_findings(resource.type, known_values(resource.props)):
        yield str(finding)


# --- the rules and their wrapper for the Pulumi CLI ------------------------------------
def stack_of(urn: str | None) -> str | None:
    """The stack a resource belongs to: urn:pulumi:<stack>::<project>::<type>::<name>."""
    if urn and urn.startswith("urn:pulumi:"):
        return urn.removeprefix("urn:pulumi:").split("::", 1)[0]
    return None


def tier_of(config: Mapping[str, Any] | None, urn: str | None = None) -> Guarantees:
    """The requirements of the tier project.yaml gives the resource's stack (the pack's
    config may name a tier instead, as the tests do). A stack project.yaml does not know
    is held to prod's: a forgotten environment fails loudly instead of getting off lightly."""
    tier = (config or {}).get("tier") or FACTS.environments.get(stack_of(urn) or "")
    return REQUIREMENTS.get(tier or STRICTEST_TIER, REQUIREMENTS[STRICTEST_TIER])


@dataclass(frozen=True)
class Rule:
    name: str
    description: str  # shown with every violation: say why it matters
    check: ResourceCheck | StackCheck
    resource_types: tuple[str, ...] = ()  # a resource rule; empty: a rule over the stack
    tiered: bool = False
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY

    def violations(self, resources: list[Resource], tier: Guarantees) -> list[Violation]:
        if not self.resource_types:
            return list(self.check(resources, tier))
        return [
            Violation(resource.urn, message)
            for resource in of_type(resources, *self.resource_types)
            for message in self.check(resource, tier)
        ]

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        """The same check as a pulumi_policy policy, for the CLI."""
        common = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": TIER_CONFIG if self.tiered else None,
        }
        if self.resource_types:

            def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
                if args.resource_type in self.resource_types:
                    resource = Resource(args.resource_type, args.name, args.urn, args.props)
                    for message in self.check(resource, tier_of(args.get_config(), args.urn)):
                        report(message, None)

            return ResourceValidationPolicy(validate=validate_resource, **common)

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            resources = [from_policy(r) for r in args.resources]
            first = resources[0].urn if resources else None
            for urn, message in self.check(resources, tier_of(args.get_config(), first)):
                report(message, urn)

        return StackValidationPolicy(validate=validate_stack, **common)


def from_policy(resource: Any) -> Resource:
    """A pulumi_policy PolicyResource as a Resource. The props stay the CLI's lazy mapping:
    copying them would read, and trip over, every value unknown during a preview."""
    provider = resource.provider
    return Resource(
        resource.resource_type,
        resource.name,
        resource.urn,
        resource.props,
        frozenset(d.urn for d in resource.dependencies),
        Resource(provider.resource_type, provider.name, provider.urn, provider.props)
        if provider
        else None,
    )


RULES: list[Rule] = [
    Rule(
        "subnets-span-zones",
        "Subnets in as many availability zones as the tier needs (prod: 3), so the service "
        "survives a zone outage with capacity to spare.",
        subnets_span_zones,
        tiered=True,
    ),
    Rule(
        "nat-gateway-per-zone",
        "In prod, private subnets leave through a NAT gateway in their own zone, so losing "
        "one zone does not cut the others off from the internet (image pulls, AWS APIs).",
        nat_gateway_per_zone,
        tiered=True,
    ),
    Rule(
        "ecs-service-redundant",
        "The service runs at least the tasks its tier guarantees (min_tasks): with two or "
        "more, no single point of failure, and rolling deploys keep serving.",
        ecs_service_redundant,
        (ECS_SERVICE,),
        tiered=True,
    ),
    Rule(
        "ecs-circuit-breaker",
        "A deployment whose tasks keep failing stops and rolls back on its own.",
        ecs_circuit_breaker,
        (ECS_SERVICE,),
    ),
    Rule(
        "rds-multi-az",
        "Where the tier guarantees it (db_multi_az), the database has a standby in another "
        "zone and fails over to it.",
        rds_multi_az,
        (RDS_INSTANCE,),
        tiered=True,
    ),
    Rule(
        "rds-backup-retention",
        "Automated backups are kept long enough to recover from a mistake noticed late.",
        rds_backup_retention,
        (RDS_INSTANCE,),
        tiered=True,
    ),
    Rule(
        "rds-deletion-protection",
        "Where the tier guarantees it (db_deletion_protection), the database cannot be "
        "deleted by accident (a stray `pulumi destroy` included).",
        rds_deletion_protection,
        (RDS_INSTANCE,),
        tiered=True,
    ),
    Rule(
        "rds-storage-encrypted",
        "The database, its snapshots and backups are encrypted at rest.",
        rds_storage_encrypted,
        (RDS_INSTANCE,),
    ),
    Rule(
        "rds-not-public",
        "The database has no public address; only the app's tasks reach it.",
        rds_not_public,
        (RDS_INSTANCE,),
    ),
    Rule(
        "s3-public-access-blocked",
        "Every bucket blocks public ACLs and policies, so no mistake can publish its objects.",
        s3_public_access_blocked,
    ),
    Rule(
        "s3-encryption-configured",
        "Every bucket states how objects are encrypted at rest. Advisory: since 2023 S3 "
        "encrypts new objects (SSE-S3) even without it, so a miss is a gap in the record, "
        "not unencrypted data.",
        s3_encryption_configured,
        enforcement=EnforcementLevel.ADVISORY,
    ),
    Rule(
        "no-admin-ports-from-internet",
        "No shell or database port, and never all traffic, is open to 0.0.0.0/0 or ::/0; "
        "the internet reaches only the web ports.",
        no_admin_ports_from_internet,
        (*SECURITY_GROUPS, SECURITY_GROUP_RULE, INGRESS_RULE),
    ),
    Rule(
        "alb-https-only",
        "An internet-facing load balancer serves HTTPS with TLS 1.2 or later; plain HTTP "
        "only redirects to HTTPS and never reaches the app.",
        alb_https_only,
    ),
    Rule(
        "cloudfront-no-plain-http",
        "CloudFront sends viewers to HTTPS and reaches its origins over HTTPS, or inside "
        "AWS's network through a VPC origin: no plain HTTP across the internet.",
        cloudfront_no_plain_http,
    ),
    Rule(
        "waf-protects-load-balancer",
        "Where the tier guarantees it (waf), a web application firewall filters requests "
        "before the service.",
        waf_protects_load_balancer,
        tiered=True,
    ),
    Rule(
        "service-role-names-its-source",
        "A role an AWS service assumes holds aws:SourceAccount or aws:SourceArn in its trust "
        "policy, so the service acts with it only for this account (no confused deputy).",
        service_role_names_its_source,
        (ROLE,),
    ),
    Rule(
        "log-groups-kms-encrypted",
        "Where the tier guarantees it (logs_kms_encrypted), every log group is encrypted with "
        "the environment's own KMS key: its use is recorded and access can be cut.",
        log_groups_kms_encrypted,
        (LOG_GROUP,),
        tiered=True,
    ),
    Rule(
        "cognito-mfa",
        "Where the tier guarantees it (mfa_required), every sign-in needs a second factor (an "
        "authenticator app), so a stolen or reused password alone opens no account; where "
        "MFA is on, TOTP is the factor.",
        cognito_mfa,
        (USER_POOL,),
        tiered=True,
    ),
    Rule(
        "log-retention-set",
        "Every log group expires its logs: kept long enough to investigate, not paid for forever.",
        log_retention_set,
        (LOG_GROUP,),
    ),
    Rule(
        "required-tags",
        "Every taggable resource carries project, environment and managed-by (from the AWS "
        "provider's default tags), for cost reports and to find what a stack owns.",
        required_tags,
    ),
    Rule(
        "aws-api-constraints",
        "Every name, description, tag and setting is one AWS accepts (the patterns, lengths, "
        "ranges and values its API publishes), so a deploy cannot fail halfway on one.",
        aws_api_constraints,
        tuple(sorted(CHECKED_TYPES | TAGGABLE_TYPES)),
    ),
]


def from_model(model: Mapping[str, Any]) -> list[Resource]:
    """The synthesized model's resources (synth.py) as the rules see them."""
    providers = {
        r["urn"]: Resource(r["type"], r["name"], r["urn"], r["inputs"])
        for r in model["resources"]
        if r["type"].startswith("pulumi:providers:")
    }
    return [
        Resource(
            r["type"],
            r["name"],
            r["urn"],
            r["inputs"],
            frozenset(r["dependencies"]),
            providers.get(r.get("provider") or ""),
        )
        for r in model["resources"]
    ]


def evaluate(model: Mapping[str, Any], tier: str = STRICTEST_TIER) -> dict[str, list[str]]:
    """Every rule's violations for one synthesized stack, as readable messages."""
    resources = from_model(model)
    names = {r.urn: r.name for r in resources}
    return {
        rule.name: [
            f"{names.get(urn or '', 'stack')}: {message}"
            for urn, message in rule.violations(resources, REQUIREMENTS[tier])
        ]
        for rule in RULES
    }
