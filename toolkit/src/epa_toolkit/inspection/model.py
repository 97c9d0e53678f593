"""The finding model: a check's metadata (CheckMeta), what its function concluded about one
resource (Result), and that conclusion joined to its metadata for the reports (Finding);
plus what the environment's tier requires (Thresholds)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from project_facts import FILE as FACTS
from project_facts import Guarantees, project_root
from project_facts import load as load_facts

SCHEMA_VERSION = "1.1"  # 1.1: each finding names its KSBs and FSBP and Prowler counterparts
TEMPLATE_FACTS = Path(__file__).with_name("template-facts.yaml")


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    WARN = "WARN"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"  # not applicable (e.g. a prod-only check in dev)
    NOT_EVALUATED = "NOT_EVALUATED"  # a section it needs could not be read (refused, throttled, ...)


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
PILLARS = ("reliability", "security", "observability")


@dataclass(frozen=True)
class CheckMeta:
    """A check's metadata is data: the docs and the report tables are generated from it."""

    id: str
    title: str  # what is true when the check passes
    severity: Severity
    risk: str
    remediation: str
    references: tuple[str, ...]
    needs: tuple[str, ...]  # inventory sections the check reads (NOT_EVALUATED if one failed)
    # The policy-pack rule (infra/policy/rules.py) that holds the infrastructure code to the
    # same guarantee before deploy; this check verifies it on what was actually deployed.
    policy_rule: str | None = None
    # What an assessor maps the check to: the KSBs it evidences (codes in the KSB reference
    # data), and the AWS Foundational Security Best Practices controls (e.g. "ELB.1") and
    # Prowler checks that test the same thing, where any does.
    ksbs: tuple[str, ...] = ()
    fsbp: tuple[str, ...] = ()
    prowler: tuple[str, ...] = ()
    # One of PILLARS: set by the module under checks/ that registers the check.
    pillar: str = ""


@dataclass(frozen=True)
class Result:
    """What a check function concludes about one resource. The evidence holds the observed
    fields, so a person can verify the finding by hand in the console or the CLI."""

    status: Status
    resource: str  # id or name; "-" when the result is about the check as a whole
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


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
            "ksbs": list(self.check.ksbs),
            "fsbp": list(self.check.fsbp),
            "prowler": list(self.check.prowler),
            "waived": self.waiver is not None,
            "waiver_reason": self.waiver,
        }


@dataclass(frozen=True)
class Thresholds(Guarantees):
    """What the environment's tier guarantees (project.yaml, through project_facts): the
    same table the environment profiles and the policy pack use, so a stack that passed
    its preview is held to the same numbers once deployed."""

    tier: str = "prod"
    closed_ports: tuple[int, ...] = ()


def facts_file(given: Path | None = None) -> Path:
    """Where the tiers' thresholds come from: the file given (--facts), else PROJECT_FACTS,
    else the project's project.yaml (EPA_PROJECT, or from the working directory up); outside
    any project (an assessor with the toolkit alone), the template's own (TEMPLATE_FACTS)."""
    if given or os.environ.get("PROJECT_FACTS"):
        return Path(given or os.environ["PROJECT_FACTS"])
    found = project_root() / FACTS
    return found if found.is_file() else TEMPLATE_FACTS


def tier_defaults(tier: str, facts: Path | None = None) -> Thresholds:
    """The thresholds of a tier; an unknown tier is held to prod's (the strictest)."""
    facts = load_facts(facts_file(facts))
    tier = tier if tier in facts.tiers else "prod"
    guarantees = dataclasses.asdict(facts.guarantees(tier))
    return Thresholds(**guarantees, tier=tier, closed_ports=tuple(facts.closed_to_internet))
