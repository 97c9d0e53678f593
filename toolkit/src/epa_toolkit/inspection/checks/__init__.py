"""The checks, one module per Well-Architected pillar, each check a pure function beside its
metadata (base.py shows the shape):

    reliability.py     zones, NAT, targets, tasks, autoscaling, database standby and backups
    security.py        internet exposure, TLS, WAF, secrets, roles, encryption, rotation
    observability.py   logs, flow logs, access logs, metrics and alarms

REGISTRY lists them all, pillar by pillar: the engine runs it, the catalogue
(docs/inspection-checks.md) and the reports are generated from its metadata.
"""

from __future__ import annotations

from epa_toolkit.inspection.checks import observability, reliability, security
from epa_toolkit.inspection.checks.base import Check

REGISTRY: list[Check] = [*reliability.CHECKS, *security.CHECKS, *observability.CHECKS]
