"""The apprentice's documents as the EPA sees them: a fresh project checks out but is not
ready; a finished one is ready and packs into a final submission with no broken link; the
KSB maps are the apprentice's; two apprentices' projects share no prose."""

from __future__ import annotations

import re
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import TEMPLATE, bake, run, tool_env
from cookiecutter.main import cookiecutter

GIT_TEMPLATE = {"GIT_AUTHOR_NAME": "Template", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "Template", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
GIT_APPRENTICE = {"GIT_AUTHOR_NAME": "Jo Learner", "GIT_AUTHOR_EMAIL": "jo@example.com",
                  "GIT_COMMITTER_NAME": "Jo Learner", "GIT_COMMITTER_EMAIL": "jo@example.com"}  # fmt: skip


def python(shared_env: Path, project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = tool_env(PYTHONPATH=str(project / "app" / "src"))
    if check:
        return run([str(shared_env), *args], cwd=project, env=env, timeout=600)
    return subprocess.run([str(shared_env), *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip


def commit(project: Path, message: str, who: dict[str, str]) -> None:
    if not (project / ".git").is_dir():
        run(["git", "init", "-q", "-b", "main"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run(["git", "commit", "-q", "-m", message], cwd=project, env=tool_env(**who))


def declared_sections(project: Path) -> list[tuple[str, str]]:
    reference = yaml.safe_load((project / "docs" / "reference" / "ksb-st0825.yaml").read_text())
    found = []
    for doc in reference["documents"]:
        for path in sorted(project.glob(doc["path"])):
            found += [(path.relative_to(project).as_posix(), s["id"]) for s in doc["sections"]]
    return found


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src") and value]


def broken_pack_links(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        folders = {str(PurePosixPath(n).parent) for n in names}
        broken = []
        # The pack's own pages; HTML under source/ is the app's templates, as committed.
        for name in sorted(n for n in names if n.endswith(".html") and "/source/" not in n):
            parser = Links()
            parser.feed(zf.read(name).decode())
            for target in parser.targets:
                if re.match(r"^([a-z][a-z0-9+.-]*:|#)", target, re.IGNORECASE):
                    continue
                path = str(PurePosixPath(name).parent / target.split("#")[0])
                resolved = PurePosixPath(*[p for p in PurePosixPath(path).parts if p != "."])
                parts: list[str] = []
                for part in resolved.parts:
                    parts = parts[:-1] if part == ".." else [*parts, part]
                target_path = "/".join(parts).rstrip("/")
                if target_path not in names and target_path not in folders:
                    broken.append(f"{name}: {target}")
    return broken


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    project = bake(tmp_path_factory.mktemp("fresh"))
    commit(project, "Generate project from template", GIT_TEMPLATE)
    return project


def test_a_fresh_project_is_not_ready_and_names_every_section(fresh, shared_env):
    result = python(shared_env, fresh, "-m", "epa_toolkit.ready", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    for path, section in declared_sections(fresh):
        assert re.search(rf"{re.escape(path)}:\d+: {re.escape(section)}: not written yet", result.stderr), (
            path,
            section,
        )
    assert "docs/portfolio.md:" in result.stderr and "plan week 13: no steps yet" in result.stderr


def test_a_fresh_project_gets_a_draft_pack_only(fresh, shared_env):
    final = python(shared_env, fresh, "-m", "epa_toolkit.evidence", check=False)
    assert final.returncode == 1 and "DRAFT=1" in final.stdout + final.stderr
    assert list(fresh.glob("build/evidence/*.zip")) == [], "a final pack is refused while not ready"
    python(shared_env, fresh, "-m", "epa_toolkit.evidence", "--draft")
    [archive] = (fresh / "build" / "evidence").glob("*-DRAFT.zip")
    with zipfile.ZipFile(archive) as zf:
        pages = [n for n in zf.namelist() if n.endswith(".html") and "/source/" not in n]
        assert pages and all("DRAFT" in zf.read(n).decode() for n in pages)
    assert broken_pack_links(archive) == []


def test_a_finished_project_is_ready_and_packs_the_submission(tmp_path, shared_env):
    project = bake(tmp_path)
    commit(project, "Generate project from template", GIT_TEMPLATE)
    python(
        shared_env,
        project,
        "-c",
        f"import sys; sys.path.insert(0, {str(TEMPLATE / 'toolkit')!r}); from pathlib import Path; "
        "from tests import apprentice; apprentice.finish(Path.cwd())",
    )
    commit(project, "Write the documents", GIT_APPRENTICE)

    ready = python(shared_env, project, "-m", "epa_toolkit.ready")
    assert "KSBs evidenced: 31/31 project, 20/20 discussion" in ready.stdout
    python(shared_env, project, "-m", "epa_toolkit.evidence")
    [archive] = (project / "build" / "evidence").glob("*.zip")
    assert "DRAFT" not in archive.name
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        top = names[0].split("/")[0]
        for expected in ("source/app/Dockerfile", "source/infra/__main__.py", "source/Makefile",
                         "documents/docs/threat-model.html", "documents/docs/records/refactor.html",
                         "models/prod.json", "test-reports/app-junit.xml", "MANIFEST.sha256",
                         "CONTRIBUTION.md", "index.html"):  # fmt: skip
            assert f"{top}/{expected}" in names, expected
        assert not [n for n in names if "/examples/" in n], "worked examples are never submitted"
        pages = {n: zf.read(n).decode() for n in names if n.endswith(".html") and "/source/" not in n}
        assert not any("DRAFT" in page for page in pages.values())
        assert not any("write:begin" in page for page in pages.values()), "no guidance in the pack"
        contribution = zf.read(f"{top}/CONTRIBUTION.md").decode()
        assert "Jo Learner" in contribution
    assert broken_pack_links(archive) == []


def test_the_ksb_maps_are_the_apprentices(tmp_path, shared_env):
    project = bake(tmp_path)
    portfolio = project / "docs" / "portfolio.md"
    text = portfolio.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| K20 |"))
    mine = row.rstrip().rstrip("|") + " Mob session on the pipeline, [diary](records/diary.md) |"
    portfolio.write_text(text.replace(row, mine))
    analysis = project / "docs" / "ksb-analysis.md"
    text = analysis.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| S22 |"))
    cells = row.split("|")
    cells[-2] = " [my refactor](records/refactor.md), [PR 12 notes](records/collaboration.md) "
    analysis.write_text(text.replace(row, "|".join(cells)))
    before = {p: p.read_text() for p in (portfolio, analysis)}

    for module in (
        "epa_toolkit.writing",
        "epa_toolkit.plan",
        "epa_toolkit.inspection.catalogue",
    ):  # make docs
        python(shared_env, project, "-m", module)
    run([str(shared_env), "-m", "environments", "--write"], cwd=project / "infra", env=tool_env())
    assert {p: p.read_text() for p in before} == before
    python(shared_env, project, "-m", "epa_toolkit.docs_check")


def submittable_prose(project: Path) -> set[str]:
    """Paragraphs of visible prose in the documents an apprentice submits: comments,
    generated blocks (diagram, plan), headings and table rows (reference data) left out."""
    reference = yaml.safe_load((project / "docs" / "reference" / "ksb-st0825.yaml").read_text())
    paths = {p for doc in reference["documents"] for p in project.glob(doc["path"])}
    paths |= {project / m["path"] for m in reference["ksb_maps"]}
    found = set()
    for path in paths:
        text = re.sub(r"<!-- (\w+):begin -->.*?<!-- \1:end -->", "", path.read_text(), flags=re.DOTALL)
        text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
        for block in re.split(r"\n\s*\n", text):
            lines = [
                line
                for line in block.splitlines()
                if line.strip() and not line.lstrip().startswith(("#", "|"))
            ]
            words = " ".join(lines).split()
            if len(words) >= 6:
                found.add(" ".join(words).lower())
    return found


def test_two_apprentices_share_no_prose(tmp_path):
    first = bake(tmp_path / "a")
    second = bake(tmp_path / "b", project_name="Room Booking", description="Book meeting rooms at the office.",
                  apprentice_name="Sam Patel", employer="Acme Health", ci_provider="gitlab",
                  branching_strategy="gitflow", domain_name="rooms.acme.co.uk")  # fmt: skip
    shared = submittable_prose(first) & submittable_prose(second)
    assert shared == set()


@pytest.mark.parametrize("domain_name", ["", "desk.acme-training.co.uk"])
def test_every_test_the_worked_examples_cite_exists(tmp_path, domain_name):
    """An assessor follows the examples' citations: each named test must be a real one."""
    project = bake(tmp_path, domain_name=domain_name)
    cited = set()
    for page in (project / "docs" / "examples").glob("*.md"):
        cited |= set(re.findall(r"`(test_[a-z0-9_]+)`", page.read_text(encoding="utf-8")))
    defined = {
        name
        for path in project.glob("*/tests/**/test_*.py")
        for name in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(encoding="utf-8"), re.M)
    }
    assert len(cited) > 20
    assert sorted(cited - defined) == []


def test_the_default_project_is_the_apprentices_own(tmp_path):
    """The default answers give the minimal starter, whose documents, README and facts never
    describe the reference service desk as the apprentice's (no tickets), and whose links to
    the service desk's worked examples point at a reference project instead."""
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context={"gateway_date": "2027-03-01"},
            output_dir=str(tmp_path),
        )
    )
    package = project / "app" / "src" / project.name
    assert (package / "examples.py").exists() and not (package / "tickets.py").exists(), (
        "the default is minimal"
    )
    pages = [project / "README.md", project / "project.yaml", *sorted((project / "docs").rglob("*.md"))]
    mentions = [
        f"{page.relative_to(project)}:{number}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if "ticket" in line.lower()
    ]
    assert mentions == []
    assert "US1" in (project / "docs" / "user-stories.md").read_text(), "the story's shape is given"
