"""One Markdown summary of `pulumi preview --json` for every environment (PR/MR comment, job summary).

    python -m epa_toolkit.delivery.preview_summary build/preview/dev.json build/preview/staging.json \
        build/preview/prod.json --output build/preview/summary.md

Each file is named after its environment (dev.json -> dev). Per environment the summary gives
the counts of create / update / replace / delete / same, lists the resources that would be
REPLACED or DELETED (the risky ones: a replaced database starts empty, a replaced load
balancer gets a new address), policy violations, and errors. An environment whose file is
missing, empty or unreadable, or whose preview failed, is shown as NOT EVALUATED, never as
"no changes". A preview failed when:

- a file `<environment>.exitcode` next to the JSON holds a non-zero exit code (write it with
  `echo $? > build/preview/dev.exitcode`: the exit code is the surest sign), or
- the output has an error diagnostic, a mandatory policy violation, or no change summary.

Input shapes (Pulumi CLI 3.x; the output carries no schema version, so this reads it
defensively). Checked against the CLI's source (pkg/backend/display/json.go,
pkg/display/json.go, sdk/go/common/apitype/events.go) and output recorded from CLI 3.198:

- `pulumi preview --json`: ONE document {"config", "steps": [{"op", "urn", "replaceReasons",
  "diffReasons", "detailedDiff", "oldState", "newState"}], "diagnostics": [{"urn", "message",
  "severity"}], "duration", "changeSummary": {"create": 1, "same": 40}}. A replacement is one
  step with op "replace". Policy results are NOT in this document (pulumi/pulumi#18851): the
  summary then says "not reported". Text printed before the JSON (policy pack installs,
  pulumi/pulumi#19775) is skipped.
- `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --json`: one engine event per line
  ({"sequence", "timestamp", "resourcePreEvent": {"metadata": {"op", "urn", "keys"}}},
  "diagnosticEvent", "policyEvent": {"policyName", "policyPackName", "enforcementLevel",
  "resourceUrn", "message"}, "summaryEvent": {"resourceChanges"}}). This form carries the
  policy violations: prefer it in the pipeline.

Exit codes: 0 summary written (whatever the previews found: the preview jobs pass or fail
on their own); 1 the output file could not be written; 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "<!-- delivery:preview-summary -->"  # lets the pipeline find and update its comment
COLUMNS = ("create", "update", "replace", "delete", "same")
# Every op a replacement can show up as (split replacement steps, imports, reads).
REPLACE_OPS = {
    "replace",
    "create-replacement",
    "delete-replaced",
    "discard-replaced",
    "read-replacement",
    "import-replacement",
    "remove-pending-replace",
}
UNCHANGED_OPS = {"same", "read", "refresh"}
UNKNOWN = "?"  # a count nobody knows: never 0
LISTED = 50  # resources listed per kind: a PR comment has a size limit
MESSAGE_SHOWN = 500  # characters of a diagnostic or policy message
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PULUMI_COLOR_TAG = re.compile(r"<[{]%.*?%[}]>")  # the CLI's own colour markup


@dataclass(frozen=True)
class Change:
    op: str  # create, update, replace, delete or another Pulumi op
    urn: str
    reasons: tuple[str, ...] = ()  # the properties that force a replacement


@dataclass(frozen=True)
class Violation:
    level: str  # mandatory, advisory, remediate
    policy: str
    pack: str
    urn: str
    message: str


@dataclass
class Preview:
    environment: str
    source: Path
    evaluated: bool = True
    missing: bool = False  # no output file at all
    problems: list[str] = field(default_factory=list)  # why it failed / was not evaluated
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    violations: list[Violation] | None = None  # None: this JSON form does not report them
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of(self, *ops: str) -> list[Change]:
        return [c for c in self.changes if c.op in ops]


class Unreadable(Exception):
    pass


def clean(message: str) -> str:
    text = PULUMI_COLOR_TAG.sub("", ANSI.sub("", message)).strip()
    return text if len(text) <= MESSAGE_SHOWN else text[:MESSAGE_SHOWN] + "..."


def kind_of(op: str) -> str:
    return "replace" if op in REPLACE_OPS else op


def merge(changes: dict[str, Change], op: str, urn: str, reasons) -> None:
    """One entry per resource: a split replacement (create-replacement, replace,
    delete-replaced) is one replacement."""
    kind = kind_of(op)
    if kind in UNCHANGED_OPS or not urn:
        return
    known = changes.get(urn)
    # Not every step of a split replacement names the properties that force it: keep them.
    reasons = tuple(reasons or ()) or (known.reasons if known else ())
    changes[urn] = Change(kind, urn, reasons)


def from_digest(preview: Preview, digest: dict) -> None:
    changes: dict[str, Change] = {}
    for step in digest.get("steps") or []:
        merge(changes, step.get("op", ""), step.get("urn", ""), step.get("replaceReasons"))
    preview.changes = sorted(changes.values(), key=lambda c: c.urn)
    preview.counts = dict(digest.get("changeSummary") or {})
    for diagnostic in digest.get("diagnostics") or []:
        keep(preview, diagnostic.get("severity", ""), diagnostic.get("message", ""))
    if digest.get("maybeCorrupt"):
        preview.problems.append("Pulumi reports that resources may be in an unknown state")


def from_events(preview: Preview, events: list[dict]) -> None:
    changes: dict[str, Change] = {}
    preview.violations = []
    for event in sorted(events, key=lambda e: e.get("sequence", 0)):
        if "resourcePreEvent" in event:
            step = event["resourcePreEvent"].get("metadata", {})
            merge(changes, step.get("op", ""), step.get("urn", ""), step.get("keys"))
        elif "diagnosticEvent" in event:
            diagnostic = event["diagnosticEvent"]
            if not diagnostic.get("ephemeral"):
                keep(preview, diagnostic.get("severity", ""), diagnostic.get("message", ""))
        elif "policyEvent" in event:
            policy = event["policyEvent"]
            preview.violations.append(
                Violation(
                    level=policy.get("enforcementLevel", "advisory"),
                    policy=policy.get("policyName", "?"),
                    pack=policy.get("policyPackName", "?"),
                    urn=policy.get("resourceUrn", ""),
                    message=clean(policy.get("message", "")),
                )
            )
        elif "summaryEvent" in event:
            preview.counts = dict(event["summaryEvent"].get("resourceChanges") or {})
            if event["summaryEvent"].get("maybeCorrupt"):
                preview.problems.append("Pulumi reports that resources may be in an unknown state")
    preview.changes = sorted(changes.values(), key=lambda c: c.urn)
    # The ones that block the deploy first.
    preview.violations.sort(key=lambda v: (v.level != "mandatory", v.policy, v.urn))


def keep(preview: Preview, severity: str, message: str) -> None:
    # "info#err" is a program's stderr (progress, pip output): not an error by itself.
    if severity == "error":
        preview.errors.append(clean(message))
    elif severity == "warning":
        preview.warnings.append(clean(message))


def parse_output(preview: Preview, text: str) -> None:
    stripped = text.strip()
    if not stripped:
        raise Unreadable("the preview output is empty")
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict) and "sequence" not in document:
        from_digest(preview, document)
        return
    events = []
    for line in stripped.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "sequence" in event:
            events.append(event)
    if events:
        from_events(preview, events)
        return
    # Text printed before the document (policy pack installs): start at its first "{" line.
    starts = [i for i, line in enumerate(stripped.splitlines()) if line.startswith("{")]
    if starts:
        rest = "\n".join(stripped.splitlines()[starts[0] :])
        try:
            document, _ = json.JSONDecoder().raw_decode(rest)
        except ValueError:
            document = None
        if isinstance(document, dict):
            from_digest(preview, document)
            return
    raise Unreadable("the file does not hold the JSON of `pulumi preview --json`")


def exit_code_beside(path: Path) -> int | None:
    try:
        return int(path.with_suffix(".exitcode").read_text().strip())
    except (OSError, ValueError):
        return None


def load(path: Path) -> Preview:
    preview = Preview(environment=path.stem, source=path)
    if not path.is_file():
        preview.evaluated, preview.missing = False, True
        preview.problems.append(
            f"no preview output ({path} is missing): the preview did not run or did not finish"
        )
        return preview
    try:
        parse_output(preview, path.read_text(encoding="utf-8", errors="replace"))
    except Unreadable as error:
        preview.evaluated = False
        preview.problems.append(str(error))
    exit_code = exit_code_beside(path)
    if exit_code:
        preview.problems.insert(0, f"`pulumi preview` exited with {exit_code}")
    if preview.errors:
        preview.problems.append(f"{len(preview.errors)} error(s) reported")
    if any(v.level == "mandatory" for v in preview.violations or []):
        preview.problems.append("mandatory policy violations block the deploy")
    if preview.evaluated and not preview.counts:
        preview.problems.append("the preview did not finish (no change summary)")
    if preview.problems:
        preview.evaluated = False
    return preview


def resource(urn: str) -> str:
    """`type` **name** from urn:pulumi:<stack>::<project>::<parent types$type>::<name>."""
    parts = urn.split("::")
    if len(parts) < 4:
        return f"`{urn}`"
    kind = parts[2].rsplit("$", 1)[-1]
    name = "::".join(parts[3:])
    return f"`{kind}` **{name.replace('*', '')}**"


def result(preview: Preview) -> str:
    if not preview.evaluated:
        return "⛔ not evaluated (no output)" if preview.missing else "❌ failed: not evaluated"
    replaced, deleted = len(preview.of("replace")), len(preview.of("delete"))
    if replaced or deleted:
        return f"⚠️ {replaced} replaced, {deleted} deleted"
    if not preview.changes:
        return "✅ no changes"
    return "✅ changes, nothing replaced or deleted"


def policy_cell(preview: Preview) -> str:
    if not preview.evaluated and not preview.violations:
        return UNKNOWN
    if preview.violations is None:
        return "not reported¹"
    if not preview.violations:
        return "none"
    levels: dict[str, int] = {}
    for violation in preview.violations:
        levels[violation.level] = levels.get(violation.level, 0) + 1
    return ", ".join(f"{n} {level}" for level, n in sorted(levels.items()))


def listed(lines: list[str]) -> list[str]:
    if len(lines) <= LISTED:
        return lines
    return [*lines[:LISTED], f"- ... and {len(lines) - LISTED} more (see the job log)"]


def fenced(messages: list[str]) -> list[str]:
    body = "\n\n".join(m.replace("```", "'''") for m in messages[:10])
    return ["```text", body, "```"]


def section(preview: Preview) -> list[str]:
    out = [f"### {preview.environment}", ""]
    if preview.problems:
        out += [f"**Not evaluated**: {'; '.join(preview.problems)}.", ""]
    if preview.errors:
        out += ["Errors:", "", *fenced(preview.errors), ""]
    replaced = preview.of("replace")
    if replaced:
        out += [
            "**⚠️ Would be REPLACED** (deleted and created again: data in them is lost, "
            "names and addresses change):",
            "",
        ]
        out += listed(
            [
                f"- {resource(c.urn)}"
                + (f" because of {', '.join(f'`{r}`' for r in c.reasons)}" if c.reasons else "")
                for c in replaced
            ]
        )
        out.append("")
    deleted = preview.of("delete")
    if deleted:
        out += ["**⚠️ Would be DELETED:**", ""]
        out += listed([f"- {resource(c.urn)}" for c in deleted])
        out.append("")
    if preview.violations:
        out += ["**Policy violations:**", ""]
        out += listed(
            [
                f"- **{v.level}** `{v.policy}` ({v.pack})"
                + (f" on {resource(v.urn)}" if v.urn else "")
                + (f": {' '.join(v.message.split())}" if v.message else "")
                for v in preview.violations
            ]
        )
        out.append("")
    if preview.warnings:
        out += [
            f"<details><summary>{len(preview.warnings)} warning(s)</summary>",
            "",
            *fenced(preview.warnings),
            "",
            "</details>",
            "",
        ]
    others = [c for c in preview.changes if c.op not in ("replace", "delete")]
    if others:
        out += [f"<details><summary>{len(others)} other change(s)</summary>", ""]
        out += listed([f"- {c.op}: {resource(c.urn)}" for c in others])
        out += ["", "</details>", ""]
    return out if len(out) > 2 else []  # nothing to add to the table's line


def render(previews: list[Preview], title: str) -> str:
    out = [
        MARKER,
        f"## {title}",
        "",
        "| Environment | Result | Create | Update | Replace | Delete | Same | Policy |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for preview in previews:
        if preview.evaluated:
            counts = [str(preview.counts.get(op, 0)) for op in COLUMNS]
        else:
            counts = [UNKNOWN] * len(COLUMNS)  # unknown, which is not zero
        out.append(
            f"| {preview.environment} | {result(preview)} | {' | '.join(counts)} | {policy_cell(preview)} |"
        )
    out.append("")
    for preview in previews:
        out += section(preview)
    if any(p.violations is None and p.evaluated for p in previews):
        out += [
            "¹ `pulumi preview --json` leaves policy results out; set "
            "`PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true` to include them. "
            "Mandatory violations still fail the preview job.",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m epa_toolkit.delivery.preview_summary",
        description="Summarise `pulumi preview --json` files (one per environment) as Markdown.",
        epilog="Exit codes: 0 written, 1 could not write --output, 2 usage.",
    )
    parser.add_argument("previews", nargs="+", type=Path, help="build/preview/<environment>.json, in order")
    parser.add_argument("--output", type=Path, help="also write the Markdown to this file")
    parser.add_argument("--title", default="Infrastructure preview")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    markdown = render([load(path) for path in args.previews], args.title)
    print(markdown, end="")
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(markdown, encoding="utf-8")
        except OSError as error:
            print(f"preview_summary: could not write {args.output}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
