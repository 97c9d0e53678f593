"""The repository settings this project needs, as plain data computed from the answers.

Nothing here calls an API: `github.py` and `gitlab.py` read the current state and change
what differs from this. The values follow the CI/CD contract of the pipelines: job names,
environments and CI variable names.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from project_facts import Facts
from project_facts import load as load_facts
from project_facts.pipelines import APPROVAL_TIER, releasing

# The environments and the branches of each strategy come from project.yaml: every function
# here takes the facts (`facts=None`: read project.yaml, or the file PROJECT_FACTS names).

# The change pipeline's jobs (their names are the GitHub status check names): they must
# pass before anything merges. The previews are not required: they need AWS set up first.
REQUIRED_CHECKS = ("Checks", "Security", "Image")
# GitLab access levels (protected branches and environments).
NO_ONE, DEVELOPERS, MAINTAINERS = 0, 30, 40
ACCESS_NAMES = {
    NO_ONE: "no one",
    DEVELOPERS: "developers",
    MAINTAINERS: "maintainers",
    60: "admins",
}


@dataclass(frozen=True)
class Answers:
    """The template answers that shape the settings, as the project recorded them
    (.cruft.json: `answers_of`)."""

    provider: str  # github | gitlab
    repository: str  # owner/name (GitLab: group/sub/name)
    strategy: str  # trunk | gitflow
    backend: str  # s3 | pulumi-cloud


class AnswersError(ValueError):
    """The project's recorded answers (.cruft.json) are missing or incomplete."""


ANSWER_KEYS = {
    "provider": "ci_provider",
    "repository": "repository",
    "strategy": "branching_strategy",
    "backend": "pulumi_backend",
}


def answers_of(root: Path) -> Answers:
    """The answers the project was generated with, from .cruft.json (what `cruft update`
    keeps current): where the repository lives, its strategy and Pulumi's state store. If
    the repository moves, change `repository` there, and in infra/bootstrap too: the
    deploy roles trust exactly this repository."""
    path = root / ".cruft.json"
    try:
        context = json.loads(path.read_text(encoding="utf-8"))["context"]["cookiecutter"]
        return Answers(**{field: str(context[key]) for field, key in ANSWER_KEYS.items()})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnswersError(
            f"{path}: cannot read the project's answers ({error}); it is written when the "
            "project is generated"
        ) from error


@dataclass(frozen=True)
class Variable:
    """A CI variable: repository level, or scoped to one deployment environment."""

    name: str
    value: str
    environment: str | None = None

    @property
    def setting(self) -> str:
        scope = f" ({self.environment})" if self.environment else ""
        return f"variable {self.name}{scope}"


def long_lived_branches(strategy: str, facts: Facts | None = None) -> tuple[str, ...]:
    """The first exists once the first commit is pushed (main); the others branch from it."""
    return (facts or load_facts()).strategy(strategy).long_lived


def default_branch(strategy: str, facts: Facts | None = None) -> str:
    """Where new work branches from and merges to (gitflow: develop)."""
    return (facts or load_facts()).strategy(strategy).default


def deploy_branches(strategy: str, facts: Facts | None = None) -> dict[str, tuple[str, ...]]:
    """The branches whose pipelines may deploy each environment."""
    return (facts or load_facts()).deploy_branches(strategy)


def approval_environments(facts: Facts | None = None) -> tuple[str, ...]:
    """The environments whose deploys wait for an approval: those of the approval tier."""
    facts = facts or load_facts()
    return tuple(name for name, tier in facts.environments.items() if tier == APPROVAL_TIER)


def release_branch(strategy: str, facts: Facts | None = None) -> str:
    """The branch the release environment (the last one of tier prod) deploys from: the
    code that environment runs. A schedule needs a branch, not a pattern: the first named
    one, else the default branch."""
    facts = facts or load_facts()
    branches = releasing(dataclasses.replace(facts, branching_strategy=strategy)).branches
    named = [b for b in branches if "*" not in b]
    return named[0] if named else facts.strategy(strategy).default


