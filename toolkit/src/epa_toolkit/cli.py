"""`epa`: one command for everything in the toolkit. `epa <command> --help` for each.

Each command is a module of the toolkit run as a program (`epa inspect ...` is
`python -m epa_toolkit.inspection.cli ...`), so the modules stay usable on their own.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote

COMMANDS: dict[str, tuple[str, str]] = {
    # For assessors and pipelines: a deployed environment.
    "inspect": ("epa_toolkit.inspection.cli", "inspect a deployed environment (read-only)"),
    # The pipelines' steps (ci/deploy.sh, ci/preview.sh).
    "migrate": ("epa_toolkit.delivery.migrate", "run the database migrations as a one-off task"),
    "smoke": ("epa_toolkit.delivery.smoke", "smoke test a deployment (/version, /readyz)"),
    "preview-summary": ("epa_toolkit.delivery.preview_summary", "one summary of the previews"),
    "load-test": ("epa_toolkit.load_test", "load test with Locust against the targets"),
    "drill": ("epa_toolkit.drill", "failure drill (AWS FIS) under load, with a recovery record"),
    "protect": ("epa_toolkit.repo_settings", "repository settings by API (make protect)"),
    # The documents.
    "docs-check": ("epa_toolkit.docs_check", "check the documents' structure and links"),
    "limits": ("epa_toolkit.writing", "write the sections' limits and the EPA's numbers"),
    "plan": ("epa_toolkit.plan", "date the week-by-week plan from the gateway"),
    "checks-page": ("epa_toolkit.inspection.catalogue", "write docs/inspection-checks.md"),
    "ready": ("epa_toolkit.ready", "list what is unfinished before submission"),
    "evidence": ("epa_toolkit.evidence", "build the submission pack"),
    "contribution": ("epa_toolkit.contribution", "the contribution statement"),
    "cost": ("epa_toolkit.cost.cli", "monthly cost per environment [--write, --check]"),
    "facts": ("project_facts", "the project's facts: environments, pipelines [--check]"),
}


def version() -> str:
    """The toolkit's version and the commit it was installed from: the installer's record
    (PEP 610) names the commit of a git install, or the folder of a local one (then asked)."""
    found = metadata.version("epa-toolkit")
    return f"{found} ({commit() or 'commit unknown'})"


def commit() -> str | None:
    """The commit a git install recorded; for an install from a local folder (a template
    checkout), that checkout's HEAD, marked `+changes` when its toolkit differs from it."""
    try:
        direct = json.loads(metadata.distribution("epa-toolkit").read_text("direct_url.json") or "{}")
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if sha := direct.get("vcs_info", {}).get("commit_id"):
        return sha
    url = direct.get("url", "")
    folder = Path(unquote(url.removeprefix("file://")))
    if not url.startswith("file://") or not (folder / "pyproject.toml").is_file():
        return None
    head = _git(folder, "rev-parse", "HEAD")
    if head and _git(folder, "status", "--porcelain", "--", "."):
        head += "+changes"
    return head


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(["usage: epa <command> [arguments]  (epa <command> --help)", *lines,
                      f"  {'version'.ljust(width)}  the toolkit's version and commit"])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "version":
        print(f"epa-toolkit {version()}")
        return 0
    if args[0] not in COMMANDS:
        print(f"epa: unknown command {args[0]!r}\n{usage()}", file=sys.stderr)
        return 2
    module, _ = COMMANDS[args[0]]
    sys.argv = [f"epa {args[0]}", *args[1:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
