"""Environment profiles: the one switch that sets availability and cost per environment.

Each stack gets the defaults below of the tier project.yaml gives its environment; any field
can be overridden in the same file with its camelCase name (e.g. `minTasks: "3"`).
Everything is validated here, before a single resource is declared, so a typo fails
`pulumi preview` with a clear message instead of half a deploy.
An override may go beyond what the tier guarantees (project.yaml, `tiers`), never below.
What each choice costs a month, environment by environment: `make cost` (docs/cost.md),
priced from the stacks these profiles make, so the figures follow any change here.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal, Protocol

from project_facts import load as load_facts

Tier = Literal["dev", "staging", "prod"]
NatStrategy = Literal["none", "single", "per_az"]
GUARANTEES = load_facts().tiers  # what each tier must give, at least (project.yaml)
TIERS: tuple[Tier, ...] = tuple(GUARANTEES)  # type: ignore[assignment]
NAT_STRATEGIES: tuple[NatStrategy, ...] = ("none", "single", "per_az")
# Cognito's MFA settings. The second factor is an authenticator app (TOTP) only: SMS would
# need an IAM role for SNS, a sandbox exit per account and pays per message.
MFA_MODES = ("OFF", "OPTIONAL", "ON")
# Fargate accepts only these CPU units / memory (MiB) pairs.
FARGATE_SIZES = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class EnvironmentProfile:
    """What one environment looks like. Field comments give the reason per tier below."""

    tier: Tier
    alert_email: str
    domain_name: str | None
    vpc_cidr: str
    az_count: int
    nat_gateways: NatStrategy
    vpc_endpoints: bool
    min_tasks: int
    max_tasks: int
    task_cpu: int
    task_memory: int
    db_instance_class: str
    db_allocated_storage: int
    db_max_allocated_storage: int
    db_multi_az: bool
    db_backup_retention_days: int
    db_deletion_protection: bool
    db_final_snapshot: bool
    db_monitoring_interval: int
    log_retention_days: int
    logs_kms_encrypted: bool
    waf: bool
    alarm_emails: bool
    alb_deletion_protection: bool
    mfa: str
    password_min_length: int
    failure_drills: bool

    @property
    def is_prod(self) -> bool:
        return self.tier == "prod"


# Tier defaults. Left: dev, middle: staging, right: prod. Reasons:
TIER_DEFAULTS: dict[Tier, dict[str, object]] = {
    "dev": {
        "vpc_cidr": "10.10.0.0/16",
        "az_count": 2,  # the load balancer and the database subnet group need 2 zones
        "nat_gateways": "single",  # one NAT gateway, not one per zone: cost over resilience
        "vpc_endpoints": False,  # little traffic: endpoints would cost more than NAT data
        "min_tasks": 1,  # one task is enough to test on; a restart means a short outage
        "max_tasks": 2,
        "task_cpu": 256,
        "task_memory": 512,
        "db_instance_class": "db.t4g.micro",  # smallest Graviton class: cheapest
        "db_allocated_storage": 20,
        "db_max_allocated_storage": 50,
        "db_multi_az": False,  # no standby: half the database cost; dev data is disposable
        "db_backup_retention_days": 1,
        "db_deletion_protection": False,  # dev can be torn down and rebuilt at will
        "db_final_snapshot": False,  # test data: nothing to keep when the stack goes
        "db_monitoring_interval": 0,  # enhanced monitoring off: it costs CloudWatch data
        "log_retention_days": 14,
        "logs_kms_encrypted": False,  # test data only: AWS's own encryption of logs is enough
        "waf": False,  # no real users to protect; saves the web ACL's monthly fee
        "alarm_emails": False,  # alarms still fire (visible in the console), nobody is paged
        "alb_deletion_protection": False,
        # Users may add an authenticator app; test accounts can sign in with a password.
        "mfa": "OPTIONAL",
        "password_min_length": 12,
        # No drills: one task and a single-AZ database have nothing to fail over to.
        "failure_drills": False,
    },
    "staging": {
        "vpc_cidr": "10.20.0.0/16",
        "az_count": 2,
        "nat_gateways": "single",  # its own single NAT gateway: egress stops if that zone fails
        "vpc_endpoints": False,
        "min_tasks": 2,  # rehearse prod's rolling deploys with more than one task
        "max_tasks": 4,
        "task_cpu": 256,
        "task_memory": 512,
        "db_instance_class": "db.t4g.small",
        "db_allocated_storage": 20,
        "db_max_allocated_storage": 100,
        "db_multi_az": True,  # rehearse failover before prod depends on it
        "db_backup_retention_days": 7,
        "db_deletion_protection": False,
        "db_final_snapshot": False,  # rehearsal data, rebuilt from dev's migrations
        "db_monitoring_interval": 60,
        "log_retention_days": 30,
        "logs_kms_encrypted": True,  # as prod: rehearse the key before prod depends on it
        "waf": True,  # the same edge protection as prod, so rules are tested before release
        "alarm_emails": True,
        "alb_deletion_protection": False,
        "mfa": "OPTIONAL",  # as dev: rehearsal accounts come and go
        "password_min_length": 12,
        "failure_drills": True,  # rehearse each failure here before trying it in prod
    },
    "prod": {
        "vpc_cidr": "10.30.0.0/16",
        "az_count": 3,  # survives the loss of a zone with capacity to spare
        "nat_gateways": "per_az",  # each zone keeps its own way out if another zone fails
        "vpc_endpoints": True,  # ECR, S3 and logs traffic stays private and skips NAT charges
        "min_tasks": 2,  # never a single point of failure; spread across zones by ECS
        "max_tasks": 6,  # autoscaling headroom for peaks
        "task_cpu": 512,
        "task_memory": 1024,
        "db_instance_class": "db.t4g.medium",
        "db_allocated_storage": 50,
        "db_max_allocated_storage": 200,
        "db_multi_az": True,  # synchronous standby in another zone; automatic failover
        "db_backup_retention_days": 14,  # two weeks of point-in-time recovery
        "db_deletion_protection": True,  # a mistaken `pulumi destroy` cannot drop the data
        # A deliberate destroy (deletion protection lifted first) still keeps the data: RDS
        # takes a final snapshot before it deletes the instance.
        "db_final_snapshot": True,
        "db_monitoring_interval": 60,
        "log_retention_days": 90,  # long enough to investigate incidents after the fact
        # Logs hold request data: our own key can be audited (CloudTrail) and disabled.
        "logs_kms_encrypted": True,
        "waf": True,  # AWS managed rules block common attacks and bad bots
        "alarm_emails": True,
        "alb_deletion_protection": True,
        # Real users' data: every sign-in needs an authenticator app code (TOTP), so a
        # stolen or reused password alone does not open an account.
        "mfa": "ON",
        "password_min_length": 14,  # longer passwords where the data is real
        # Experiment templates cost nothing until a drill runs; run one in prod only
        # after it went well in staging.
        "failure_drills": True,
    },
}


class ConfigSource(Protocol):
    """The part of pulumi.Config this module uses (so tests can pass a plain dict)."""

    def get(self, key: str) -> str | None: ...


class ProfileError(ValueError):
    """Invalid stack configuration, named by its config key."""


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def _convert(key: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        if raw.lower() not in ("true", "false"):
            raise ProfileError(f"{key}: {raw!r} is not allowed; use true or false.")
        return raw.lower() == "true"
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ProfileError(f"{key}: {raw!r} is not allowed; use a whole number.") from None
    return raw


def load_profile(config: ConfigSource, tier: str) -> EnvironmentProfile:
    """Apply the tier's defaults and the stack's overrides, validate. The tier is the one
    project.yaml gives the stack (`project_facts.load().tier_of(stack)`)."""
    if tier not in TIERS:
        raise ProfileError(f"tier: {tier!r} is not allowed; use one of {', '.join(TIERS)}.")
    if config.get("tier") is not None:
        raise ProfileError(
            "tier: project.yaml gives each environment its tier (environments); "
            "remove tier from the stack's config."
        )
    values: dict[str, object] = dict(TIER_DEFAULTS[tier])
    for field, default in TIER_DEFAULTS[tier].items():
        raw = config.get(_camel(field))
        if raw is not None:
            values[field] = _convert(_camel(field), raw, default)
    profile = EnvironmentProfile(
        tier=tier,
        alert_email=config.get("alertEmail") or "",
        domain_name=config.get("domainName") or None,
        **values,
    )
    validate(profile)
    return profile


def validate(profile: EnvironmentProfile) -> None:
    errors = list(_problems(profile))
    if errors:
        raise ProfileError("Invalid stack configuration:\n  " + "\n  ".join(errors))


def _problems(p: EnvironmentProfile):
    try:
        network = ipaddress.ip_network(p.vpc_cidr)
        if not network.is_private or not 16 <= network.prefixlen <= 20:
            yield f"vpcCidr: {p.vpc_cidr!r} must be a private range from /16 to /20."
    except ValueError:
        yield f"vpcCidr: {p.vpc_cidr!r} is not a CIDR block such as 10.30.0.0/16."
    if not 2 <= p.az_count <= 4:
        yield (
            f"azCount: {p.az_count} is not allowed; use 2 to 4 (a load balancer and a "
            "Multi-AZ database need at least 2 availability zones)."
        )
    if p.nat_gateways not in NAT_STRATEGIES:
        yield f"natGateways: {p.nat_gateways!r} is not allowed; use {', '.join(NAT_STRATEGIES)}."
    if p.nat_gateways == "none" and not p.vpc_endpoints:
        yield (
            "natGateways: 'none' needs vpcEndpoints: true; without either, tasks cannot "
            "pull their image or send logs."
        )
    if p.min_tasks < 1 or p.max_tasks < p.min_tasks:
        yield f"minTasks/maxTasks: {p.min_tasks}/{p.max_tasks}; need 1 <= minTasks <= maxTasks."
    yield from _below_guarantees(p)
    if p.task_memory not in FARGATE_SIZES.get(p.task_cpu, ()):
        yield f"taskCpu/taskMemory: {p.task_cpu}/{p.task_memory} is not a Fargate size."
    if p.db_backup_retention_days < 1 or p.db_backup_retention_days > 35:
        yield f"dbBackupRetentionDays: {p.db_backup_retention_days}; RDS allows 1 to 35."
    if p.db_max_allocated_storage < p.db_allocated_storage:
        yield "dbMaxAllocatedStorage must be at least dbAllocatedStorage."
    if p.db_monitoring_interval not in (0, 1, 5, 10, 15, 30, 60):
        yield f"dbMonitoringInterval: {p.db_monitoring_interval}; use 0, 1, 5, 10, 15, 30 or 60."
    if p.alarm_emails and not EMAIL.match(p.alert_email):
        yield f"alertEmail: {p.alert_email!r}; the {p.tier} tier e-mails alarms, give an address."
    if p.mfa not in MFA_MODES:
        yield f"mfa: {p.mfa!r} is not allowed; use {', '.join(MFA_MODES)}."
    if not 8 <= p.password_min_length <= 99:
        yield (
            f"passwordMinLength: {p.password_min_length} is not allowed; use 8 to 99 "
            "(Cognito accepts 6 to 99; fewer than 8 is too easy to guess)."
        )
    if p.failure_drills and not p.db_multi_az:
        yield (
            "failureDrills: the db-failover drill needs dbMultiAz: true (a single-AZ "
            "database has no standby to fail over to)."
        )
    if p.domain_name is not None and not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", p.domain_name):
        yield f"domainName: {p.domain_name!r} is not a lowercase DNS name."


def _below_guarantees(p: EnvironmentProfile):
    """Each setting that falls short of what the tier guarantees (project.yaml, `tiers`)."""
    g = GUARANTEES[p.tier]
    shortfalls = {
        "azCount": (p.az_count < g.min_zones, f"at least {g.min_zones} zones"),
        "minTasks": (p.min_tasks < g.min_tasks, f"at least {g.min_tasks} tasks"),
        "dbMultiAz": (g.db_multi_az and not p.db_multi_az, "a Multi-AZ database"),
        "dbBackupRetentionDays": (
            p.db_backup_retention_days < g.min_backup_days,
            f"at least {g.min_backup_days} days of backups",
        ),
        "dbDeletionProtection": (
            g.db_deletion_protection and not p.db_deletion_protection,
            "database deletion protection",
        ),
        "dbMonitoringInterval": (
            g.db_monitoring and p.db_monitoring_interval == 0,
            "enhanced database monitoring",
        ),
        "natGateways": (
            g.nat_gateway_per_zone and p.nat_gateways != "per_az",
            "a NAT gateway per zone (per_az)",
        ),
        "waf": (g.waf and not p.waf, "a web application firewall"),
        "albDeletionProtection": (
            g.alb_deletion_protection and not p.alb_deletion_protection,
            "load balancer deletion protection",
        ),
        "mfa": (g.mfa_required and p.mfa != "ON", "MFA ON (an authenticator app code)"),
        "logRetentionDays": (
            p.log_retention_days < g.min_log_retention_days,
            f"at least {g.min_log_retention_days} days of logs",
        ),
        "logsKmsEncrypted": (
            g.logs_kms_encrypted and not p.logs_kms_encrypted,
            "logs encrypted with a customer-managed KMS key",
        ),
    }
    for key, (short, guarantee) in shortfalls.items():
        if short:
            yield f"{key}: the {p.tier} tier guarantees {guarantee} (project.yaml, tiers.{p.tier})."


def profile_fields() -> list[str]:
    """The fields a stack can override, in declaration order (used by the docs)."""
    return [
        f.name for f in dataclasses.fields(EnvironmentProfile) if f.name in TIER_DEFAULTS["prod"]
    ]
