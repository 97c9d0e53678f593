"""Command line of `make protect` (python -m epa_toolkit.repo_settings). See the package docstring."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import requests
from github import BadCredentialsException, GithubException, UnknownObjectException
from gitlab.exceptions import GitlabAuthenticationError, GitlabError, GitlabGetError

from epa_toolkit.repo_settings import github as github_api
from epa_toolkit.repo_settings import gitlab as gitlab_api
from epa_toolkit.repo_settings.desired import (
    Answers,
    AnswersError,
    BootstrapError,
    answers_of,
    approval_environments,
    ci_variables,
    github_settings,
    gitlab_settings,
)
from epa_toolkit.repo_settings.outcome import Status, converge, summary
from project_facts import Facts, FactsError, project_root
from project_facts import load as load_facts

# Exit codes: 0 every setting as wanted; 1 some not applied (see their lines);
# 2 could not start (token, repository, arguments, bootstrap outputs).
OK, NOT_APPLIED, CANNOT_RUN = 0, 1, 2

REVIEWS_HELP = (
    "approving reviews a pull request needs before merging (default 1). GitHub never "
    "counts the author's own approval, so an apprentice working alone needs 0: every "
    "change still goes through a pull request and the required checks, and each "
    "deployment to {approved} still waits for your approval. Code owner reviews are only "
    "required when this is 1 or more"
)


class CannotRun(Exception):
    """Nothing can be done: missing token, unknown repository, unusable arguments."""


def parse(argv: list[str] | None, answers: Answers, facts: Facts) -> argparse.Namespace:
    host = "GitHub" if answers.provider == "github" else "GitLab"
    # The environments of tier prod (project.yaml): their deploys wait for an approval.
    approved = " and ".join(approval_environments(facts)) or "no environment"
    parser = argparse.ArgumentParser(
        prog="python -m epa_toolkit.repo_settings",
        description=(
            f"Apply this project's {host} settings to {answers.repository} ({answers.strategy}): "
            "default branch, branch protection, the deployment environments of project.yaml "
            f"({approved} waiting for approval) and, with --bootstrap-outputs, the pipelines' "
            "CI variables. Changes only what differs and says what it did; running it again "
            "changes nothing."
        ),
        epilog=(github_api if answers.provider == "github" else gitlab_api).AUTH_HELP,
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    if answers.provider == "github":
        parser.add_argument(
            "--reviews",
            type=int,
            default=1,
            choices=range(7),
            metavar="N",
            help=REVIEWS_HELP.format(approved=approved),
        )
        parser.add_argument(
            "--reviewer",
            action="append",
            default=[],
            metavar="LOGIN",
            help=f"GitHub user who approves the deployments to {approved} (repeat it, or "
            "separate with commas); default: the repository's owner, when that is a user",
        )
    parser.add_argument(
        "--bootstrap-outputs",
        type=Path,
        metavar="FILE",
        help="JSON of `pulumi stack output --json` in infra/bootstrap: also set the CI variables",
    )
    parser.add_argument(
        "--pulumi-org",
        metavar="ORG",
        help="Pulumi Cloud organisation (pulumi-cloud backend): sets the PULUMI_ORG variable",
    )
    args = parser.parse_args(argv)
    if args.pulumi_org and answers.backend != "pulumi-cloud":
        parser.error(f"--pulumi-org is for the pulumi-cloud backend; this project uses {answers.backend}")
    if answers.provider == "github":
        args.reviewer = tuple(
            login for value in args.reviewer for login in re.split(r"[,\s]+", value) if login
        )
    return args


def read_variables(args: argparse.Namespace, answers: Answers, facts: Facts):
    if args.bootstrap_outputs is None:
        return ()
    try:
        outputs = json.loads(args.bootstrap_outputs.read_text(encoding="utf-8"))
    except OSError as error:
        raise CannotRun(f"cannot read {args.bootstrap_outputs}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CannotRun(
            f"{args.bootstrap_outputs} is not JSON ({error.msg}, line {error.lineno}): "
            "write it with `pulumi stack output --json` in infra/bootstrap"
        ) from None
    if not isinstance(outputs, dict):
        raise CannotRun(f"{args.bootstrap_outputs} must hold a JSON object of stack outputs")
    try:
        return ci_variables(outputs, answers.backend, args.pulumi_org, facts)
    except BootstrapError as error:
        raise CannotRun(f"{args.bootstrap_outputs}: {error}") from None


def token(environ: Mapping[str, str], name: str, help_text: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise CannotRun(f"{name} is not set. {help_text}\nThen run: {name}=<token> make protect")
    return value


def run_github(args, answers: Answers, environ: Mapping[str, str], variables, facts) -> list:
    secret = token(environ, github_api.AUTH_VARIABLE, github_api.AUTH_HELP)
    api_url = environ.get("GITHUB_API_URL", "https://api.github.com")
    gh = github_api.connect(secret, api_url)
    try:
        repo = gh.get_repo(answers.repository)
    except BadCredentialsException:
        raise CannotRun(f"GitHub refused GITHUB_TOKEN (401): is it current? {github_api.AUTH_HELP}") from None
    except UnknownObjectException:
        raise CannotRun(
            f"GitHub has no repository {answers.repository}, or the token cannot see it: create "
            "the repository (empty) and push to it, or give the token access to it"
        ) from None
    except (GithubException, requests.RequestException) as error:
        raise CannotRun(f"cannot read {answers.repository}: {github_api.reason(error)}") from None
    header(answers, args.dry_run)
    desired = github_settings(
        answers, approvals=args.reviews, reviewers=args.reviewer, variables=variables, facts=facts
    )
    context = github_api.Context(gh, repo, args.dry_run)
    return converge(github_api.steps(context, desired), dry_run=args.dry_run, reason=github_api.reason)


def run_gitlab(args, answers: Answers, environ: Mapping[str, str], variables, facts) -> list:
    secret = token(environ, gitlab_api.AUTH_VARIABLE, gitlab_api.AUTH_HELP)
    url = environ.get("GITLAB_URL", "").strip() or "https://gitlab.com"
    gl = gitlab_api.connect(secret, url)
    try:
        project = gl.projects.get(answers.repository)
    except GitlabAuthenticationError:
        raise CannotRun(
            f"GitLab at {url} refused GITLAB_TOKEN (401): is it current? {gitlab_api.AUTH_HELP}"
        ) from None
    except GitlabGetError as error:
        if error.response_code != 404:
            raise CannotRun(f"cannot read {answers.repository}: {gitlab_api.reason(error)}") from None
        raise CannotRun(
            f"GitLab at {url} has no project {answers.repository}, or the token cannot see it: "
            "create the project and push to it, or check GITLAB_URL"
        ) from None
    except (GitlabError, requests.RequestException) as error:
        raise CannotRun(f"cannot read {answers.repository}: {gitlab_api.reason(error)}") from None
    header(answers, args.dry_run)
    desired = gitlab_settings(answers, variables=variables, facts=facts)
    context = gitlab_api.Context(gl, project, args.dry_run)
    return converge(gitlab_api.steps(context, desired), dry_run=args.dry_run, reason=gitlab_api.reason)


def header(answers: Answers, dry_run: bool) -> None:
    host = "GitHub" if answers.provider == "github" else "GitLab"
    dry = " - dry run: nothing will be changed" if dry_run else ""
    print(f"{host} {answers.repository} ({answers.strategy}){dry}")


def main(
    argv: list[str] | None = None,
    *,
    answers: Answers | None = None,
    environ: Mapping[str, str] | None = None,
    facts: Facts | None = None,
) -> int:
    """`answers`: the project's (default: its .cruft.json); `facts`: the environments and
    branches (default: project.yaml, or the file named by PROJECT_FACTS)."""
    try:
        facts = facts or load_facts()
        answers = answers or answers_of(project_root())
    except FactsError as error:
        print(f"make protect: project.yaml: {error}", file=sys.stderr)
        return CANNOT_RUN
    except AnswersError as error:
        print(f"make protect: {error}", file=sys.stderr)
        return CANNOT_RUN
    args = parse(argv, answers, facts)
    environ = os.environ if environ is None else environ
    run = run_github if answers.provider == "github" else run_gitlab
    try:
        outcomes = run(args, answers, environ, read_variables(args, answers, facts), facts)
    except CannotRun as error:
        print(f"make protect: {error}", file=sys.stderr)
        return CANNOT_RUN
    except FactsError as error:  # a branch rule the pipelines could not follow either
        print(f"make protect: project.yaml: {error}", file=sys.stderr)
        return CANNOT_RUN
    print(summary(outcomes, args.dry_run))
    return NOT_APPLIED if any(o.status == Status.NOT_APPLIED for o in outcomes) else OK