# ---------------------------------------------------------------- GitHub


@dataclass(frozen=True)
class BranchProtection:
    """A GitHub branch protection rule. Always: a pull request, strict required checks
    (the branch must be up to date with the base), stale approvals dismissed by new
    commits, the rule applies to administrators too, no force pushes, no deletion."""

    branch: str
    approvals: int
    linear_history: bool
    checks: tuple[str, ...] = REQUIRED_CHECKS

    @property
    def code_owner_reviews(self) -> bool:
        # A code owner review is an approving review: with no reviewer required there is
        # nobody else to give it, and requiring it would block every change.
        return self.approvals > 0


@dataclass(frozen=True)
class GithubEnvironment:
    """A deployment environment and the branches (name patterns) that may deploy to it."""

    name: str
    branches: tuple[str, ...]


@dataclass(frozen=True)
class GithubSettings:
    repository: str
    branches: tuple[str, ...]  # long-lived branches; all but the first are created from it
    default_branch: str
    protection: tuple[BranchProtection, ...]
    environments: tuple[GithubEnvironment, ...]
    # The environments that wait for a required reviewer (tier prod), and who that is
    # (GitHub logins).
    approval_environments: tuple[str, ...]
    reviewers: tuple[str, ...]
    # No --reviewer given: the reviewer is the owner, which must be a user, not an organisation.
    reviewers_default: bool
    variables: tuple[Variable, ...] = ()
    delete_branch_on_merge: bool = True


def github_settings(
    answers: Answers,
    *,
    approvals: int = 1,
    reviewers: tuple[str, ...] = (),
    variables: tuple[Variable, ...] = (),
    facts: Facts | None = None,
) -> GithubSettings:
    facts = facts or load_facts()
    branches = long_lived_branches(answers.strategy, facts)
    default = default_branch(answers.strategy, facts)
    # Gitflow merges release and hotfix branches into main and back into develop with
    # merge commits: a linear history would force squashes that make the two diverge.
    linear = answers.strategy == "trunk"
    deploys = deploy_branches(answers.strategy, facts)
    environments = tuple(GithubEnvironment(env, deploys[env]) for env in facts.names)
    # The nightly drift job runs in its own environment (its OIDC subject names it); GitHub
    # runs scheduled workflows on the default branch.
    environments += (GithubEnvironment("drift", (default,)),)
    owner = answers.repository.split("/")[0]
    return GithubSettings(
        repository=answers.repository,
        branches=branches,
        default_branch=default,
        protection=tuple(BranchProtection(b, approvals, linear) for b in branches),
        environments=environments,
        approval_environments=approval_environments(facts),
        reviewers=reviewers or (owner,),
        reviewers_default=not reviewers,
        variables=variables,
    )


# ---------------------------------------------------------------- GitLab


@dataclass(frozen=True)
class ProtectedBranch:
    """Who may push and who may merge (GitLab access levels); force pushes never."""

    name: str
    push: int
    merge: int


@dataclass(frozen=True)
class Schedule:
    """A pipeline schedule, found again by its description. The pipeline reads
    SCHEDULE_TASK to know which job to run."""

    description: str
    ref: str
    cron: str
    task: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class GitlabSettings:
    project: str
    branches: tuple[str, ...]
    default_branch: str
    protected_branches: tuple[ProtectedBranch, ...]
    environments: tuple[str, ...]
    schedules: tuple[Schedule, ...]
    # Deployed by maintainers only, after the approvals (the environments of tier prod).
    protected_environments: tuple[str, ...]
    variables: tuple[Variable, ...] = ()
    approvals: int = 1
    merge_only_if_pipeline_succeeds: bool = True
    remove_source_branch_after_merge: bool = True


