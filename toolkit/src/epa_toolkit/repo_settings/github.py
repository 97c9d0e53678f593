"""GitHub: default branch, branch protection, deployment environments, the required
reviewers of the environments of tier prod, Actions variables.

Through PyGithub, the maintained GitHub REST client: it reads every setting this tool
manages as typed objects (branch protection, environments with their protection rules,
variables), so comparing with the desired state is plain attribute access. The one call it
lacks, an environment's deployment branch policies, goes through its public `requester`,
the documented way to reach endpoints it does not wrap.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import requests
from github import Auth, Github, GithubException
from github.Environment import Environment
from github.EnvironmentDeploymentBranchPolicy import EnvironmentDeploymentBranchPolicyParams
from github.EnvironmentProtectionRuleReviewer import ReviewerParams
from github.Repository import Repository

from epa_toolkit.repo_settings.desired import (
    BranchProtection,
    GithubEnvironment,
    GithubSettings,
    Variable,
)
from epa_toolkit.repo_settings.outcome import Change, NotApplied, Step

AUTH_VARIABLE = "GITHUB_TOKEN"
AUTH_HELP = (
    "Create a token at https://github.com/settings/personal-access-tokens/new (fine-grained, "
    "for this repository only) with the repository permissions Administration, "
    "Environments, Variables and Contents set to read and write (Metadata: read); or a "
    "classic token with the `repo` scope. You must be an admin of the repository."
)
# Pauses between API calls, in seconds: GitHub asks integrations to space out their
# requests, writes especially, to stay clear of its secondary rate limits.
PACE = {"seconds_between_requests": 0.25, "seconds_between_writes": 1.0}
T = TypeVar("T")
# Plan-dependent features answer with these codes when the plan lacks them.
PLAN_LIMITED = {403, 404, 422}


def connect(token: str, api_url: str) -> Github:
    return Github(auth=Auth.Token(token), base_url=api_url, **PACE)


def reason(error: Exception) -> str | None:
    """An API error in the user's words (None: not an API error)."""
    if isinstance(error, GithubException):
        data = error.data
        message = data.get("message", "") if isinstance(data, dict) else str(data or "")
        return f"GitHub answered {error.status}: {message}".rstrip(": ")
    if isinstance(error, requests.RequestException):
        return f"could not reach GitHub ({error.__class__.__name__})"
    return None


@dataclass
class Context:
    gh: Github
    repo: Repository
    dry_run: bool


def steps(ctx: Context, desired: GithubSettings) -> list[Step]:
    """The settings in the order they depend on each other: branches before their
    protection and the default branch, environments before their reviewers and variables."""
    source = desired.branches[0]
    plan: list[Step] = [(f"branch {b}", partial(branch, ctx, b, source)) for b in desired.branches[1:]]
    plan.append(("default branch", partial(default_branch, ctx, desired.default_branch)))
    plan.append(("delete branches after merge", partial(delete_branch_on_merge, ctx, desired)))
    plan += [
        (f"branch protection {r.branch}", partial(protection, ctx, r, desired)) for r in desired.protection
    ]
    plan += [(f"environment {e.name}", partial(environment, ctx, e)) for e in desired.environments]
    plan += [
        (f"environment {name} required reviewers", partial(reviewers, ctx, desired, name))
        for name in desired.approval_environments
    ]
    plan += [(v.setting, partial(variable, ctx, v)) for v in desired.variables]
    return plan


def found(read: Callable[[], T]) -> T | None:
    """What `read` returns, or None when GitHub answers 404 (branch, protection,
    environment or variable not there)."""
    try:
        return read()
    except GithubException as error:
        if error.status == 404:
            return None
        raise


def branch(ctx: Context, name: str, source: str) -> Change | None:
    if found(partial(ctx.repo.get_branch, name)):
        return None
    head = found(lambda: ctx.repo.get_branch(source).commit.sha)
    if head is None:
        raise NotApplied(f"{source} does not exist yet: push your first commit, then run this again")
    return Change(
        f"from {source} at {head[:7]}",
        partial(ctx.repo.create_git_ref, f"refs/heads/{name}", head),
        created=True,
    )


def default_branch(ctx: Context, wanted: str) -> Change | None:
    current = ctx.repo.default_branch
    if current == wanted:
        return None
    return Change(f"{current} -> {wanted}", partial(ctx.repo.edit, default_branch=wanted))


def delete_branch_on_merge(ctx: Context, desired: GithubSettings) -> Change | None:
    if ctx.repo.delete_branch_on_merge == desired.delete_branch_on_merge:
        return None
    return Change("off -> on", partial(ctx.repo.edit, delete_branch_on_merge=desired.delete_branch_on_merge))


