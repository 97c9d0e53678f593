"""The README's change paths, followed step by step on generated projects: "Add an
environment" (uat between staging and prod) and "Change the branching strategy or CI
provider" (cruft update --variables-to-update, compared with a fresh bake)."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import bake, run, tool_env
from test_cruft import IGNORE, commit_project, cruft, git, template_repo  # noqa: F401 (fixture)
from test_pipelines import GITLAB, baked, gitlab_ci, gitlab_jobs, required_tool, workflows

# --- Add an environment ---------------------------------------------------------------------

# README, "Add an environment", step 1: project.yaml (the environment, its tier, its branches).
UAT_BRANCHES = {"trunk": "[main]", "gitflow": "[release/*, hotfix/*]"}


def add_uat(project: Path) -> None:
    """The README's steps 1 and 2, as an apprentice would make them."""
    facts = project / "project.yaml"
    text = facts.read_text()
    text = text.replace(
        "  staging: {tier: staging}\n", "  staging: {tier: staging}\n  uat: {tier: staging}\n"
    )
    for strategy, branches in UAT_BRANCHES.items():
        text = re.sub(
            rf"(  {strategy}:\n(?:    .*\n)*?    deploy: \{{.*?staging: \[[^\]]*\], )",
            rf"\g<1>uat: {branches}, ",
            text,
        )
    facts.write_text(text)
    # Step 2: the stack's config, from the environment it is most like, with its own network.
    stack = (project / "infra/Pulumi.staging.yaml").read_text()
    stack = stack.replace("config:\n", "config:\n  service-desk:vpcCidr: 10.25.0.0/16\n")
    stack = stack.replace("staging.", "uat.")  # the domain name, when there is one
    (project / "infra/Pulumi.uat.yaml").write_text(stack)


@pytest.mark.parametrize(
    "answers",
    [{"ci_provider": "github", "branching_strategy": "gitflow"}, GITLAB[0]],
    ids=["github-gitflow", "gitlab-trunk"],
)
def test_add_an_environment_by_the_documented_steps(answers, shared_env, tmp_path):
    project = bake(tmp_path, **answers)
    add_uat(project)
    facts = yaml.safe_load((project / "project.yaml").read_text())
    assert list(facts["environments"]) == ["dev", "staging", "uat", "prod"]
    for strategy in UAT_BRANCHES:
        assert "uat" in facts["branching"][strategy]["deploy"], strategy
    python = str(shared_env)
    env = tool_env(PYTHONPATH=f"{project}:{project / 'facts'}", PROJECT_FACTS=str(project / "project.yaml"))
    # Step 3: `make docs` (its project-facts steps here: the pipelines and the environment matrix).
    run([python, "-m", "project_facts", "pipelines"], cwd=project, env=env)
    run([python, "-m", "environments", "--write"], cwd=project / "infra", env=env)
    run([python, "-m", "project_facts", "pipelines", "--check"], cwd=project, env=env)

    # The model, the policy pack and the documents follow: every infra test parametrized by
    # stack runs for uat too (its model synthesized at its tier, every policy rule passed).
    tests = run([python, "-m", "pytest", "infra/tests", "-q", "-p", "no:cacheprovider", "-k", "uat"],
                cwd=project, env=env, timeout=600)  # fmt: skip
    assert re.search(r"\b([2-9]\d|\d{3,}) passed", tests.stdout), tests.stdout[-500:]
    assert "| Setting | dev | staging | uat | prod |" in (project / "docs/environments.md").read_text()
    # The bootstrap's deploy roles: one per environment of project.yaml.
    roles = run([python, "-c", "import ci_access; print(' '.join(ci_access.ENVIRONMENTS))"],
                cwd=project / "infra/bootstrap", env=env)  # fmt: skip
    assert roles.stdout.split() == ["dev", "staging", "uat", "prod"]

    if answers["ci_provider"] == "github":
        jobs = workflows(project)["deliver"]["jobs"]
        assert jobs["deploy-uat"]["needs"] == ["build", "deploy-staging"]  # after staging, same branches
        assert jobs["deploy-prod"]["with"]["promote-from"] == "uat"  # prod promotes what uat runs
        assert workflows(project)["drift"]["jobs"]["drift"]["strategy"]["matrix"]["environment"] == [
            "dev", "staging", "uat", "prod"]  # fmt: skip
    else:
        ci = gitlab_ci(project)
        assert ci["deploy:uat"]["needs"] == ["build", {"job": "deploy:staging", "artifacts": False}]
        assert ci["deploy:prod"]["needs"] == ["build", {"job": "deploy:uat", "artifacts": False}]
        git = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com"]
        run([*git, "init", "-q", "-b", "main"], cwd=project)
        run([*git, "remote", "add", "origin", "git@example.com:o/r.git"], cwd=project)
        run([*git, "add", "-A"], cwd=project)
        run([*git, "commit", "-qm", "uat"], cwd=project)
        jobs = gitlab_jobs(project, "main", CI_PIPELINE_SOURCE="push")
        assert jobs["deploy:uat"] == "on_success" and jobs["deploy:prod"] == "manual"
        tool = required_tool("gitlab-ci-local", "GITLAB_CI_LOCAL")
        run([tool, "--list", "--validate-dependency-chain", "--manual", "deploy:prod"], cwd=project,
            timeout=120)  # fmt: skip


