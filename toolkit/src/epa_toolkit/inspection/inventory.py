"""The inventory's schema: what collect.py produces and the checks read, section by section.

The inventory holds the environment's resources only. What was inspected (account, region,
project, environment) and the environment's tier travel beside it in a Scope: the tier
decides the thresholds the checks apply (model.tier_defaults), it is not a resource.

Names follow the checks' needs, not boto3's: ids and names as strings, zones as `az`,
booleans already decided (`public`, `encrypted`), absent settings as None or empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

NetworkTier = Literal["public", "private", "isolated"]


@dataclass(frozen=True)
class Scope:
    """What was inspected: the environment's tags, where, and the environment's tier
    (dev, staging, prod) from its resources' `tier` tag; and who looked (the caller's ARN,
    from STS GetCallerIdentity, like the account: "unknown" when STS could not say)."""

    account: str
    region: str
    project: str
    environment: str
    tier: str
    caller: str = "unknown"


# --- network ---------------------------------------------------------------------------
class Vpc(TypedDict):
    id: str
    cidr: str
    flow_logs: list[str]  # traffic types recorded: ALL, ACCEPT, REJECT
    flow_log_groups: list[str]  # the CloudWatch log groups they deliver to
    flow_log_roles: list[str]  # the roles that deliver them


class Subnet(TypedDict):
    id: str
    vpc_id: str
    az: str
    # From the subnet's `network-tier` tag, or else from its default route (IGW: public,
    # NAT: private, none: isolated). Not the environment's tier.
    network_tier: NetworkTier
    default_route_nat: str | None  # NAT gateway id of the 0.0.0.0/0 route
    route_to_internet: bool  # 0.0.0.0/0 goes to an internet gateway


class NatGateway(TypedDict):
    id: str
    subnet_id: str
    az: str | None
    state: str


# A security group rule ("from" is a Python keyword, hence this form).
SecurityGroupRule = TypedDict(
    "SecurityGroupRule",
    {
        "protocol": str | None,  # "-1": all protocols
        "from": int | None,
        "to": int | None,
        "sources": list[str],  # IPv4 and IPv6 CIDR blocks
        "prefix_lists": list[str],
        "groups": list[str],  # security groups allowed in
    },
)


class SecurityGroup(TypedDict):
    id: str
    name: str
    default: bool
    ingress: list[SecurityGroupRule]
    egress: list[SecurityGroupRule]


class Network(TypedDict):
    vpcs: list[Vpc]
    subnets: list[Subnet]
    nat_gateways: list[NatGateway]
    security_groups: list[SecurityGroup]


# --- load balancers and the edge --------------------------------------------------------
class Listener(TypedDict):
    port: int
    protocol: str  # HTTP, HTTPS
    ssl_policy: str | None  # HTTPS only
    default_actions: list[str]
    redirects_to_https: bool
    forwards: bool  # the default action or a rule forwards to a target group


class Target(TypedDict):
    id: str
    az: str | None  # moto omits it for IP targets
    state: str  # healthy, unhealthy, initial, draining, unused...


class TargetGroup(TypedDict):
    arn: str
    name: str
    targets: list[Target]


class LoadBalancer(TypedDict):
    arn: str
    name: str
    scheme: str | None  # internet-facing, internal
    azs: list[str]
    deletion_protection: bool
    access_logs: bool
    access_log_bucket: str | None
    drops_invalid_headers: bool  # routing.http.drop_invalid_header_fields.enabled
    security_groups: list[str]
    listeners: list[Listener]
    target_groups: list[TargetGroup]


class Protection(TypedDict):
    web_acl: str | None  # name of the WAF web ACL associated with the load balancer
    rules: list[str]  # its rules' names, managed rule groups included
    managed_rule_groups: list[str]  # vendor/name of each managed rule group it uses
    logging: bool
    log_destinations: list[str]  # ARNs the web ACL logs to


class Origin(TypedDict):
    id: str
    domain: str
    kind: Literal["vpc", "custom", "s3", "none"]
    protocol_policy: str | None  # custom origins only
    vpc_origin_id: str | None


class Distribution(TypedDict):
    id: str
    domain: str
    viewer_protocol_policies: list[str]
    origins: list[Origin]
    web_acl: str | None  # the web ACL's id or ARN on the distribution itself
    logging: bool  # standard access logging on
    default_certificate: bool  # the *.cloudfront.net certificate (no domain of its own)
    minimum_tls: str | None  # the viewer security policy, e.g. TLSv1.2_2021


# --- compute ----------------------------------------------------------------------------
class Deployment(TypedDict):
    status: str  # PRIMARY, ACTIVE
    rollout_state: str | None


class Scaling(TypedDict):
    min: int
    max: int
    policies: int


class Service(TypedDict):
    arn: str
    name: str
    cluster: str
    container_insights: str  # the cluster's setting: enabled, enhanced, disabled
    desired: int
    running: int
    subnets: list[str]
    assign_public_ip: bool
    circuit_breaker: dict[str, bool] | None  # {"enable", "rollback"}; None: not configured
    deployments: list[Deployment]
    task_azs: list[str]  # zones of the running tasks (empty when not reported)
    task_definition: str
    scaling: Scaling | None  # None: no scalable target registered


class Ecs(TypedDict):
    services: list[Service]


class Container(TypedDict):
    name: str
    image: str
    env_names: list[str]  # names only: values are never collected
    secret_names: list[str]
    log_driver: str | None
    log_group: str | None
    read_only_root: bool  # readonlyRootFilesystem


class TaskDefinition(TypedDict):
    arn: str
    roles: list[str]  # task and execution role ARNs
    containers: list[Container]


class Repository(TypedDict):
    name: str
    scan_on_push: bool


class Workload(TypedDict):
    """What the tasks run, followed from the services: task definitions and images."""

    task_definitions: list[TaskDefinition]
    repositories: list[Repository]


class LogGroup(TypedDict):
    name: str
    source: str  # what writes to it: containers, flow logs, database, firewall
    retention_days: int | None  # None: never expires
    kms_key_id: str | None  # None: encrypted with a key CloudWatch Logs owns


# --- data -------------------------------------------------------------------------------
class DbInstance(TypedDict):
    id: str
    engine: str
    multi_az: bool
    backup_retention: int  # days
    deletion_protection: bool
    encrypted: bool
    public: bool
    monitoring_interval: int  # seconds; 0: enhanced monitoring off
    kms_key_id: str | None
    master_secret_arn: str | None
    performance_insights: bool
    subnet_azs: list[str]  # zones of the subnet group's subnets
    log_exports: list[str]  # logs published to CloudWatch Logs (postgresql, upgrade, ...)
    force_ssl: bool | None  # the rds.force_ssl parameter; None: the parameter was not reported
    monitoring_role: str | None  # enhanced monitoring's role ARN


class Rds(TypedDict):
    instances: list[DbInstance]


class Bucket(TypedDict):
    name: str
    public_access_block: dict[str, bool]  # the four settings; {} when none is set
    encryption: str  # default SSE algorithm: AES256, aws:kms, aws:kms:dsse
    denies_insecure_transport: bool


# --- identity, keys, alarms --------------------------------------------------------------
class Policy(TypedDict):
    name: str
    kind: Literal["inline", "managed"]
    statements: list[dict[str, Any]]


class Role(TypedDict):
    arn: str
    name: str
    used_by: str  # what the environment uses it for: task, flow logs, database monitoring
    trust: list[dict[str, Any]]  # the trust policy's statements: who may assume the role
    policies: list[Policy]  # inline and attached managed policies, with their statements


class Key(TypedDict):
    id: str
    rotation: bool


class Secret(TypedDict):
    arn: str
    rotation: bool


class KeysAndSecrets(TypedDict):
    keys: list[Key]  # the database's KMS keys
    secrets: list[Secret]  # the database's master user secrets


class Alarm(TypedDict):
    name: str
    namespace: str | None
    metric: str | None
    dimensions: dict[str, str]
    actions: int  # number of alarm actions


class Inventory(TypedDict):
    """One environment's resources. `errors` names each section that could not be read
    (section -> why): the checks that need it are NOT_EVALUATED, never passed."""

    network: Network
    load_balancers: list[LoadBalancer]
    ecs: Ecs
    rds: Rds
    alarms: list[Alarm]
    workload: Workload
    log_groups: list[LogGroup]
    protection: dict[str, Protection]  # load balancer name -> its web ACL
    storage: list[Bucket]
    identity: list[Role]
    keys_and_secrets: KeysAndSecrets
    cloudfront: list[Distribution]
    errors: dict[str, str]


def empty_inventory() -> Inventory:
    """Every section with nothing in it: what an unreadable section is recorded as."""
    return {
        "network": {"vpcs": [], "subnets": [], "nat_gateways": [], "security_groups": []},
        "load_balancers": [],
        "ecs": {"services": []},
        "rds": {"instances": []},
        "alarms": [],
        "workload": {"task_definitions": [], "repositories": []},
        "log_groups": [],
        "protection": {},
        "storage": [],
        "identity": [],
        "keys_and_secrets": {"keys": [], "secrets": []},
        "cloudfront": [],
        "errors": {},
    }
