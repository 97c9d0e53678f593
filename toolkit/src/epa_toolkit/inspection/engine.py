"""Run every check over an inventory with the tier's thresholds: NOT_EVALUATED where
collection failed, ERROR where the data was malformed, SKIPPED where a check found nothing
to look at; then waivers."""

from __future__ import annotations

import datetime as dt
import fnmatch
from pathlib import Path

import yaml

from epa_toolkit.inspection.checks import REGISTRY
from epa_toolkit.inspection.inventory import Inventory
from epa_toolkit.inspection.model import Finding, Result, Status, Thresholds


def evaluate(inventory: Inventory, thresholds: Thresholds) -> list[Finding]:
    findings = []
    for meta, function in REGISTRY:
        failed = {need: inventory["errors"][need] for need in meta.needs if need in inventory["errors"]}
        if failed:
            reason = "; ".join(f"{section}: {why}" for section, why in failed.items())
            findings.append(Finding(meta, Status.NOT_EVALUATED, "-", f"could not collect {reason}"))
            continue
        try:
            results = list(function(inventory, thresholds))
        except (
            KeyError,
            TypeError,
            ValueError,
        ) as error:  # a malformed response: say so, never pass
            findings.append(
                Finding(meta, Status.ERROR, "-", f"check failed: {type(error).__name__}: {error}")
            )
            continue
        findings += [
            Finding(meta, r.status, r.resource, r.message, r.evidence)
            for r in results or [Result(Status.SKIPPED, "-", "no resources of this kind in scope")]
        ]
    return findings


def load_waivers(path: Path | None) -> list[dict]:
    if path is None:
        return []
    entries = yaml.safe_load(path.read_text()) or []
    for entry in entries:
        missing = {"check", "resource", "reason", "expires"} - set(entry)
        if missing:
            raise ValueError(f"{path}: waiver {entry} misses {', '.join(sorted(missing))}")
    return entries


def apply_waivers(findings: list[Finding], waivers: list[dict], today: dt.date) -> list[str]:
    """Mark waived failures; return notes about expired waivers (which no longer apply)."""
    notes = []
    for waiver in waivers:
        expires = (
            waiver["expires"]
            if isinstance(waiver["expires"], dt.date)
            else dt.date.fromisoformat(str(waiver["expires"]))
        )
        for finding in findings:
            if finding.check.id == waiver["check"] and fnmatch.fnmatch(finding.resource, waiver["resource"]):
                if expires < today:
                    notes.append(
                        f"waiver for {waiver['check']} on {finding.resource} expired on {expires}: not applied"
                    )
                elif finding.status in (Status.FAIL, Status.WARN):
                    finding.waiver = f"{waiver['reason']} (until {expires})"
    return notes