def test_a_stale_pipeline_is_caught(shared_env, tmp_path_factory):
    """An environment added to project.yaml without `make docs`: make check says what to run."""
    project = baked(tmp_path_factory, GITLAB[0])
    copy = tmp_path_factory.mktemp("stale") / "p"
    shutil.copytree(project, copy, ignore=IGNORE)
    add_uat(copy)
    env = tool_env(PYTHONPATH=str(copy / "facts"), PROJECT_FACTS=str(copy / "project.yaml"))
    check = run_failing([str(shared_env), "-m", "project_facts", "pipelines", "--check"], copy, env)
    assert ".gitlab-ci.yml does not follow project.yaml: run `make docs`" in check


def run_failing(args: list[str], cwd: Path, env: dict) -> str:
    import subprocess

    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0, result.stdout
    return result.stdout + result.stderr


# --- Change the branching strategy or CI provider -------------------------------------------

APPRENTICE_EDIT = "\nOur team's notes: the service desk answers within a day.\n"


def apprentice_edits(project: Path) -> None:
    diary = project / "docs" / "records" / "diary.md"
    diary.write_text(diary.read_text() + APPRENTICE_EDIT)


def tree_differences(left: Path, right: Path) -> list[str]:
    differences: list[str] = []

    def walk(c: filecmp.dircmp, where: str) -> None:
        differences.extend(f"{where}{n} (only one side)" for n in c.left_only + c.right_only)
        for name in c.common_files:
            if not filecmp.cmp(Path(c.left) / name, Path(c.right) / name, shallow=False):
                differences.append(f"{where}{name}")
        for name, sub in c.subdirs.items():
            walk(sub, f"{where}{name}/")

    walk(filecmp.dircmp(left, right, ignore=[".git", ".cruft.json"]), "")
    return differences


@pytest.mark.parametrize(
    "change",
    [{"branching_strategy": "gitflow"}, {"ci_provider": "gitlab"}],
    ids=["strategy", "provider"],
)
def test_change_the_answers_with_cruft_update(change, template_repo, tmp_path):  # noqa: F811
    answers = {"gateway_date": "2027-03-01"}
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    out.mkdir(), fresh.mkdir()
    created = cruft(
        "create", str(template_repo), "--no-input", "--extra-context", json.dumps(answers), cwd=out
    )
    assert created.returncode == 0, created.stderr
    project = out / "service_desk"
    commit_project(project)
    apprentice_edits(project)
    git("commit", "-qam", "my notes", cwd=project)

    # README, "Change the branching strategy or CI provider".
    updated = cruft("update", "--skip-apply-ask", "--variables-to-update", json.dumps(change), cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    state = json.loads((project / ".cruft.json").read_text())
    assert {k: state["context"]["cookiecutter"][k] for k in change} == change

    baked_fresh = cruft("create", str(template_repo), "--no-input", "--extra-context",
                        json.dumps({**answers, **change}), cwd=fresh)  # fmt: skip
    assert baked_fresh.returncode == 0, baked_fresh.stderr
    apprentice_edits(fresh / "service_desk")
    assert tree_differences(project, fresh / "service_desk") == []
    if "branching_strategy" in change:
        assert "branching_strategy: gitflow" in (project / "project.yaml").read_text()
        assert "promote-from: staging" in (project / ".github/workflows/deliver.yml").read_text()
    else:
        assert (project / ".gitlab-ci.yml").is_file() and not (project / ".github").exists()
    assert APPRENTICE_EDIT in (project / "docs/records/diary.md").read_text()
    assert run(["git", "status", "--porcelain"], cwd=project, env=tool_env()).stdout.strip()
