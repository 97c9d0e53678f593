"""`make inspect ENV=prod`, or directly:

    python -m epa_toolkit.inspection.cli --project NAME --environment prod --region eu-west-2 \
        --format markdown --output reports/inspection/prod.md

Every report records its provenance: the toolkit's version and commit, the caller (STS
GetCallerIdentity: account and ARN, "unknown" when STS cannot say), the region, the start
and end time, and where the tier's thresholds came from (--facts, the project's
project.yaml, or outside any project the template's). The JSON report is written first;
the Markdown, HTML, JUnit and console reports carry the SHA-256 of its exact bytes.

`--print-policy` prints the IAM policy an inspection needs (access.py) and exits: no
credentials or project needed.

Exit codes: 0 no FAIL at or above --fail-on; 1 such a FAIL; 2 could not run (credentials,
configuration, nothing matched); 3 only with --strict, when checks were NOT_EVALUATED or
ERROR. --exit-zero always exits 0 (reports only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from epa_toolkit import cli as toolkit
from epa_toolkit.inspection import access, report
from epa_toolkit.inspection.collect import UNKNOWN, NothingMatched, collect, read_only_session
from epa_toolkit.inspection.engine import apply_waivers, evaluate, load_waivers
from epa_toolkit.inspection.model import (
    SEVERITY_ORDER,
    TEMPLATE_FACTS,
    Severity,
    Status,
    facts_file,
    tier_defaults,
)

FORMATS = {"console", "json", "markdown", "junit", "html"}
SUFFIX = {"json": "json", "markdown": "md", "junit": "xml", "html": "html"}


class PrintPolicy(argparse.Action):
    """--print-policy: like --version, it answers before the required arguments are checked."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(json.dumps(access.policy(), indent=2))
        parser.exit(0)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="inspect", description="Read-only inspection of a deployed environment."
    )
    parser.add_argument("--print-policy", action=PrintPolicy, nargs=0,
                        help="print the IAM policy an inspection needs (JSON) and exit")  # fmt: skip
    parser.add_argument("--project", required=True, help="value of the project tag")
    parser.add_argument(
        "--environment", required=True, help="value of the environment tag (dev, staging, prod)"
    )
    parser.add_argument("--region", required=True)
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    parser.add_argument(
        "--format", default="console", help="comma-separated: console, json, markdown, junit, html"
    )
    parser.add_argument("--output", type=Path, help="file (one format) or folder (several) for the reports")
    parser.add_argument("--fail-on", default="high", choices=[s.value for s in Severity])
    parser.add_argument("--waivers", type=Path, help="YAML list of {check, resource, reason, expires}")
    parser.add_argument("--facts", type=Path, help="the project.yaml whose tiers set the thresholds "
                        "(default: the project's, else the template's)")  # fmt: skip
    parser.add_argument("--strict", action="store_true", help="exit 3 when checks could not be evaluated")
    parser.add_argument("--exit-zero", action="store_true", help="always exit 0")
    args = parser.parse_args(argv)
    args.formats = [f.strip() for f in args.format.split(",")]
    unknown = set(args.formats) - FORMATS
    if unknown:
        parser.error(f"--format: {', '.join(sorted(unknown))} not allowed; use {', '.join(sorted(FORMATS))}")
    return args


def exit_code(findings, fail_on: str, strict: bool) -> int:
    threshold = SEVERITY_ORDER.index(Severity(fail_on))
    if any(
        f.status == Status.FAIL and not f.waiver and SEVERITY_ORDER.index(f.check.severity) >= threshold
        for f in findings
    ):
        return 1
    if strict and any(f.status in (Status.NOT_EVALUATED, Status.ERROR) for f in findings):
        return 3
    return 0


def toolkit_provenance() -> dict[str, str]:
    """The toolkit's name, version and commit (as `epa version`); "unknown" when not known."""
    try:
        version = metadata.version("epa-toolkit")
    except metadata.PackageNotFoundError:
        version = UNKNOWN
    try:
        commit = toolkit.commit()
    except OSError:  # no git to ask
        commit = None
    return {"name": "epa-toolkit", "version": version, "commit": commit or UNKNOWN}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = dt.datetime.now(dt.UTC)
    try:
        waivers = load_waivers(args.waivers)
        facts = facts_file(args.facts)
        session = read_only_session(args.region, args.profile)
        scope, inventory = collect(session, args.project, args.environment)
        thresholds = tier_defaults(scope.tier, facts)
    except (NoCredentialsError, TokenRetrievalError, ProfileNotFound) as error:
        print(f"inspect: no usable AWS credentials ({type(error).__name__}); sign in (e.g. aws sso login) "
              "or run in the pipeline with its OIDC role.", file=sys.stderr)  # fmt: skip
        return 2
    except NothingMatched as error:
        print(f"inspect: {error}. Check --project, --environment and --region.", file=sys.stderr)
        return 2
    except (BotoCoreError, ValueError, OSError) as error:
        print(f"inspect: could not run: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    except ClientError as error:  # e.g. ExpiredToken; the message never holds credentials
        print(
            f"inspect: could not run: {error.response.get('Error', {}).get('Code')}",
            file=sys.stderr,
        )
        return 2
    findings = evaluate(inventory, thresholds)
    notes = apply_waivers(findings, waivers, started.date())
    run = {"account": scope.account, "region": scope.region, "project": scope.project,
           "environment": scope.environment, "tier": scope.tier,
           "started": started.isoformat(timespec="seconds"),
           "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
           "toolkit": toolkit_provenance(), "caller": {"account": scope.account, "arn": scope.caller},
           "thresholds": "the template's tiers (epa-toolkit)" if facts == TEMPLATE_FACTS else str(facts.resolve()),
           "collection_errors": inventory["errors"], "notes": notes}  # fmt: skip
    # The JSON report first: the others carry the SHA-256 of its exact bytes.
    emitted: dict[str, bytes] = {}
    digest = None
    if "json" in args.formats:
        emitted["json"] = report.to_json(run, findings).encode("utf-8")
        digest = hashlib.sha256(emitted["json"]).hexdigest()
    renderers = {
        "console": lambda: report.to_console(run, findings, colour=sys.stdout.isatty(), json_sha256=digest),
        "markdown": lambda: report.to_markdown(run, findings, json_sha256=digest),
        "junit": lambda: report.to_junit(run, findings, json_sha256=digest),
        "html": lambda: report.to_html(run, findings, json_sha256=digest),
    }
    for fmt in args.formats:
        if fmt not in emitted:
            emitted[fmt] = renderers[fmt]().encode("utf-8")
    # The console table always goes to the terminal; the other formats to --output if given.
    files = [fmt for fmt in emitted if fmt != "console"] if args.output else []
    for fmt in (fmt for fmt in args.formats if fmt not in files):
        sys.stdout.write(emitted[fmt].decode("utf-8"))
    for fmt in files:  # the JSON report first
        target = args.output if len(files) == 1 else args.output / f"{args.environment}.{SUFFIX[fmt]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(emitted[fmt])
        print(f"wrote {target}", file=sys.stderr)
    return 0 if args.exit_zero else exit_code(findings, args.fail_on, args.strict)


if __name__ == "__main__":
    sys.exit(main())
