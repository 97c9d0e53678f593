"""The submission pack, built from a tiny committed project. The slow producers (tests,
models, diagram) are replaced by one that writes small files of the same kinds."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import epa_toolkit
from epa_toolkit import evidence, writing
from project_facts import project_root

GUIDANCE = "GUIDANCE-NEVER-IN-THE-PACK"
EXAMPLE = "EXAMPLE-NEVER-IN-THE-PACK"
OWN = ["docs/project-brief.md", "docs/threat-model.md", "docs/adr/0001-platform.md"]
REFERENCE = ["docs/environments.md"]

FILES = {
    "app/src/tiny/__init__.py": "",
    "app/src/tiny/main.py": "print('hello')\n",
    "app/data file é.txt": "odd name\n",
    "Makefile": "all:\n\ttrue\n",
    ".cruft.json": json.dumps(
        {
            "template": "gh:x/y",
            "commit": "a" * 40,
            "context": {"cookiecutter": {"project_name": "Tiny", "apprentice_name": "Alice Able"}},
        }
    ),
    "docs/project-brief.md": f"""# Project brief

<!-- {GUIDANCE}: describe the users here. -->
The [service](../app/src/tiny/main.py) and [its code](../app/src), built by the
[Makefile](../Makefile) ([odd](../app/data%20file%20é.txt)), against the
[threats](threat-model.md#risks) and [decisions](adr/). See [the top](#project-brief),
[the standard](https://example.com/st0825) and [the environments](environments.md).
""",
    "docs/threat-model.md": """# Threat model

## Risks

Back to the [brief](project-brief.md), the [deploy step](../ci/deploy.sh), the
[whole project](../) and [the reference page](/docs/environments.md).
""",
    "docs/adr/0001-platform.md": "# 1. Platform\n\nSee the [brief](../project-brief.md).\n",
    "docs/environments.md": "# Environments\n\n| env | tier |\n|---|---|\n| dev | low |\n",
    "docs/notes.md": "# Notes\n\nNot a pack document: it stays in source/.\n",
    "docs/examples/worked.md": f"# Worked example\n\n{EXAMPLE}\n",
    "ci/deploy.sh": "#!/bin/sh\necho deploy\n",
}


@dataclass
class Item:
    location: str
    message: str


def git(root: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Alice Able",
            "-c",
            "user.email=a@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def write_tree(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    if (root / "ci/deploy.sh").exists():
        (root / "ci/deploy.sh").chmod(0o755)


@pytest.fixture
def unfinished(monkeypatch) -> list[Item]:
    """What the readiness check reports (a stand-in for epa_toolkit.ready), empty: ready."""
    items: list[Item] = []
    fake = types.ModuleType("epa_toolkit.ready")
    fake.unfinished = lambda root=None: list(items)
    monkeypatch.setitem(sys.modules, "epa_toolkit.ready", fake)
    monkeypatch.setattr(epa_toolkit, "ready", fake, raising=False)
    return items


@pytest.fixture
def project(tmp_path: Path, monkeypatch, unfinished) -> Path:
    root = tmp_path / "tiny"
    root.mkdir()
    write_tree(root, FILES)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")
    # The documents the YAML would declare, as the lead's writing module lists them.
    monkeypatch.setattr(writing, "load_reference", lambda root=None: {})
    monkeypatch.setattr(
        writing,
        "document_files",
        lambda root, reference=None: [Path(p) for p in OWN if (root / p).is_file()],
    )
    monkeypatch.setattr(
        writing,
        "reference_files",
        lambda root, reference=None: [Path(p) for p in REFERENCE if (root / p).is_file()],
    )
    return root


def fake_reports(pack: evidence.Pack) -> None:
    (pack.top / "test-reports" / "app-coverage-html").mkdir(parents=True)
    (pack.top / "test-reports" / "app-junit.xml").write_text("<testsuites/>")
    (pack.top / "test-reports" / "app-coverage-html" / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="style.css"></head><body><p>90%</p></body></html>'
    )
    (pack.top / "test-reports" / "app-coverage-html" / "style.css").write_text("p{}")
    (pack.top / "diagram").mkdir()
    (pack.top / "diagram" / "architecture.png").write_bytes(b"\x89PNG fake")


def build(project: Path, *args: str) -> int:
    return evidence.main(list(args), root=project, producers=[fake_reports, evidence.inspection])


def contents(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {name.split("/", 1)[1]: zf.read(name) for name in zf.namelist()}


def test_the_pack_has_everything_and_no_broken_link(project, capsys):
    assert build(project) == 0
    archive = project / "build" / "evidence" / "tiny-evidence.zip"
    out = capsys.readouterr().out
    assert "0 broken links" in out
    assert evidence.broken_links(archive) == []
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert all(name.startswith("tiny-evidence/") for name in names)
        mode = zf.getinfo("tiny-evidence/source/ci/deploy.sh").external_attr >> 16
        assert mode & 0o111
    files = contents(archive)

    # source/ is HEAD, less the examples and the documents (which are HTML in documents/).
    assert files["source/app/src/tiny/main.py"] == b"print('hello')\n"
    assert "source/app/data file é.txt" in files
    assert "source/docs/notes.md" in files
    assert not [n for n in files if "examples" in n]
    assert "source/docs/project-brief.md" not in files
    for path in OWN + REFERENCE:
        assert f"documents/{path[:-3]}.html" in files
    for name, data in files.items():
        assert GUIDANCE.encode() not in data, name
        assert EXAMPLE.encode() not in data, name
        assert b"DRAFT" not in data or name.startswith("source/"), name

    brief = files["documents/docs/project-brief.html"].decode()
    assert brief.startswith("<!doctype html>")
    assert '<html lang="en">' in brief
    assert "<title>Project brief - Tiny</title>" in brief
    assert 'href="../../index.html"' in brief
    assert 'href="../../source/app/src/tiny/main.py"' in brief
    assert 'href="../../browse/app/src/index.html"' in brief
    assert 'href="../../source/Makefile"' in brief
    assert 'href="../../source/app/data%20file%20%C3%A9.txt"' in brief
    assert 'href="threat-model.html#risks"' in brief
    assert 'href="../../browse/docs/adr/index.html"' in brief
    assert 'href="#project-brief"' in brief
    assert 'href="https://example.com/st0825"' in brief
    assert 'href="environments.html"' in brief
    threat = files["documents/docs/threat-model.html"].decode()
    assert 'href="../../browse/index.html"' in threat
    assert 'href="environments.html"' in threat
    adr_listing = files["browse/docs/adr/index.html"].decode()
    assert 'href="../../../documents/docs/adr/0001-platform.html"' in adr_listing

    index = files["index.html"].decode()
    for text in ["Tiny", "Alice Able", "documents/docs/project-brief.html", "diagram/architecture.png",
                 "contribution.html", "browse/index.html", "test-reports/app-junit.xml"]:  # fmt: skip
        assert text in index
    assert "# Contribution statement" in files["CONTRIBUTION.md"].decode()


def test_the_manifest_matches_the_files(project):
    assert build(project) == 0
    files = contents(project / "build" / "evidence" / "tiny-evidence.zip")
    listed = dict(reversed(line.split("  ", 1)) for line in files["MANIFEST.sha256"].decode().splitlines())
    assert sorted(listed) == sorted(n for n in files if n != "MANIFEST.sha256")
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    manifest = json.loads(files["manifest.json"])
    assert manifest["draft"] is False
    assert (
        manifest["commit"]
        == subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
        assert len(files[entry["path"]]) == entry["size"]


def test_load_test_reports_go_in_without_locust_html(project):
    run = project / "reports" / "load" / "staging-20270301T100000Z"
    run.mkdir(parents=True)
    (run.parent / "staging-20270301T100000Z.md").write_text("# Load test: staging\n")
    (run / "stats.csv").write_text("Type,Name,Request Count\n")
    (run / "report.html").write_text('<link rel="icon" href="https://example.com/x.ico">')
    result = evidence.main([], root=project, producers=[fake_reports, evidence.load_tests])
    assert result == 0
    files = contents(project / "build" / "evidence" / "tiny-evidence.zip")
    assert "load-tests/staging-20270301T100000Z.md" in files
    assert "load-tests/staging-20270301T100000Z/stats.csv" in files
    assert not [name for name in files if name.startswith("load-tests/") and name.endswith(".html")]
    assert "load-tests/staging-20270301T100000Z.md" in files["index.html"].decode()


def test_not_ready_writes_nothing(project, unfinished, capsys):
    unfinished.append(Item("docs/threat-model.md:12", "section threat.risks is not written"))
    assert build(project) == 1
    err = capsys.readouterr().err
    assert "docs/threat-model.md:12: section threat.risks is not written" in err
    assert "make evidence DRAFT=1" in err
    assert not (project / "build").exists()


def test_a_draft_says_so_on_every_page(project, unfinished):
    unfinished.append(Item("docs/threat-model.md:12", "section threat.risks is not written"))
    assert build(project, "--draft") == 0
    archive = project / "build" / "evidence" / "tiny-evidence-DRAFT.zip"
    assert evidence.broken_links(archive) == []
    files = contents(archive)
    pages = [n for n in files if n.endswith(".html") and not n.startswith("source/")]
    assert "test-reports/app-coverage-html/index.html" in pages
    for name in pages:
        assert evidence.DRAFT_BANNER.encode() in files[name], name
    manifest = json.loads(files["manifest.json"])
    assert manifest["draft"] is True
    assert manifest["unfinished"] == ["docs/threat-model.md:12: section threat.risks is not written"]


def test_a_dirty_tree_is_refused_and_a_draft_warns(project, capsys):
    (project / "Makefile").write_text("changed\n")
    assert build(project) == 2
    assert "Makefile" in capsys.readouterr().err
    assert not (project / "build" / "evidence").exists()
    assert build(project, "--draft") == 0
    assert "Makefile" in capsys.readouterr().err
    files = contents(project / "build" / "evidence" / "tiny-evidence-DRAFT.zip")
    assert files["source/Makefile"] == b"all:\n\ttrue\n"  # HEAD, not the working tree


def test_an_uncommitted_document_is_refused(project, capsys):
    (project / "docs" / "adr" / "0002-new.md").write_text("# 2. New\n")
    assert build(project) == 2
    assert "docs/adr/0002-new.md" in capsys.readouterr().err


def test_a_link_to_an_example_fails_the_build(project, capsys):
    path = project / "docs" / "threat-model.md"
    path.write_text(path.read_text() + "\nLike [the example](examples/worked.md).\n")
    git(project, "commit", "-q", "-am", "link an example")
    assert build(project) == 1
    assert "docs/threat-model.md: link to examples/worked.md" in capsys.readouterr().err
    assert not list((project / "build" / "evidence").glob("*.zip"))


def test_git_is_required(tmp_path, unfinished, capsys):
    assert evidence.main([], root=tmp_path, producers=[]) == 2
    assert "not in a git repository" in capsys.readouterr().err
    git(tmp_path, "init", "-q")
    assert evidence.main([], root=tmp_path, producers=[]) == 2
    assert "nothing is committed" in capsys.readouterr().err


def test_graphviz_is_required_for_a_final_pack(project, monkeypatch, capsys):
    monkeypatch.setattr(evidence.shutil, "which", lambda name: None)
    assert evidence.main([], root=project, producers=[evidence.diagram]) == 2
    assert evidence.GRAPHVIZ_MISSING in capsys.readouterr().err
    assert evidence.main(["--draft"], root=project, producers=[evidence.diagram]) == 0
    files = contents(project / "build" / "evidence" / "tiny-evidence-DRAFT.zip")
    assert "diagram/architecture.png" not in files


def test_broken_links_are_found(tmp_path):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("p/index.html", '<a href="a/b.html#x">ok</a><a href="a/">dir</a><img src="missing.png">')
        zf.writestr("p/a/b.html", '<a href="../index.html">up</a><a href="https://x.org">out</a>')
        zf.writestr("p/source/t.html", '<link href="/static/app.css"><a href="nowhere.html">not a page</a>')
    assert evidence.broken_links(archive) == ["p/index.html: missing.png"]


def test_models_are_made_for_the_environments_of_project_yaml(tmp_path, monkeypatch):
    """An environment added to project.yaml (uat) gets its model too, in promotion order."""
    data = yaml.safe_load((project_root() / "project.yaml").read_text())
    envs = data["environments"]
    data["environments"] = {"dev": envs["dev"], "staging": envs["staging"],
                            "uat": {"tier": "prod"}, "prod": envs["prod"]}  # fmt: skip
    for strategy in data["branching"].values():
        strategy["deploy"]["uat"] = strategy["deploy"]["prod"]
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    ran: list[list[str]] = []
    monkeypatch.setattr(evidence, "run", lambda pack, args, cwd, what: ran.append(args))
    pack = evidence.Pack(root=tmp_path, top=tmp_path / "pack", slug="tiny", draft=False)
    evidence.models(pack)
    assert [args[args.index("synth") + 1] for args in ran] == ["dev", "staging", "uat", "prod"]

    data["environments"]["uat"] = {"tier": "production"}
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(evidence.PackError, match=r"^project\.yaml: environments\.uat\.tier"):
        evidence.models(pack)
