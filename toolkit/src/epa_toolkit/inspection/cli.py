"""`make inspect ENV=prod`, or directly:

    python -m epa_toolkit.inspection.cli --project NAME --environment prod --region eu-west-2 \
        --format markdown --output reports/inspection/prod.md

Exit codes: 0 no FAIL at or above --fail-on; 1 such a FAIL; 2 could not run (credentials,
configuration, nothing matched); 3 only with --strict, when checks were NOT_EVALUATED or
ERROR. --exit-zero always exits 0 (reports only).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from epa_toolkit.inspection import report
from epa_toolkit.inspection.collect import NothingMatched, collect, read_only_session
from epa_toolkit.inspection.engine import apply_waivers, evaluate, load_waivers
from epa_toolkit.inspection.model import SEVERITY_ORDER, Severity, Status, tier_defaults

FORMATS = {"console", "json", "markdown", "junit"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="inspect", description="Read-only inspection of a deployed environment."
    )
    parser.add_argument("--project", required=True, help="value of the project tag")
    parser.add_argument(
        "--environment", required=True, help="value of the environment tag (dev, staging, prod)"
    )
    parser.add_argument("--region", required=True)
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    parser.add_argument("--format", default="console", help="comma-separated: console, json, markdown, junit")
    parser.add_argument("--output", type=Path, help="file (one format) or folder (several) for the reports")
    parser.add_argument("--fail-on", default="high", choices=[s.value for s in Severity])
    parser.add_argument("--waivers", type=Path, help="YAML list of {check, resource, reason, expires}")
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


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = dt.datetime.now(dt.UTC)
    try:
        waivers = load_waivers(args.waivers)
        session = read_only_session(args.region, args.profile)
        scope, inventory = collect(session, args.project, args.environment)
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
    findings = evaluate(inventory, tier_defaults(scope.tier))
    notes = apply_waivers(findings, waivers, started.date())
    run = dataclasses.asdict(scope)  # account, region, project, environment, tier
    run |= {"started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "collection_errors": inventory["errors"], "notes": notes}  # fmt: skip
    renderers = {
        "console": lambda: report.to_console(run, findings, colour=sys.stdout.isatty()),
        "json": lambda: report.to_json(run, findings),
        "markdown": lambda: report.to_markdown(run, findings),
        "junit": lambda: report.to_junit(run, findings),
    }
    suffix = {"json": "json", "markdown": "md", "junit": "xml"}
    # The console table always goes to the terminal; the other formats to --output if given.
    files = [fmt for fmt in args.formats if fmt != "console"] if args.output else []
    for fmt in (fmt for fmt in args.formats if fmt not in files):
        sys.stdout.write(renderers[fmt]())
    for fmt in files:
        target = args.output if len(files) == 1 else args.output / f"{args.environment}.{suffix[fmt]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(renderers[fmt]())
        print(f"wrote {target}", file=sys.stderr)
    return 0 if args.exit_zero else exit_code(findings, args.fail_on, args.strict)


if __name__ == "__main__":
    sys.exit(main())
