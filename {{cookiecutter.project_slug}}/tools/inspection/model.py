"""The finding model: what a check concluded about a resource, with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

SCHEMA_VERSION = "1.0"


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    WARN = "WARN"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"  # not applicable (e.g. a prod-only check in dev)
    NOT_EVALUATED = "NOT_EVALUATED"  # missing permission or unsupported call


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


@dataclass(frozen=True)
class CheckMeta:
    """A check's metadata is data: the docs and the report tables are generated from it."""

    id: str
    title: str
    pillar: str  # reliability, security, observability
    severity: Severity
    risk: str
    remediation: str
    references: tuple[str, ...]
    needs: tuple[str, ...]  # inventory sections the check reads


@dataclass
class Finding:
    check: CheckMeta
    status: Status
    resource: str
    message: str
    evidence: dict = field(default_factory=dict)
    waiver: str | None = None  # the reason, when a valid waiver applies

    def as_dict(self) -> dict:
        return {
            "check_id": self.check.id,
            "title": self.check.title,
            "pillar": self.check.pillar,
            "severity": self.check.severity.value,
            "status": self.status.value,
            "resource": self.resource,
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.check.remediation,
            "references": list(self.check.references),
            "waived": self.waiver is not None,
            "waiver_reason": self.waiver,
        }


@dataclass(frozen=True)
class Thresholds:
    """All limits in one place; tier_defaults() sets them per environment tier."""

    tier: str = "prod"
    min_azs: int = 2
    min_tasks: int = 2
    backup_days: int = 7
    log_retention_days: int = 14
    admin_ports: tuple[int, ...] = (22, 3389, 5432, 3306, 1433, 6379, 27017)

    @property
    def is_prod(self) -> bool:
        """Prod-only checks (deletion protection, NAT per zone, WAF) apply."""
        return self.tier == "prod"


def tier_defaults(tier: str) -> Thresholds:
    """What each tier must meet: dev is not failed for what its profile saves on purpose."""
    if tier == "dev":
        return Thresholds(tier="dev", min_tasks=1, backup_days=1)
    return Thresholds(tier="staging" if tier == "staging" else "prod")
