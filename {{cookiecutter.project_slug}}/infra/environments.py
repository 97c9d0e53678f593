"""docs/environments.md, generated from each stack's profile as the stack loads it: its
tier's defaults and its own overrides (never typed by hand).

python -m environments            # print the page
python -m environments --write    # update docs/environments.md
python -m environments --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from project_facts import load as load_facts
from project_facts.generated import sync

from environment_profile import EnvironmentProfile, load_profile, profile_fields
from synth import project_name, stack_config

PAGE = Path(__file__).resolve().parents[1] / "docs" / "environments.md"

# Label and the availability / cost reason for each difference between tiers.
FIELDS: dict[str, tuple[str, str]] = {
    "vpc_cidr": ("VPC address range", "Separate ranges, so environments could be peered later."),
    "az_count": (
        "Availability zones",
        "More zones survive a zone outage; each adds NAT and subnets.",
    ),
    "nat_gateways": (
        "NAT gateways",
        "One per zone keeps egress alive if a zone fails; each is paid by the hour (`make cost`).",
    ),
    "vpc_endpoints": (
        "VPC endpoints (ECR, S3, logs, secrets)",
        "Private, NAT-free image pulls and logs; interface endpoints cost per hour, worth it at prod traffic.",
    ),
    "min_tasks": (
        "Minimum tasks",
        "Two or more tasks in different zones: one can fail or be replaced without an outage.",
    ),
    "max_tasks": ("Maximum tasks (autoscaling)", "Headroom for peaks, capped to bound cost."),
    "task_cpu": (
        "Task CPU units",
        "Bigger tasks in prod absorb bursts; dev stays at the smallest size.",
    ),
    "task_memory": ("Task memory (MiB)", "Matches the CPU size (Fargate pairs them)."),
    "db_instance_class": (
        "Database instance class",
        "Graviton burstable classes: cheapest; larger in prod for steady load.",
    ),
    "db_allocated_storage": (
        "Database storage (GB)",
        "Starting size; storage autoscaling grows it.",
    ),
    "db_max_allocated_storage": (
        "Database storage limit (GB)",
        "Caps autoscaled storage, and so its cost.",
    ),
    "db_multi_az": (
        "Database Multi-AZ standby",
        "A synchronous standby in another zone with automatic failover; doubles the database cost.",
    ),
    "db_backup_retention_days": (
        "Backup retention (days)",
        "Point-in-time recovery window; longer in prod.",
    ),
    "db_deletion_protection": (
        "Database deletion protection",
        "A mistaken destroy cannot drop prod data; dev can be rebuilt at will.",
    ),
    "db_final_snapshot": (
        "Final database snapshot on destroy",
        "Prod's data outlives its stack; the snapshot is charged per GB-month until deleted.",
    ),
    "db_monitoring_interval": (
        "Enhanced monitoring (seconds, 0 = off)",
        "OS-level metrics for diagnosing the database; costs CloudWatch data.",
    ),
    "log_retention_days": (
        "Log retention (days)",
        "Long enough to investigate incidents; logs cost per GB stored.",
    ),
    "logs_kms_encrypted": (
        "Logs encrypted with the environment's own KMS key",
        "Logs hold request data: a key of its own (a monthly fee) can be audited and disabled.",
    ),
    "waf": (
        "Web application firewall",
        "AWS managed rules block common attacks; a monthly fee per web ACL.",
    ),
    "alarm_emails": (
        "Alarms e-mailed",
        "Alarms fire everywhere; only environments with users page a person.",
    ),
    "alb_deletion_protection": (
        "Load balancer deletion protection",
        "Prod's entry point cannot be deleted by accident.",
    ),
    "mfa": (
        "Sign-in MFA (authenticator app)",
        "ON in prod: a stolen password alone opens no account. TOTP only; SMS would cost per message.",
    ),
    "password_min_length": (
        "Minimum password length",
        "Length beats complexity rules (NCSC); longer where the data is real.",
    ),
    "failure_drills": (
        "Failure drills (AWS FIS templates)",
        "`make drill` breaks a zone, tasks or the database on purpose; templates cost nothing idle.",
    ),
}


def cell(value: object) -> str:
    """A profile value as the docs show it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return {"single": "1 (in one zone)", "per_az": "1 per zone", "none": "none"}.get(
        str(value), str(value)
    )


def stack_profiles() -> dict[str, EnvironmentProfile]:
    """Each environment's profile as its stack loads it, in promotion order (project.yaml):
    an override in infra/Pulumi.<env>.yaml shows here."""
    facts, project = load_facts(), project_name()
    profiles = {}
    for name in facts.names:
        namespaced = stack_config(name)
        config = {
            key.split(":", 1)[1]: value
            for key, value in namespaced.items()
            if key.startswith(f"{project}:")
        }
        profiles[name] = load_profile(config, facts.tier_of(name))
    return profiles


def render_environment_matrix() -> str:
    """The Markdown table: one row per profile setting, one column per environment, and why."""
    profiles = stack_profiles()
    lines = [
        "| Setting | " + " | ".join(profiles) + " | Why it differs |",
        "|---|" + "---|" * len(profiles) + "---|",
    ]
    for field in profile_fields():
        label, reason = FIELDS[field]
        cells = " | ".join(cell(getattr(profile, field)) for profile in profiles.values())
        lines.append(f"| {label} | {cells} | {reason} |")
    return "\n".join(lines) + "\n"


def render() -> str:
    """The whole page: the matrix with a short introduction."""
    lines = [
        "# Environments",
        "",
        "<!-- Generated by `make docs` from each stack's profile: do not edit by hand. -->",
        "",
        "Each environment is a Pulumi stack (`infra/Pulumi.<env>.yaml`); `project.yaml` gives",
        "it a tier, the tier sets the defaults below, and the stack file can override any of",
        "them, never below what the tier guarantees.",
        "Changes reach each environment in the order of the columns.",
        "",
        render_environment_matrix().rstrip("\n"),
        "",
        "Every environment: private subnets for the app, isolated subnets for the database,",
        "encryption at rest (KMS) and in transit (TLS), HTTPS for users, flow logs, alarms,",
        "a dashboard and tags `project`, `environment`, `managed-by` on every resource.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    page = render()
    if "--write" in args or "--check" in args:
        stale = f"{PAGE.name} is out of date with the profiles: run `make docs`."
        return sync(PAGE, page, check="--check" in args, stale=stale)
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
