"""GitLab: default branch, merge settings, protected branches, environments, the protected
environments (those of tier prod), pipeline schedules, CI/CD variables.

Through python-gitlab, the maintained GitLab REST client: its managers list and read
every object this tool manages, with the project found by its path (nested groups
included) and pagination handled. Protected environments go through its public
`http_*` methods: its manager for them cannot update one in place.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from functools import partial

import gitlab
import requests
from gitlab.exceptions import GitlabError, GitlabGetError
from gitlab.v4.objects import Project

from epa_toolkit.repo_settings.desired import (
    ACCESS_NAMES,
    MAINTAINERS,
    GitlabSettings,
    ProtectedBranch,
    Schedule,
    Variable,
)
from epa_toolkit.repo_settings.outcome import Change, NotApplied, Step

AUTH_VARIABLE = "GITLAB_TOKEN"
AUTH_HELP = (
    "Create a personal access token (User settings > Access tokens) with the `api` scope; "
    "you must be a Maintainer (or Owner) of the project. A project access token with the "
    "`api` scope and the Maintainer role works too. Self-managed GitLab: set GITLAB_URL "
    "(default https://gitlab.com)."
)


def connect(token: str, url: str) -> gitlab.Gitlab:
    return gitlab.Gitlab(url, private_token=token, retry_transient_errors=True)


def reason(error: Exception) -> str | None:
    """An API error in the user's words (None: not an API error)."""
    if isinstance(error, GitlabError):
        return f"GitLab answered {error.response_code}: {error.error_message}"
    if isinstance(error, requests.RequestException):
        return f"could not reach GitLab ({error.__class__.__name__})"
    return None


@dataclass
class Context:
    gl: gitlab.Gitlab
    project: Project
    dry_run: bool


def steps(ctx: Context, desired: GitlabSettings) -> list[Step]:
    """Branches before the default branch and their protection; environments before the
    protected environment and the variables scoped to them."""
    source = desired.branches[0]
    plan: list[Step] = [(f"branch {b}", partial(branch, ctx, b, source)) for b in desired.branches[1:]]
    plan += [
        ("default branch", partial(project_setting, ctx, "default_branch", desired.default_branch)),
        (
            "merge only when the pipeline succeeds",
            partial(
                project_setting,
                ctx,
                "only_allow_merge_if_pipeline_succeeds",
                desired.merge_only_if_pipeline_succeeds,
            ),
        ),
        (
            "delete source branch after merge",
            partial(
                project_setting,
                ctx,
                "remove_source_branch_after_merge",
                desired.remove_source_branch_after_merge,
            ),
        ),
    ]
    plan += [
        (f"protected branch {p.name}", partial(protected_branch, ctx, p)) for p in desired.protected_branches
    ]
    plan += [(f"environment {e}", partial(environment, ctx, e)) for e in desired.environments]
    plan += [
        (f"protected environment {name}", partial(protected_environment, ctx, desired, name))
        for name in desired.protected_environments
    ]
    plan += [(f"schedule {s.description}", partial(schedule, ctx, s)) for s in desired.schedules]
    plan += [(v.setting, partial(variable, ctx, v)) for v in desired.variables]
    return plan


def branch(ctx: Context, name: str, source: str) -> Change | None:
    try:
        ctx.project.branches.get(name)
    except GitlabGetError as error:
        if error.response_code != 404:
            raise
    else:
        return None
    try:
        head = ctx.project.branches.get(source).commit["id"]
    except GitlabGetError as error:
        if error.response_code != 404:
            raise
        raise NotApplied(
            f"{source} does not exist yet: push your first commit, then run this again"
        ) from None
    return Change(
        f"from {source} at {head[:8]}",
        partial(ctx.project.branches.create, {"branch": name, "ref": source}),
        created=True,
    )


