"""Reports: console table by pillar, JSON (versioned schema), Markdown evidence, JUnit."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from epa_toolkit.inspection.model import SCHEMA_VERSION, Finding, Status

COUNTED = (Status.PASS, Status.FAIL, Status.WARN)


def pillar_scores(findings: list[Finding]) -> dict[str, dict]:
    """Per pillar: counts by status and the share of evaluated findings that pass."""
    scores: dict[str, dict] = {}
    for f in findings:
        entry = scores.setdefault(f.check.pillar, {s.value: 0 for s in Status})
        entry[f.status.value] += 1
    for entry in scores.values():
        evaluated = sum(entry[s.value] for s in COUNTED)
        entry["score"] = round(100 * entry[Status.PASS.value] / evaluated) if evaluated else None
    return dict(sorted(scores.items()))


def to_json(run: dict, findings: list[Finding]) -> str:
    return json.dumps(
        {"schema_version": SCHEMA_VERSION, "run": run, "scores": pillar_scores(findings),
         "findings": [f.as_dict() for f in findings]},
        indent=2,
    ) + "\n"  # fmt: skip


def to_markdown(run: dict, findings: list[Finding]) -> str:
    lines = [
        f"# Inspection of {run['project']} / {run['environment']}",
        "",
        f"- When: {run['started']} to {run['finished']} (UTC)",
        f"- AWS account {run['account']}, region {run['region']}; tier {run['tier']}",
        f"- Scope: resources tagged project={run['project']}, environment={run['environment']}",
        f"- Tool: inspection schema {SCHEMA_VERSION}; read-only API calls only",
        "",
        "| Pillar | Score | PASS | FAIL | WARN | NOT_EVALUATED | SKIPPED |",
        "|---|---|---|---|---|---|---|",
    ]
    for pillar, s in pillar_scores(findings).items():
        score = "-" if s["score"] is None else f"{s['score']}%"
        lines.append(
            f"| {pillar} | {score} | {s['PASS']} | {s['FAIL']} | {s['WARN']} | {s['NOT_EVALUATED']} | {s['SKIPPED']} |"
        )
    for note in run.get("notes", []):
        lines += ["", f"> {note}"]
    lines += ["", "## Findings", ""]
    for f in sorted(
        findings, key=lambda f: (f.status != Status.FAIL, f.check.pillar, f.check.id, f.resource)
    ):
        waived = f" (waived: {f.waiver})" if f.waiver else ""
        lines += [
            f"### {f.status.value}{waived}: {f.check.title} (`{f.check.id}`, {f.check.severity.value})",
            "",
            f"- Resource: `{f.resource}`",
            f"- Result: {f.message}",
            f"- Evidence: `{json.dumps(f.evidence, sort_keys=True)}`",
        ]
        if f.status in (Status.FAIL, Status.WARN):
            lines += [f"- Risk: {f.check.risk}", f"- Remediation: {f.check.remediation}"]
        lines += [f"- References: {', '.join(f.check.references)}", ""]
    return "\n".join(lines)


def to_junit(run: dict, findings: list[Finding]) -> str:
    suite = ET.Element("testsuite", name=f"inspection-{run['environment']}", tests=str(len(findings)),
                       failures=str(sum(f.status == Status.FAIL and not f.waiver for f in findings)),
                       errors=str(sum(f.status in (Status.ERROR, Status.NOT_EVALUATED) for f in findings)),
                       skipped=str(sum(f.status == Status.SKIPPED or bool(f.waiver) for f in findings)))  # fmt: skip
    for f in findings:
        case = ET.SubElement(suite, "testcase", classname=f"{f.check.pillar}.{f.check.id}", name=f.resource)
        if f.waiver or f.status == Status.SKIPPED:
            ET.SubElement(case, "skipped", message=f.waiver or f.message)
        elif f.status == Status.FAIL:
            ET.SubElement(case, "failure", message=f.message).text = f.check.remediation
        elif f.status in (Status.ERROR, Status.NOT_EVALUATED):
            ET.SubElement(case, "error", message=f.message)
    return ET.tostring(suite, encoding="unicode") + "\n"


def to_console(run: dict, findings: list[Finding], colour: bool) -> str:
    paint = {
        "PASS": "32",
        "FAIL": "31",
        "WARN": "33",
        "NOT_EVALUATED": "35",
        "ERROR": "35",
        "SKIPPED": "90",
    }

    def status(s: Status) -> str:
        return f"\033[{paint[s.value]}m{s.value:<13}\033[0m" if colour else f"{s.value:<13}"

    lines = [
        f"Inspection of {run['project']}/{run['environment']} ({run['tier']}) in {run['account']} {run['region']}",
        "",
    ]
    for pillar, s in pillar_scores(findings).items():
        score = "-" if s["score"] is None else f"{s['score']}%"
        lines.append(
            f"{pillar:<14} score {score:>5}   PASS {s['PASS']}  FAIL {s['FAIL']}  NOT_EVALUATED {s['NOT_EVALUATED']}"
        )
    lines.append("")
    for f in findings:
        waived = " [waived]" if f.waiver else ""
        lines.append(
            f"{status(f.status)} {f.check.severity.value:<8} {f.check.id:<28} {f.resource}: {f.message}{waived}"
        )
    lines += run.get("notes", [])
    return "\n".join(lines) + "\n"