def gitlab_protected_branches(strategy: str, facts: Facts | None = None) -> tuple[ProtectedBranch, ...]:
    """GitLab's OIDC token names the branch, not the environment, so the deploy roles
    (infra/bootstrap/ci_access.py) trust branch names: whoever can push to a deploying
    branch can deploy. Every branch that builds or deploys MUST therefore be protected.
    The long-lived branches (project.yaml) take changes only through merge requests; the
    other branches that build or deploy (gitflow: release/*, hotfix/*) are cut and fixed
    by maintainers."""
    branching = (facts or load_facts()).strategy(strategy)
    others = [*branching.build, *(b for bs in branching.deploy.values() for b in bs)]
    return tuple(ProtectedBranch(b, NO_ONE, MAINTAINERS) for b in branching.long_lived) + tuple(
        ProtectedBranch(b, MAINTAINERS, MAINTAINERS)
        for b in dict.fromkeys(others)
        if b not in branching.long_lived
    )


def gitlab_schedules(strategy: str, facts: Facts | None = None) -> tuple[Schedule, ...]:
    """The weekly refresh is a change like any other, so it runs where changes enter, the
    default branch (trunk: main; gitflow: develop, from where it reaches the later
    environments with the next release: main never rebuilds, it promotes what staging
    ran). Drift detection runs on the branch the release environment deploys from, the
    code prod runs: drift in prod is what matters most."""
    facts = facts or load_facts()
    return (
        Schedule("weekly refresh", default_branch(strategy, facts), "0 5 * * 1", "refresh"),
        Schedule("nightly drift detection", release_branch(strategy, facts), "0 4 * * *", "drift"),
    )


def gitlab_settings(
    answers: Answers, *, variables: tuple[Variable, ...] = (), facts: Facts | None = None
) -> GitlabSettings:
    facts = facts or load_facts()
    return GitlabSettings(
        project=answers.repository,
        branches=long_lived_branches(answers.strategy, facts),
        default_branch=default_branch(answers.strategy, facts),
        protected_branches=gitlab_protected_branches(answers.strategy, facts),
        environments=facts.names,
        schedules=gitlab_schedules(answers.strategy, facts),
        protected_environments=approval_environments(facts),
        variables=variables,
    )


# ---------------------------------------------------------------- CI variables


class BootstrapError(ValueError):
    """The bootstrap outputs cannot give the CI variables (missing or wrong values)."""


# CI variable <- output of the bootstrap stack (`pulumi stack output --json` in infra/bootstrap).
REPOSITORY_VARIABLES = {
    "AWS_PUBLISH_ROLE_ARN": "publish_role",
    "AWS_PREVIEW_ROLE_ARN": "preview_role",
    "IMAGE_REPOSITORY": "image_repository",
}


def ci_variables(
    outputs: dict, backend: str, pulumi_org: str | None, facts: Facts | None = None
) -> tuple[Variable, ...]:
    """The pipelines' CI variables: role ARNs and the registry, none of them secret (only
    this repository's pipelines can assume the roles)."""
    wanted = dict(REPOSITORY_VARIABLES)
    if backend == "s3":
        wanted["PULUMI_BACKEND_URL"] = "pulumi_login"
    scoped = {env: f"deploy_role_{env}" for env in (facts or load_facts()).names}
    needed = [*wanted.values(), *scoped.values()]
    missing = [name for name in needed if not isinstance(outputs.get(name), str) or not outputs[name]]
    if missing:
        raise BootstrapError(
            f"the bootstrap outputs lack {', '.join(missing)}: run `pulumi up` in infra/bootstrap, "
            "then `pulumi stack output --json` again"
        )
    if backend == "pulumi-cloud" and not pulumi_org:
        raise BootstrapError(
            "the pulumi-cloud backend needs the Pulumi Cloud organisation: make protect PULUMI_ORG=<org>"
        )
    variables = [Variable(name, outputs[output]) for name, output in wanted.items()]
    if backend == "pulumi-cloud":
        variables.append(Variable("PULUMI_ORG", str(pulumi_org)))
    variables += [Variable("AWS_DEPLOY_ROLE_ARN", outputs[o], env) for env, o in scoped.items()]
    return tuple(variables)