def observed_protection(protection) -> dict:
    """The managed fields of a GitHub branch protection (None: not protected)."""
    if protection is None:
        return {}
    reviews = protection.required_pull_request_reviews
    checks = protection.required_status_checks
    return {
        "pull request": reviews is not None,
        "approvals": reviews.required_approving_review_count if reviews else None,
        "dismiss stale reviews": bool(reviews and reviews.dismiss_stale_reviews),
        "code owner reviews": bool(reviews and reviews.require_code_owner_reviews),
        "checks": tuple(sorted(checks.contexts)) if checks else (),
        "up to date before merge": bool(checks and checks.strict),
        "includes admins": bool(protection.enforce_admins),
        "linear history": bool(protection.required_linear_history),
        "force pushes": bool(protection.allow_force_pushes),
        "deletion": bool(protection.allow_deletions),
        # Not managed, kept as they are when the rule is rewritten:
        "conversation resolution": bool(protection.required_conversation_resolution),
        "last push approval": bool(reviews and reviews.require_last_push_approval),
    }


def wanted_protection(rule: BranchProtection, current: dict) -> dict:
    return {
        "pull request": True,
        "approvals": rule.approvals,
        "dismiss stale reviews": True,
        "code owner reviews": rule.code_owner_reviews,
        # Required checks someone added by hand are kept.
        "checks": tuple(sorted(set(current.get("checks", ())) | set(rule.checks))),
        "up to date before merge": True,
        "includes admins": True,
        "linear history": rule.linear_history,
        "force pushes": False,
        "deletion": False,
    }


def differences(current: dict, wanted: dict) -> list[str]:
    def shown(value) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, tuple):
            return ", ".join(value) or "none"
        return str(value)

    return [
        f"{key} {shown(current.get(key))} -> {shown(value)}"
        for key, value in wanted.items()
        if current.get(key) != value
    ]


def protection(ctx: Context, rule: BranchProtection, desired: GithubSettings) -> Change | None:
    branch_ = found(partial(ctx.repo.get_branch, rule.branch))
    if branch_ is None:
        if ctx.dry_run and rule.branch in desired.branches[1:]:
            return Change(describe(rule), lambda: None, created=True)  # the branch step creates it
        raise NotApplied(f"branch {rule.branch} does not exist yet: push it, then run this again")
    current = observed_protection(found(branch_.get_protection))  # 404: "Branch not protected"
    wanted = wanted_protection(rule, current)
    changes = differences(current, wanted)
    if not changes:
        return None
    write = partial(
        branch_.edit_protection,
        strict=True,
        contexts=list(wanted["checks"]),
        enforce_admins=True,
        dismiss_stale_reviews=True,
        require_code_owner_reviews=rule.code_owner_reviews,
        required_approving_review_count=rule.approvals,
        required_linear_history=rule.linear_history,
        allow_force_pushes=False,
        allow_deletions=False,
        required_conversation_resolution=current.get("conversation resolution", False),
        require_last_push_approval=current.get("last push approval", False),
    )
    if not current:
        return Change(describe(rule), write, created=True)
    return Change(", ".join(changes), write)


def describe(rule: BranchProtection) -> str:
    code_owners = ", code owners" if rule.code_owner_reviews else ""
    linear = ", linear history" if rule.linear_history else ""
    return (
        f"pull request with {rule.approvals} approval{'' if rule.approvals == 1 else 's'}{code_owners}, checks "
        f"{', '.join(rule.checks)} up to date{linear}, no force push or deletion, admins included"
    )


def read_environment(repo: Repository, name: str) -> Environment | None:
    """The environment, fully read (None: it does not exist)."""

    def read() -> Environment:
        environment_ = repo.get_environment(name)
        environment_.protection_rules  # noqa: B018 - a lazy object reads itself on first use
        return environment_

    return found(read)


def policies_url(repo: Repository, name: str) -> str:
    return f"{repo.url}/environments/{urllib.parse.quote(name, safe='')}/deployment-branch-policies"


def branch_policies(ctx: Context, name: str) -> dict[str, int]:
    """Deployment branch name patterns -> policy id."""
    _, data = ctx.gh.requester.requestJsonAndCheck(
        "GET", policies_url(ctx.repo, name), parameters={"per_page": 100}
    )
    return {
        p["name"]: p["id"] for p in data.get("branch_policies", []) if p.get("type", "branch") == "branch"
    }


def current_rules(environment_) -> tuple[int, list[ReviewerParams], bool]:
    """Wait timer, reviewers and self-review setting, to keep them when rewriting."""
    wait, reviewers_, prevent_self_review = 0, [], False
    for rule in environment_.protection_rules or []:
        if rule.type == "wait_timer":
            wait = rule.wait_timer or 0
        elif rule.type == "required_reviewers":
            reviewers_ = [ReviewerParams(r.type, r.reviewer.id) for r in rule.reviewers or []]
            prevent_self_review = bool(rule.prevent_self_review)
    return wait, reviewers_, prevent_self_review


