"""Shape the rendered project to the answers, record them for updates, say what's next.

Runs inside the new project folder after rendering. Small named steps, as in
cookiecutter-django. Everything here is deterministic: the same answers and template
commit always give the same bytes, which `cruft update` relies on.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

# Rendered by cookiecutter: the answers as JSON (a raw string keeps the escapes intact).
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

GITLAB_ONLY = (".gitlab-ci.yml", "renovate.json")
# The same review files serve both hosts; GitLab looks for them in other places.
GITLAB_LOCATIONS = {
    ".github/CODEOWNERS": ".gitlab/CODEOWNERS",
    ".github/pull_request_template.md": ".gitlab/merge_request_templates/Default.md",
}
# What belongs to one starter only (app/src/<slug>/ is written as PACKAGE/). The reference
# is the finished service desk; the minimal starter has the skeleton and one example route
# in their place. Files both need but differ in a little (main.py, models.py, the tests'
# conftest.py) say so with Jinja instead.
STARTER_ONLY = {
    "reference": (
        # The worked examples about the service desk itself (its domain, stories, alarms);
        # the examples of the shared infrastructure (ADRs 0002-0005) serve both starters.
        "docs/examples/architecture.md",
        "docs/examples/branching.md",
        "docs/examples/project-plan.md",
        "docs/examples/runbook.md",
        "docs/examples/threat-model.md",
        "docs/examples/user-stories.md",
        "docs/examples/adr/0001-compute-platform.md",
        "PACKAGE/tickets.py",
        "PACKAGE/schemas.py",
        "PACKAGE/templates/index.html",
        "app/migrations/versions/0001_create_tickets.py",
        "app/migrations/versions/0002_list_by_id.py",
        "app/tests/test_tickets_api.py",
        "app/tests/test_tickets_page.py",
    ),
    "minimal": (
        "PACKAGE/examples.py",
        "PACKAGE/templates/start.html",
        "app/migrations/versions/0001_start.py",
        "app/tests/test_examples.py",
    ),
}
# Keys cookiecutter adds that describe this machine, not the answers.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
# Set by scripts/lib/ensure-uv.sh when uv is on scripts/generate's PATH only.
UV_DIR_VARIABLE = "EPA_TEMPLATE_UV_DIR"


def remove_paths(project: Path, relative_paths: tuple[str, ...]) -> None:
    for relative in relative_paths:
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def keep_the_starter(project: Path, answers: dict) -> None:
    """Remove the files of the starter not chosen."""
    package = f"app/src/{answers['project_slug']}"
    for starter, paths in STARTER_ONLY.items():
        if starter != answers["starter"]:
            remove_paths(project, tuple(path.replace("PACKAGE", package) for path in paths))


def remove_gitlab_files(project: Path) -> None:
    remove_paths(project, GITLAB_ONLY)


def use_gitlab_layout(project: Path) -> None:
    """Move the review files to GitLab's locations, then drop GitHub's folder
    (workflows, Dependabot: GitLab uses .gitlab-ci.yml and Renovate)."""
    for github_path, gitlab_path in GITLAB_LOCATIONS.items():
        target = project / gitlab_path
        target.parent.mkdir(parents=True, exist_ok=True)
        (project / github_path).rename(target)
    shutil.rmtree(project / ".github")


def use_the_toolkit(answers: dict) -> None:
    """Import the template's own toolkit (toolkit/src, at the commit being generated): the
    hook runs before the project's dependencies are installed, and these steps need only
    PyYAML and, for the plan, `holidays`. The project is the working directory."""
    source = str(template_dir(answers) / "toolkit" / "src")
    if source not in sys.path:
        sys.path.insert(0, source)


def write_pipelines(project: Path) -> None:
    """Write the pipeline files' parts that follow project.yaml (the environments' deploy
    jobs, the delivery branches): the toolkit's generator, which `make docs` runs."""
    from project_facts import pipelines

    pipelines.update(project)


def record_template_paragraphs(project: Path) -> None:
    """Fingerprint every paragraph the template wrote (examples, guidance, README), so
    `make ready` can tell the apprentice's words from ours, whatever they delete later."""
    from epa_toolkit import prose

    found = set()
    for path in sorted(project.rglob("*.md")):
        found |= prose.fingerprints(path.read_text(encoding="utf-8"))
    header = "# Fingerprints of the template's paragraphs (epa_toolkit.prose), written at generation.\n"
    target = project / "docs" / "reference" / "template-paragraphs.txt"
    target.write_text(header + "".join(f"{fp}\n" for fp in sorted(found)), encoding="utf-8")


def write_plan(project: Path) -> str | None:
    """Date the plan in the brief; a warning when `holidays` is not installed
    (plain cookiecutter without it): `make setup` dates it then."""
    try:
        from epa_toolkit import plan
    except ImportError:
        return (
            "The plan in docs/project-brief.md is dated by `make setup` (the `holidays` package is not here)."
        )
    plan.main([], root=project)
    return None


def template_dir(answers: dict) -> Path:
    """The template's folder. Cookiecutter gives it as typed (`cookiecutter .`), and this
    hook runs inside the new project, so a relative path is resolved against the folder
    cookiecutter was started from (the shell's PWD)."""
    given = Path(str(answers.get("_repo_dir", "")))
    return given if given.is_absolute() else Path(os.environ.get("PWD", ".")) / given