def shown(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def project_setting(ctx: Context, attribute: str, wanted) -> Change | None:
    current = getattr(ctx.project, attribute, None)
    if current == wanted:
        return None
    return Change(
        f"{shown(current)} -> {shown(wanted)}",
        partial(ctx.project.manager.update, ctx.project.get_id(), {attribute: wanted}),
    )


def role_levels(access_levels: list[dict]) -> dict[int, int | None]:
    """Role-based access levels -> their id (rules for named users or groups are left alone)."""
    return {
        a["access_level"]: a.get("id")
        for a in access_levels or []
        if not a.get("user_id") and not a.get("group_id") and not a.get("deploy_key_id")
    }


def level_changes(kind: str, current: dict[int, int | None], wanted: int) -> tuple[list[str], list[dict]]:
    """What differs, and the `allowed_to_*` entries that fix it (add the wanted role,
    remove other roles)."""
    if set(current) == {wanted}:
        return [], []
    before = " + ".join(ACCESS_NAMES.get(level, str(level)) for level in sorted(current)) or "nobody set"
    entries = [{"id": i, "_destroy": True} for level, i in current.items() if level != wanted]
    if wanted not in current:
        entries.append({"access_level": wanted})
    return [f"{kind} {before} -> {ACCESS_NAMES[wanted]}"], entries


def protected_branch(ctx: Context, wanted: ProtectedBranch) -> Change | None:
    existing = {p.name: p for p in ctx.project.protectedbranches.list(get_all=True)}
    current = existing.get(wanted.name)
    if current is None:
        return Change(
            f"push: {ACCESS_NAMES[wanted.push]}, merge: {ACCESS_NAMES[wanted.merge]}, no force push",
            partial(
                ctx.project.protectedbranches.create,
                {
                    "name": wanted.name,
                    "push_access_level": wanted.push,
                    "merge_access_level": wanted.merge,
                    "allow_force_push": False,
                },
            ),
            created=True,
        )
    push, push_entries = level_changes("push", role_levels(current.push_access_levels), wanted.push)
    merge, merge_entries = level_changes("merge", role_levels(current.merge_access_levels), wanted.merge)
    changes = push + merge
    update: dict = {}
    if push_entries:
        update["allowed_to_push"] = push_entries
    if merge_entries:
        update["allowed_to_merge"] = merge_entries
    if getattr(current, "allow_force_push", False):
        changes.append("force push on -> off")
        update["allow_force_push"] = False
    if not changes:
        return None
    return Change(", ".join(changes), partial(ctx.project.protectedbranches.update, wanted.name, update))


def environment(ctx: Context, name: str) -> Change | None:
    if any(e.name == name for e in ctx.project.environments.list(get_all=True)):
        return None
    return Change("", partial(ctx.project.environments.create, {"name": name}), created=True)


def protected_environment(ctx: Context, desired: GitlabSettings, name: str) -> Change | None:
    """Only maintainers deploy the environment `name` (tier prod), after the required
    approvals. A Premium feature: on the Free tier GitLab answers 403, and the pipeline's
    manual deploy job of that environment is the gate."""
    base = f"/projects/{ctx.project.get_id()}/protected_environments"
    path = f"{base}/{urllib.parse.quote(name, safe='')}"
    try:
        try:
            current = ctx.gl.http_get(path)
        except GitlabError as error:
            if error.response_code != 404:
                raise
            current = None
        if current is None:
            body = {
                "name": name,
                "deploy_access_levels": [{"access_level": MAINTAINERS}],
                "required_approval_count": desired.approvals,
            }
            return Change(
                f"deploy: maintainers, {desired.approvals} approval{'' if desired.approvals == 1 else 's'}",
                partial(ctx.gl.http_post, base, post_data=body),
                created=True,
            )
        changes, entries = level_changes(
            "deploy", role_levels(current.get("deploy_access_levels", [])), MAINTAINERS
        )
        update: dict = {"deploy_access_levels": entries} if entries else {}
        approvals = current.get("required_approval_count", 0)
        if approvals != desired.approvals:
            changes.append(f"approvals {approvals} -> {desired.approvals}")
            update["required_approval_count"] = desired.approvals
        if not changes:
            return None
        return Change(", ".join(changes), partial(ctx.gl.http_put, path, post_data=update))
    except GitlabError as error:
        if error.response_code != 403:
            raise
        order = desired.environments
        before = order[order.index(name) - 1] if name in order[1:] else None
        check = f": run it only after checking {before}" if before else ""
        raise NotApplied(
            f"{reason(error)}. Protected environments need GitLab Premium or Ultimate "
            f"(or your token's user is not a Maintainer). Until then the manual deploy:{name} "
            f"job is the gate{check}"
        ) from None


def short_ref(ref: str) -> str:
    """GitLab may store a schedule's ref in full (refs/heads/main)."""
    return ref.removeprefix("refs/heads/")


def schedule(ctx: Context, wanted: Schedule) -> Change | None:
    """Found by description, so renaming one in GitLab makes a new one here."""
    found = [
        s for s in ctx.project.pipelineschedules.list(get_all=True) if s.description == wanted.description
    ]
    attributes = {
        "ref": wanted.ref,
        "cron": wanted.cron,
        "cron_timezone": wanted.timezone,
        "active": True,
    }
    if not found:
        shown_ = f"{wanted.ref}, {wanted.cron} {wanted.timezone}, SCHEDULE_TASK={wanted.task}"
        return Change(shown_, partial(create_schedule, ctx, wanted, attributes), created=True)
    current = ctx.project.pipelineschedules.get(found[0].id)
    update = {
        key: value
        for key, value in attributes.items()
        if (short_ref(current.ref) if key == "ref" else getattr(current, key, None)) != value
    }
    changes = [f"{key} {getattr(current, key, None)} -> {value}" for key, value in update.items()]
    # `current.variables` is the manager; the schedule's variables as read are an attribute.
    variables = {v["key"]: v["value"] for v in current.attributes.get("variables", [])}
    task = variables.get("SCHEDULE_TASK")
    if task != wanted.task:
        changes.append(f"SCHEDULE_TASK {task} -> {wanted.task}")
    if not changes:
        return None

    def write() -> None:
        if update:
            ctx.project.pipelineschedules.update(current.id, update)
        if task is None:
            current.variables.create({"key": "SCHEDULE_TASK", "value": wanted.task})
        elif task != wanted.task:
            current.variables.update("SCHEDULE_TASK", {"value": wanted.task})

    return Change(", ".join(changes), write)


def create_schedule(ctx: Context, wanted: Schedule, attributes: dict) -> None:
    created = ctx.project.pipelineschedules.create({"description": wanted.description, **attributes})
    created.variables.create({"key": "SCHEDULE_TASK", "value": wanted.task})


def variable(ctx: Context, wanted: Variable) -> Change | None:
    """Repository-level variables have the scope `*`; AWS_DEPLOY_ROLE_ARN has one per
    environment, picked by the deploy job's `environment:`."""
    scope = wanted.environment or "*"
    current = next(
        (
            v
            for v in ctx.project.variables.list(get_all=True)
            if v.key == wanted.name and getattr(v, "environment_scope", "*") == scope
        ),
        None,
    )
    if current is None:
        body = {"key": wanted.name, "value": wanted.value, "environment_scope": scope}
        return Change(wanted.value, partial(ctx.project.variables.create, body), created=True)
    if current.value == wanted.value:
        return None
    return Change(
        f"{current.value} -> {wanted.value}",
        partial(
            ctx.project.variables.update,
            wanted.name,
            {"value": wanted.value},
            filter={"environment_scope": scope},
        ),
    )