CUSTOM_BRANCHES = EnvironmentDeploymentBranchPolicyParams(
    protected_branches=False, custom_branch_policies=True
)


def environment(ctx: Context, wanted: GithubEnvironment) -> Change | None:
    """The environment exists and only the listed branches may deploy to it (which is
    what the environment's required reviewers and the deploy role's trust rely on)."""
    current = read_environment(ctx.repo, wanted.name)
    from_ = f"deploys from {', '.join(wanted.branches)}"
    if current is None:
        return Change(from_, partial(create_environment, ctx, wanted), created=True)
    policy = current.deployment_branch_policy
    custom = bool(policy and policy.custom_branch_policies)
    existing = branch_policies(ctx, wanted.name) if custom else {}
    add = [b for b in wanted.branches if b not in existing]
    remove = {b: i for b, i in existing.items() if b not in wanted.branches}
    changes = [] if custom else ["deployments limited to chosen branches"]
    changes += [f"+ {b}" for b in add] + [f"- {b}" for b in remove]
    if not changes:
        return None

    def write() -> None:
        if not custom:
            wait, reviewers_, prevent = current_rules(current)
            ctx.repo.create_environment(wanted.name, wait, reviewers_, prevent, CUSTOM_BRANCHES)
        set_branch_policies(ctx, wanted.name, add, remove)

    return Change(", ".join(changes), write)


def create_environment(ctx: Context, wanted: GithubEnvironment) -> None:
    ctx.repo.create_environment(wanted.name, deployment_branch_policy=CUSTOM_BRANCHES)
    set_branch_policies(ctx, wanted.name, list(wanted.branches), {})


def set_branch_policies(ctx: Context, name: str, add: list[str], remove: dict[str, int]) -> None:
    url = policies_url(ctx.repo, name)
    for pattern in add:
        ctx.gh.requester.requestJsonAndCheck("POST", url, input={"name": pattern, "type": "branch"})
    for policy_id in remove.values():
        ctx.gh.requester.requestJsonAndCheck("DELETE", f"{url}/{policy_id}")


def reviewers(ctx: Context, desired: GithubSettings, name: str) -> Change | None:
    """The environment `name` (tier prod) waits for one of these people to approve each
    deployment. Self-review stays allowed: an apprentice working alone approves their own
    deployments, a deliberate go/no-go recorded by GitHub."""
    owner = ctx.repo.owner
    if desired.reviewers_default and owner.type != "User":
        raise NotApplied(
            f"{owner.login} is an organisation, not a person: name the reviewers, "
            "e.g. make protect REVIEWERS=alice,bob"
        )
    ids = {}
    for login in desired.reviewers:
        user_id = found(lambda login=login: ctx.gh.get_user(login).id)
        if user_id is None:
            raise NotApplied(f"there is no GitHub user {login}")
        ids[user_id] = login
    names = ", ".join(desired.reviewers)
    current = read_environment(ctx.repo, name)
    if current is None:
        if ctx.dry_run:
            return Change(names, lambda: None, created=True)  # the environment step creates it
        raise NotApplied(f"the {name} environment does not exist (see its line above)")
    wait, current_reviewers, _ = current_rules(current)
    have = {(r.type, r.id) for r in current_reviewers}
    want = {("User", i) for i in ids}
    if have == want:
        return None
    policy = current.deployment_branch_policy
    branch_policy = (
        EnvironmentDeploymentBranchPolicyParams(policy.protected_branches, policy.custom_branch_policies)
        if policy
        else None
    )

    def write() -> None:
        try:
            ctx.repo.create_environment(
                name, wait, [ReviewerParams("User", i) for i in ids], False, branch_policy
            )
        except GithubException as error:
            if error.status not in PLAN_LIMITED:
                raise
            raise NotApplied(
                f"{reason(error)}. Required reviewers need a public repository or a paid plan "
                f"(GitHub Pro, Team, Enterprise) for private ones; until then {name} deploys "
                "without waiting for approval"
            ) from None

    if not have:
        return Change(names, write, created=True)
    return Change(f"now {names}", write)


def variable(ctx: Context, wanted: Variable) -> Change | None:
    if wanted.environment is None:
        holder = ctx.repo
    else:
        holder = read_environment(ctx.repo, wanted.environment)
        if holder is None:
            if ctx.dry_run:
                return Change(wanted.value, lambda: None, created=True)  # with its environment
            raise NotApplied(f"the {wanted.environment} environment does not exist (see its line above)")
    current = found(partial(holder.get_variable, wanted.name))
    if current is None:
        return Change(wanted.value, partial(holder.create_variable, wanted.name, wanted.value), created=True)
    if current.value == wanted.value:
        return None
    return Change(f"{current.value} -> {wanted.value}", partial(current.edit, wanted.value))
