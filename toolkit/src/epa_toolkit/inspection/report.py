"""Reports: console table by pillar, JSON (versioned schema), Markdown evidence, JUnit,
and one self-contained HTML page. The Markdown and HTML reports also group the findings by
the project method's KSB themes (the toolkit's copy of the standard, epa_toolkit.ksb), and
number each finding as in the JSON's list (anchors finding-0, finding-1, ...).

Each records its provenance (the run's `toolkit`, `caller`, `region`, `started`,
`finished`, `thresholds`); the ones written after the JSON report carry the SHA-256 of its
exact bytes (`json_sha256`), so an assessor can tell their own run from a report handed in.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from xml.etree import ElementTree as ET

from epa_toolkit import ksb
from epa_toolkit.inspection.model import PILLARS, SCHEMA_VERSION, Finding, Status

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


def by_ksb_theme(findings: list[Finding]) -> list[tuple[dict, list[tuple[int, Finding]]]]:
    """Each project theme of the standard, in its order, with the findings whose check names
    one of the theme's KSBs, each with its number in the report."""
    return [
        (theme, [(n, f) for n, f in enumerate(findings) if set(f.check.ksbs) & set(theme["ksbs"])])
        for theme in ksb.standard()["project_themes"]
    ]


def ksbs_by_theme(codes: tuple[str, ...]) -> str:
    """KSB codes followed by their theme, e.g. "K16, S10 (Data security); S9 (Code quality)"."""
    theme_of = {code: k["theme"] for code, k in ksb.all_ksbs(ksb.standard()).items()}
    groups: dict[str, list[str]] = {}
    for code in codes:
        groups.setdefault(theme_of.get(code, "not a KSB of ST0825"), []).append(code)
    return "; ".join(f"{', '.join(group)} ({theme})" for theme, group in groups.items())


def status_counts(findings: list[Finding]) -> str:
    """e.g. "PASS 12, FAIL 1": the non-zero counts, in the order of Status."""
    counts = Counter(f.status for f in findings)
    return ", ".join(f"{s.value} {counts[s]}" for s in Status if counts[s])


def to_json(run: dict, findings: list[Finding]) -> str:
    return json.dumps(
        {"schema_version": SCHEMA_VERSION, "run": run, "scores": pillar_scores(findings),
         "findings": [f.as_dict() for f in findings]},
        indent=2,
    ) + "\n"  # fmt: skip


def provenance(run: dict, json_sha256: str | None) -> dict[str, str]:
    """Who ran what, where and when: the same lines in every human-readable report."""
    toolkit, caller = run["toolkit"], run["caller"]
    return {
        "Toolkit": f"{toolkit['name']} {toolkit['version']}, commit {toolkit['commit']}",
        "Caller": f"{caller['arn']} (account {caller['account']})",
        "Region": run["region"],
        "When": f"{run['started']} to {run['finished']} (UTC)",
        "Thresholds": f"tier {run['tier']}, from {run['thresholds']}",
        "JSON report SHA-256": json_sha256 or "no JSON report written in this run",
    }


