"""Bake every supported combination of answers and check each generated project.

Every choice value appears at least once, and the choices that interact (CI provider x
branching strategy x state backend, custom domain or not) are baked in full. The two
starters share the same bakes (each meets every provider, strategy and backend, and
the documents and infra checks below), so covering both costs no extra bake.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import TOOLS_BIN, bake, run, run_project_tests, tool_env

COMBINATIONS = [
    {
        "ci_provider": ci,
        "branching_strategy": branching,
        "pulumi_backend": backend,
        "domain_name": "desk.acme-training.co.uk" if (i % 2) else "",
        # Each starter meets both providers, strategies, backends and domain settings.
        "starter": "reference" if (i // 2 + i // 4) % 2 else "minimal",
    }
    for i, (ci, branching, backend) in enumerate(
        itertools.product(["github", "gitlab"], ["trunk", "gitflow"], ["s3", "pulumi-cloud"])
    )
]
COMBINATIONS += [
    # Non-ASCII answers, a slug that differs from the default, another region.
    {
        "project_name": "Équipe Réservations",
        "apprentice_name": "Siân O'Brien",
        "aws_region": "us-east-1",
        "starter": "minimal",
    },
    # A hand-edited slug and a GitLab project in a nested group.
    {
        "project_slug": "rooms",
        "ci_provider": "gitlab",
        "repository": "acme/platform/rooms",
        "starter": "reference",
    },
]
IDS = ["-".join(v or "nodomain" for v in combo.values()) for combo in COMBINATIONS]

UNRENDERED = re.compile(r"\{[{%#]-?\s*cookiecutter|\{%-?\s*(end)?raw\s*-?%\}|cookiecutter\.")
# Jinja2 page templates of the app are copied verbatim (they are not cookiecutter's).
VERBATIM = ("/templates/", "/static/")
_BAKED: dict[str, Path] = {}


@pytest.fixture(params=COMBINATIONS, ids=IDS)
def project(request, tmp_path_factory) -> Path:
    key = json.dumps(request.param, sort_keys=True)
    if key not in _BAKED:
        _BAKED[key] = bake(tmp_path_factory.mktemp("bake"), **request.param)
    return _BAKED[key]


def project_files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file())


class YamlWithTags(yaml.SafeLoader):
    """Accept CI-specific tags such as GitLab's !reference while checking syntax."""


YamlWithTags.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_nothing_left_unrendered(project):
    for path in project_files(project):
        relative = path.relative_to(project).as_posix()
        assert "{{" not in relative and "cookiecutter" not in relative, relative
        if any(part in f"/{relative}" for part in VERBATIM):
            continue
        text = path.read_text(encoding="utf-8")
        match = UNRENDERED.search(text)
        assert match is None, f"{relative}: template debris {match.group(0)!r}"


def test_structured_files_parse(project):
    parsed = 0
    for path in project_files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yml", ".yaml"):
            list(yaml.load_all(text, Loader=YamlWithTags))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        else:
            continue
        parsed += 1
    assert parsed >= 5


def test_host_specific_files(project):
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    github = [".github/CODEOWNERS", ".github/pull_request_template.md", ".github/dependabot.yml"]
    gitlab = [".gitlab/CODEOWNERS", ".gitlab/merge_request_templates/Default.md", "renovate.json"]
    present, absent = (github, gitlab) if answers["ci_provider"] == "github" else (gitlab, github)
    for relative in present:
        assert (project / relative).is_file(), relative
    for relative in absent:
        assert not (project / relative).exists(), relative
    owner = answers["repository"].split("/")[0]
    codeowners = next(project.glob(".*/CODEOWNERS")).read_text()
    assert f"/infra/          @{owner}" in codeowners


def test_dependency_bot_config_matches_its_schema(project):
    checks = {".github/dependabot.yml": "vendor.dependabot", "renovate.json": "vendor.renovate"}
    for relative, schema in checks.items():
        if (project / relative).exists():
            run([str(TOOLS_BIN / "check-jsonschema"), "--builtin-schema", schema, relative], cwd=project)


def test_compose_file_matches_its_schema(project):
    run([str(TOOLS_BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
         "app/compose.yaml"], cwd=project)  # fmt: skip


def test_answers_recorded_for_updates(project):
    state = json.loads((project / ".cruft.json").read_text())
    assert state["commit"] and state["template"]
    context = state["context"]["cookiecutter"]
    assert context["project_slug"] == project.name
    assert (project / "app" / "src" / project.name / "__init__.py").is_file()


def test_ruff_is_clean(project):
    run([str(TOOLS_BIN / "ruff"), "check", "--no-cache", "."], cwd=project, env=tool_env())
    run([str(TOOLS_BIN / "ruff"), "format", "--check", "--no-cache", "."], cwd=project, env=tool_env())


def test_generated_app_tests_pass(project, shared_env):
    result = run_project_tests(project, shared_env)
    assert re.search(r"\d+ passed", result.stdout), result.stdout


def test_dockerfile_passes_hadolint(project):
    run([str(TOOLS_BIN / "hadolint"), "app/Dockerfile"], cwd=project)


# Infrastructure answers differ in these bakes (region, project name): run their infra
# tests too (the reference project's run in the README quick-start test).
INFRA_VARIANTS = [c for c in COMBINATIONS if "aws_region" in c or "project_slug" in c]


@pytest.mark.parametrize("answers", INFRA_VARIANTS, ids=lambda c: c.get("project_slug", c.get("aws_region")))
def test_generated_infra_tests_pass(answers, shared_env, tmp_path):
    result = run_project_tests(bake(tmp_path, **answers), shared_env, suite="infra/tests")
    assert re.search(r"\d+ passed", result.stdout), result.stdout


DOCS_VARIANTS = [COMBINATIONS[0], COMBINATIONS[1], *INFRA_VARIANTS]


@pytest.mark.parametrize(
    "answers", DOCS_VARIANTS, ids=lambda c: "-".join(str(v) or "nodomain" for v in c.values())
)
def test_generated_documents_are_current(answers, shared_env, tmp_path):
    """The diagram, KSB tables, word limits and links of a fresh project all check out."""
    project = bake(tmp_path, **answers)
    env = tool_env(PYTHONPATH=str(project / "app" / "src"))
    run([str(shared_env), "-m", "diagram", "--check"], cwd=project / "infra", env=env)
    run([str(shared_env), "-m", "epa_toolkit.docs_check"], cwd=project, env=env)
