"""Checks before `make preview|deploy|destroy ENV=...` talks to AWS: say what is missing
and how to get it, instead of a stack trace half-way through.

    python -m preflight prod
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError

INFRA_DIR = Path(__file__).resolve().parent


def problems(stack: str) -> list[str]:
    found = []
    if not (INFRA_DIR / f"Pulumi.{stack}.yaml").is_file():
        stacks = sorted(p.name.split(".")[1] for p in INFRA_DIR.glob("Pulumi.*.yaml"))
        found.append(f"ENV={stack}: no infra/Pulumi.{stack}.yaml; use one of {', '.join(stacks)}.")
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        found.append(
            "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/ "
            "(the Python packages alone cannot deploy)."
        )
    elif subprocess.run([pulumi, "whoami"], capture_output=True, check=False).returncode:  # noqa: S603
        found.append(
            "Pulumi is not logged in to a state backend: run `pulumi login` with the backend "
            "from infra/bootstrap (see infra/bootstrap/README.md)."
        )
    try:
        credentials = boto3.Session().get_credentials()
    except BotoCoreError as error:
        credentials, reason = None, str(error)
    else:
        reason = "none found"
    if credentials is None:
        found.append(
            f"No AWS credentials ({reason}): sign in, e.g. `aws sso login --profile NAME` and "
            "`export AWS_PROFILE=NAME`. Pipelines use their OIDC deploy role instead."
        )
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m preflight STACK", file=sys.stderr)
        return 2
    found = problems(args[0])
    for problem in found:
        print(f"- {problem}", file=sys.stderr)
    if found:
        print(
            "Nothing was changed in AWS. Fix the above, then run the command again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
