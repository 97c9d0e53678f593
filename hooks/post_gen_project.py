"""Shape the rendered project to the answers, record them for updates, say what's next.

Runs inside the new project folder after rendering. Small named steps, as in
cookiecutter-django. Everything here is deterministic: the same answers and template
commit always give the same bytes, which `cruft update` relies on.
"""

from __future__ import annotations

import datetime as dt
import json
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
# Keys cookiecutter adds that describe this machine, not the answers.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")


def remove_paths(project: Path, relative_paths: tuple[str, ...]) -> None:
    for relative in relative_paths:
        path = project / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


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


# The EPA timeline: sign-off within 2 weeks of gateway, then 13 weeks to submit
# (about 12 weeks of project work at 2 days a week, 1 week to prepare the practical).
SIGN_OFF_WEEKS = 2
PROJECT_WEEKS = 13
PLAN_STEPS = (
    "Agree scope and user stories with stakeholders; protect the main branch; `make setup`, `make test`",
    "Bootstrap AWS (state store, OIDC roles); first deploy of dev",
    "Pipeline: tests and security scans on every change; build the image once and promote it",
    "First must-have user stories, test first; deploy to dev and staging",
    "Deploy prod behind its approval; run the inspection and keep the report",
    "Monitoring: dashboard, alarms, custom metric; trigger one alarm end to end",
    "Remaining must-have stories; accessibility check of the page",
    "Resilience: database failover and task loss tests; record them in the runbook",
    "Security: review the threat model; fix scan findings; rotate the database secret",
    "Should-have stories; automate refreshing and patching (scheduled rebuild)",
    "Documents: architecture, ADRs, runbook; draft the KSB analysis",
    "Final fixes; evidence pack (`make evidence`); KSB analysis within 300 words",
    "Prepare the 3-hour practical assessment; submit before the deadline",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day(date: dt.date) -> str:
    """Locale-independent, so every machine writes the same bytes."""
    return f"{DAYS[date.weekday()]} {date.day} {MONTHS[date.month - 1]} {date.year}"


def project_plan(gateway: dt.date) -> list[tuple[int, dt.date, dt.date, str]]:
    """(week, first day, last day, steps) from the latest sign-off date."""
    sign_off = gateway + dt.timedelta(weeks=SIGN_OFF_WEEKS)
    return [
        (week, sign_off + dt.timedelta(weeks=week - 1), sign_off + dt.timedelta(weeks=week, days=-1), step)
        for week, step in enumerate(PLAN_STEPS, start=1)
    ]


def render_plan(gateway: dt.date) -> str:
    sign_off = gateway + dt.timedelta(weeks=SIGN_OFF_WEEKS)
    deadline = sign_off + dt.timedelta(weeks=PROJECT_WEEKS)
    lines = [
        f"- Gateway: **{day(gateway)}**",
        f"- Sign-off of title and summary: by **{day(sign_off)}** (within {SIGN_OFF_WEEKS} weeks)",
        f"- Project submission deadline: **{day(deadline)}** ({PROJECT_WEEKS} weeks after sign-off)",
        "",
        "The dates assume sign-off on the last allowed day: move them if it comes sooner. Two",
        "project days a week; week 13 prepares the practical assessment.",
        "",
        "| Week | Dates | High-level steps |",
        "|---|---|---|",
    ]
    for week, first, last, step in project_plan(gateway):
        lines.append(f"| {week} | {day(first)} to {day(last)} | {step} |")
    return "\n".join(lines)


def write_plan(project: Path, gateway: str) -> None:
    brief = project / "docs" / "project-brief.md"
    text = brief.read_text(encoding="utf-8")
    brief.write_text(
        text.replace("<!-- plan -->", render_plan(dt.date.fromisoformat(gateway))), encoding="utf-8"
    )


def template_commit(repo_dir: str) -> str | None:
    """The template's git commit, or None when it is not a git checkout."""
    try:
        result = subprocess.run(
            ["git", "-C", repo_dir, "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def template_location(answers: dict) -> str:
    """Where cruft should fetch the template from later: the URL given to cookiecutter,
    or the absolute path of a local checkout."""
    given = str(answers.get("_template", ""))
    if "://" in given or given.startswith(("gh:", "gl:", "bb:", "git@", "git+")):
        return given
    return str(Path(answers["_repo_dir"]).resolve())


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
    commit = template_commit(answers.get("_repo_dir", ""))
    if commit is None:
        return (
            "The template is not a git checkout, so no .cruft.json was written: "
            "run `cruft link <template-git-url>` later to enable updates."
        )
    text = json.dumps(cruft_state(answers, commit), ensure_ascii=False, indent=2, separators=(",", ": "))
    (project / ".cruft.json").write_text(text + "\n", encoding="utf-8")
    return None


def next_steps(answers: dict) -> str:
    slug = answers["project_slug"]
    host = "GitHub" if answers["ci_provider"] == "github" else "GitLab"
    return f"""
Created {slug}/ for {answers["project_name"]}.

Next steps:
  cd {slug}
  git init -b main
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
    if answers["ci_provider"] == "github":
        remove_gitlab_files(project)
    else:
        use_gitlab_layout(project)
    write_plan(project, answers["gateway_date"])
    warning = record_answers_for_updates(project, answers)
    if warning:
        print(f"WARNING {warning}", file=sys.stderr)
    print(next_steps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