def git(repo_dir: Path, *args: str) -> str | None:
    """What git answers in the template's folder, or None when it cannot (not a checkout)."""
    try:
        done = subprocess.run(["git", "-C", str(repo_dir), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def template_commit(repo_dir: Path) -> str | None:
    """The template's git commit, or None when it is not a git checkout."""
    return git(repo_dir, "rev-parse", "HEAD")


def template_location(answers: dict) -> str:
    """Where cruft should fetch the template from later: the URL given to cookiecutter,
    or the absolute path of a local checkout."""
    given = str(answers.get("_template", ""))
    if "://" in given or given.startswith(("gh:", "gl:", "bb:", "git@", "git+")):
        return given
    return str(template_dir(answers).resolve())


def cruft_state(answers: dict, commit: str) -> dict:
    """The .cruft.json that `cruft create` writes, so `cruft check` and `cruft update`
    also work on a project made with plain cookiecutter."""
    location = template_location(answers)
    context = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    context["_template"] = location
    context["_commit"] = commit
    return {
        "template": location,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": context},
        "directory": None,
    }


def record_answers_for_updates(project: Path, answers: dict) -> str | None:
    """Write .cruft.json, unless cruft itself is generating (it writes its own)."""
    if "_commit" in answers:
        return None
    commit = template_commit(template_dir(answers))
    if commit is None:
        return (
            "The template is not a git checkout, so no .cruft.json was written: "
            "run `cruft link <template-git-url>` later to enable updates."
        )
    text = json.dumps(cruft_state(answers, commit), ensure_ascii=False, indent=2, separators=(",", ": "))
    (project / ".cruft.json").write_text(text + "\n", encoding="utf-8")
    return None


HOSTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/", "bb:": "https://bitbucket.org/"}


def toolkit_source(answers: dict) -> str:
    """The project's uv source of the toolkit: the template repository at exactly the
    commit generated from, so `cruft update` moves it with the template. Only a plain
    `cookiecutter` run from a local checkout (as the template's own tests do) uses that
    checkout's toolkit folder as it is, uncommitted changes included."""
    location = str(answers.get("_template") or template_location(answers))
    commit = answers.get("_commit") or template_commit(template_dir(answers))
    if "_commit" not in answers and (remote := published_toolkit(template_dir(answers))):
        location = remote  # a clone of the published template, its toolkit as committed
    for short, url in HOSTS.items():
        if location.startswith(short):
            location = url + location[len(short) :]
    if location.startswith("git@"):  # git@host:owner/name.git -> ssh://git@host/owner/name.git
        location = "ssh://" + location.replace(":", "/", 1)
    location = location.removeprefix("git+")
    if "://" not in location and "_commit" in answers:  # cruft, from a local repository
        location = Path(location).resolve().as_uri()
    if "://" in location and commit:
        return inline_table(git=location, rev=commit, subdirectory="toolkit")
    return inline_table(path=str(Path(location).resolve() / "toolkit"))


def published_toolkit(repo_dir: Path) -> str | None:
    """The URL of the repository a local clone came from (`origin`), when its toolkit is
    exactly as committed there: the project's pipelines can fetch that, not a laptop path."""
    url = git(repo_dir, "remote", "get-url", "origin")
    if not url or not ("://" in url or url.startswith("git@")):
        return None
    return url if git(repo_dir, "status", "--porcelain", "--", "toolkit") == "" else None


def inline_table(**fields: str) -> str:
    """`epa-toolkit = { key = "value", ... }`, the TOML line of a uv source."""
    return "epa-toolkit = " + "{ " + ", ".join(f'{k} = "{v}"' for k, v in fields.items()) + " }"


def pin_the_toolkit(project: Path, answers: dict) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    line = re.compile(r"^epa-toolkit = [{].*[}]$", re.M)
    pinned = line.sub(lambda _: toolkit_source(answers), text, count=1)
    pyproject.write_text(pinned, encoding="utf-8")


def uv_step(uv_dir: str | None) -> str:
    """The line that puts uv on PATH when scripts/generate installed it for itself
    (scripts/lib/ensure-uv.sh sets EPA_TEMPLATE_UV_DIR then): `make setup` needs uv."""
    if not uv_dir:
        return ""
    comment = "# uv, where scripts/generate installed it (add this line to your shell profile)"
    return f'  export PATH={shlex.quote(uv_dir)}:"$PATH"   {comment}\n'


def next_steps(answers: dict, uv_dir: str | None = None) -> str:
    slug = answers["project_slug"]
    host = "GitHub" if answers["ci_provider"] == "github" else "GitLab"
    return f"""
Created {slug}/ for {answers["project_name"]}.

Next steps:
  cd {slug}
{uv_step(uv_dir)}  git init -b main
  make setup     # install the tools and dependencies (creates uv.lock)
  make test      # all tests, offline
  git add . && git commit -m "Generate project from template"
  make run       # the service on http://127.0.0.1:8000

Then push the repository to {host} and follow README.md, "Continuous delivery:
one-time setup", to your first deploy.
"""


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    project = Path.cwd()
    keep_the_starter(project, answers)
    if answers["ci_provider"] == "github":
        remove_gitlab_files(project)
    else:
        use_gitlab_layout(project)
    use_the_toolkit(answers)
    pin_the_toolkit(project, answers)
    write_pipelines(project)
    record_template_paragraphs(project)
    for warning in (write_plan(project), record_answers_for_updates(project, answers)):
        if warning:
            print(f"WARNING {warning}", file=sys.stderr)
    print(next_steps(answers, os.environ.get(UV_DIR_VARIABLE)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