def to_markdown(run: dict, findings: list[Finding], json_sha256: str | None = None) -> str:
    lines = [
        f"# Inspection of {run['project']} / {run['environment']}",
        "",
        f"- When: {run['started']} to {run['finished']} (UTC)",
        f"- AWS account {run['account']}, region {run['region']}; tier {run['tier']}",
        f"- Scope: resources tagged project={run['project']}, environment={run['environment']}",
        f"- Tool: inspection schema {SCHEMA_VERSION}; read-only API calls only",
    ]
    known = provenance(run, json_sha256)  # the region and the time are above
    lines += [f"- {name}: {known[name]}" for name in ("Toolkit", "Caller", "Thresholds")]
    lines.append(
        f"- JSON report SHA-256: `{json_sha256}`"
        if json_sha256
        else f"- JSON report: {known['JSON report SHA-256']}"
    )
    lines += [
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
    lines += ["", *markdown_themes(findings), "## Findings", ""]
    numbered = sorted(enumerate(findings),
                      key=lambda nf: (nf[1].status != Status.FAIL, nf[1].check.pillar, nf[1].check.id, nf[1].resource))  # fmt: skip
    for n, f in numbered:
        waived = f" (waived: {f.waiver})" if f.waiver else ""
        lines += [
            f'<a id="finding-{n}"></a>',
            "",
            f"### {f.status.value}{waived}: {f.check.title} (`{f.check.id}`, {f.check.severity.value})",
            "",
            f"- Resource: `{f.resource}`",
            f"- Result: {f.message}",
            f"- Evidence: `{json.dumps(f.evidence, sort_keys=True)}`",
        ]
        if f.status in (Status.FAIL, Status.WARN):
            lines += [f"- Risk: {f.check.risk}", f"- Remediation: {f.check.remediation}"]
        lines += [
            f"- KSBs: {ksbs_by_theme(f.check.ksbs)}",
            f"- AWS FSBP controls: {', '.join(f.check.fsbp) or 'none'}",
            f"- Prowler checks: {', '.join(f.check.prowler) or 'none'}",
        ]
        if f.check.references:
            lines.append(f"- References: {', '.join(f.check.references)}")
        lines.append("")
    return "\n".join(lines)


def markdown_themes(findings: list[Finding]) -> list[str]:
    """The "By KSB theme" section: per theme, the checks that evidence it and links to their
    findings."""
    lines = [
        "## By KSB theme",
        "",
        "The project method's themes of ST0825 and the checks that evidence them (each check names "
        "its KSBs). A theme no check evidences is shown by the project's code, pipelines and documents.",
        "",
    ]
    for theme, numbered in by_ksb_theme(findings):
        lines += [f"### {theme['theme']} ({', '.join(theme['ksbs'])})", ""]
        if not numbered:
            lines += ["No inspection check evidences this theme.", ""]
            continue
        lines += [f"Findings: {status_counts([f for _, f in numbered])}", "",
                  "| Check | KSBs | Findings |", "|---|---|---|"]  # fmt: skip
        for check_id in dict.fromkeys(f.check.id for _, f in numbered):
            mine = [(n, f) for n, f in numbered if f.check.id == check_id]
            codes = [c for c in mine[0][1].check.ksbs if c in theme["ksbs"]]
            links = ", ".join(
                f"[{f.status.value} {markdown_cell(f.resource)}](#finding-{n})" for n, f in mine
            )
            lines.append(f"| `{check_id}` | {', '.join(codes)} | {links} |")
        lines.append("")
    return lines


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell and a link's text."""
    return "".join("\\" + ch if ch in "|[]\\" else ch for ch in text)


def to_junit(run: dict, findings: list[Finding], json_sha256: str | None = None) -> str:
    suite = ET.Element("testsuite", name=f"inspection-{run['environment']}", tests=str(len(findings)),
                       failures=str(sum(f.status == Status.FAIL and not f.waiver for f in findings)),
                       errors=str(sum(f.status in (Status.ERROR, Status.NOT_EVALUATED) for f in findings)),
                       skipped=str(sum(f.status == Status.SKIPPED or bool(f.waiver) for f in findings)),
                       timestamp=run["started"])  # fmt: skip
    properties = ET.SubElement(suite, "properties")
    recorded = {"toolkit.version": run["toolkit"]["version"], "toolkit.commit": run["toolkit"]["commit"],
                "caller.account": run["caller"]["account"], "caller.arn": run["caller"]["arn"],
                "region": run["region"], "started": run["started"], "finished": run["finished"],
                "thresholds": run["thresholds"], "json_sha256": json_sha256 or "none"}  # fmt: skip
    for name, value in recorded.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    for f in findings:
        case = ET.SubElement(suite, "testcase", classname=f"{f.check.pillar}.{f.check.id}", name=f.resource)
        if f.waiver or f.status == Status.SKIPPED:
            ET.SubElement(case, "skipped", message=f.waiver or f.message)
        elif f.status == Status.FAIL:
            ET.SubElement(case, "failure", message=f.message).text = f.check.remediation
        elif f.status in (Status.ERROR, Status.NOT_EVALUATED):
            ET.SubElement(case, "error", message=f.message)
    return ET.tostring(suite, encoding="unicode") + "\n"


def to_console(run: dict, findings: list[Finding], colour: bool, json_sha256: str | None = None) -> str:
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
        *(f"  {name}: {value}" for name, value in provenance(run, json_sha256).items() if name != "Region"),
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


STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#1b1b1b}
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
code{font-size:.9em;word-break:break-all}.PASS{color:#1a7f37}.FAIL{color:#b42318}.WARN{color:#9a6700}
.ERROR,.NOT_EVALUATED{color:#8250df}.SKIPPED{color:#59636e}"""


def to_html(run: dict, findings: list[Finding], json_sha256: str | None = None) -> str:
    """One page, no external assets (it opens offline, and from an evidence pack), findings
    grouped by pillar, failures first; every value from AWS or the run is escaped."""

    def e(value: object) -> str:
        return html.escape(str(value), quote=True)

    title = f"Inspection of {run['project']} / {run['environment']}"
    out = [f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{e(title)}</title>',
           f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>{e(title)}</h1>", "<table>"]  # fmt: skip
    facts = {"AWS account": run["account"], "Tier": run["tier"],
             "Scope": f"resources tagged project={run['project']}, environment={run['environment']}",
             **provenance(run, json_sha256),
             "Tool": f"inspection schema {SCHEMA_VERSION}; read-only API calls only"}  # fmt: skip
    out += [f"<tr><th>{e(name)}</th><td><code>{e(value)}</code></td></tr>" for name, value in facts.items()]
    out += ["</table>", "<h2>Scores</h2>", "<table>",
            "<tr><th>Pillar</th><th>Score</th>" + "".join(f"<th>{s.value}</th>" for s in Status) + "</tr>"]  # fmt: skip
    for pillar, s in pillar_scores(findings).items():
        score = "-" if s["score"] is None else f"{s['score']}%"
        cells = "".join(f"<td>{s[status.value]}</td>" for status in Status)
        out.append(f"<tr><td>{e(pillar)}</td><td>{score}</td>{cells}</tr>")
    out.append("</table>")
    out += [f"<p><strong>Note:</strong> {e(note)}</p>" for note in run.get("notes", [])]
    out += html_themes(findings)
    number = {id(f): n for n, f in enumerate(findings)}
    pillars = [*PILLARS, *sorted({f.check.pillar for f in findings} - set(PILLARS))]
    for pillar in pillars:
        group = sorted((f for f in findings if f.check.pillar == pillar),
                       key=lambda f: (f.status != Status.FAIL, f.status.value, f.check.id, f.resource))  # fmt: skip
        if not group:
            continue
        out += [f'<h2 id="{e(pillar)}">{e(pillar.capitalize())}</h2>', "<table>",
                "<tr><th>Status</th><th>Check</th><th>Resource</th><th>Result and evidence</th></tr>"]  # fmt: skip
        for f in group:
            waived = f"<br>waived: {e(f.waiver)}" if f.waiver else ""
            detail = [e(f.message), f"<code>{e(json.dumps(f.evidence, sort_keys=True))}</code>"]
            if f.status in (Status.FAIL, Status.WARN):
                detail += [f"Risk: {e(f.check.risk)}", f"Remediation: {e(f.check.remediation)}"]
            detail += [f"KSBs: {e(ksbs_by_theme(f.check.ksbs))}",
                       f"AWS FSBP controls: {codes(f.check.fsbp)}", f"Prowler checks: {codes(f.check.prowler)}"]  # fmt: skip
            if f.check.references:
                detail.append("References: " + ", ".join(e(r) for r in f.check.references))
            out.append(f'<tr id="finding-{number[id(f)]}"><td class="{f.status.value}">{f.status.value}{waived}</td>'
                       f"<td>{e(f.check.title)}<br><code>{e(f.check.id)}</code> ({f.check.severity.value})</td>"
                       f"<td><code>{e(f.resource)}</code></td><td>{'<br>'.join(detail)}</td></tr>")  # fmt: skip
        out.append("</table>")
    out.append("</body>\n</html>\n")
    return "\n".join(out)


def codes(ids: tuple[str, ...]) -> str:
    return ", ".join(f"<code>{html.escape(i)}</code>" for i in ids) or "none"


def html_themes(findings: list[Finding]) -> list[str]:
    """The "By KSB theme" section: per theme, its KSBs (titles on hover) and the checks that
    evidence it, linking to their findings' rows."""
    titles = {code: k["title"] for code, k in ksb.all_ksbs(ksb.standard()).items()}

    def abbr(code: str) -> str:
        return f'<abbr title="{html.escape(titles[code], quote=True)}">{code}</abbr>'

    out = ['<h2 id="ksb-themes">By KSB theme</h2>',
           "<p>The project method's themes of ST0825 and the checks that evidence them (each check names its "
           "KSBs). A theme no check evidences is shown by the project's code, pipelines and documents.</p>"]  # fmt: skip
    for theme, numbered in by_ksb_theme(findings):
        out.append(f"<h3>{html.escape(theme['theme'])}: {', '.join(abbr(c) for c in theme['ksbs'])}</h3>")
        if not numbered:
            out.append("<p>No inspection check evidences this theme.</p>")
            continue
        out += [f"<p>Findings: {status_counts([f for _, f in numbered])}</p>", "<table>",
                "<tr><th>Check</th><th>KSBs</th><th>Findings</th></tr>"]  # fmt: skip
        for check_id in dict.fromkeys(f.check.id for _, f in numbered):
            mine = [(n, f) for n, f in numbered if f.check.id == check_id]
            ksbs = ", ".join(abbr(c) for c in mine[0][1].check.ksbs if c in theme["ksbs"])
            links = ", ".join(f'<a class="{f.status.value}" href="#finding-{n}">{f.status.value} '
                              f"{html.escape(f.resource)}</a>" for n, f in mine)  # fmt: skip
            out.append(
                f"<tr><td><code>{html.escape(check_id)}</code></td><td>{ksbs}</td><td>{links}</td></tr>"
            )
        out.append("</table>")
    return out
