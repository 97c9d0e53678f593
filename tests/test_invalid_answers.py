"""Invalid answers stop generation with a clear message and leave nothing behind.

"Nothing" is checked as a listing, hidden files included, of a sandbox holding the output
folder (with a file, a hidden file and an empty folder already in it) and what is around
it: a slug such as "../desk" or an absolute path would otherwise write beside it.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATE, TOOLS_BIN, bake, run, tool_env
from cookiecutter.exceptions import FailedHookException

IGNORE = shutil.ignore_patterns(".git", ".venv", ".tools", "__pycache__", ".pytest_cache", ".ruff_cache")
spec = importlib.util.spec_from_file_location("answer_checks", TEMPLATE / "hooks" / "answer_checks.py")
answer_checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(answer_checks)

# Every free-text question, with path separators wherever the answer could become a path.
INVALID = [
    ("project_name", 'Desk "Pro"'),
    ("project_name", ""),
    ("project_name", "Desk/Pro"),
    ("project_name", "..\\Desk"),
    ("project_slug", "Service-Desk"),
    ("project_slug", "import"),
    ("project_slug", "logging"),
    ("project_slug", "this_slug_is_far_too_long"),
    ("project_slug", ""),
    ("project_slug", "."),
    ("project_slug", ".."),
    ("project_slug", "org/desk"),
    ("project_slug", "org/desk/"),
    ("project_slug", "existing/desk"),  # "existing/" is already there, and stays
    ("project_slug", "../desk"),
    ("project_slug", "../out"),  # the output folder's own name, from beside it
    ("project_slug", "x/../desk"),
    ("project_slug", "org\\desk"),
    ("project_slug", "ABSOLUTE/desk"),  # replaced by an absolute path in the sandbox
    ("description", "Two\nlines"),
    ("description", "C:\\Users\\alex"),
    ("apprentice_name", "R2-D2 <droid>"),
    ("apprentice_name", "Alex/Smith"),
    ("employer", ""),
    ("employer", "Acme/Widgets"),
    ("alert_email", "alerts.example.com"),
    ("alert_email", "ops@example.com/x"),
    ("aws_region", "eu-west-7"),
    ("aws_region", "cn-northwest-1"),
    ("aws_region", "us-west-1"),
    ("aws_region", "../eu-west-2"),
    ("repository", "just-a-name"),
    ("repository", "../service-desk"),
    ("repository", "alex\\service-desk"),
    ("repository", "acme/platform/service-desk"),  # nested groups: GitLab only
    ("domain_name", "http://desk.acme.co.uk/"),
    ("domain_name", "desk..acme.co.uk"),
    ("domain_name", "desk.example.com"),
    ("domain_name", "desk.acme.co.uk/x"),
    ("gateway_date", "2027-13-01"),
    ("gateway_date", "next March"),
    ("gateway_date", "2010-01-01"),
    ("gateway_date", "2027/03/01"),
]
CHOICES = [
    ("starter", "demo"),
    ("ci_provider", "bitbucket"),
    ("branching_strategy", "yolo"),
    ("pulumi_backend", "local"),
]


def listing(root: Path) -> list[str]:
    """Every path under root, hidden ones included, with a / after folders."""
    return sorted(
        str(path.relative_to(root)) + ("/" if path.is_dir() and not path.is_symlink() else "")
        for path in root.rglob("*")
    )


@pytest.fixture
def sandbox(tmp_path) -> Path:
    """tmp_path/out, the output folder, already holding a file, a hidden file and an empty folder."""
    out = tmp_path / "out"
    (out / "existing").mkdir(parents=True)
    (out / "notes.txt").write_text("mine\n")
    (out / ".hidden").write_text("mine too\n")
    return tmp_path


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v!r}" for f, v in INVALID])
def test_invalid_answer_names_the_field_and_leaves_nothing(sandbox, capfd, field, value):
    if value.startswith("ABSOLUTE/"):
        value = str(sandbox / value)
    before = listing(sandbox)
    with pytest.raises(FailedHookException):
        bake(sandbox / "out", **{field: value})
    stderr = capfd.readouterr().err
    assert f"ERROR {field}: {value!r} is not allowed." in stderr
    assert "nothing was generated" in stderr
    assert listing(sandbox) == before, "a rejected answer left something behind"


@pytest.mark.parametrize(("field", "value"), CHOICES)
def test_invalid_choice_names_the_field_and_leaves_nothing(sandbox, field, value):
    """Cookiecutter itself rejects a value that is not one of a question's choices."""
    before = listing(sandbox)
    with pytest.raises(ValueError, match=f"{value} provided for choice variable {field}, but the choices"):
        bake(sandbox / "out", **{field: value})
    assert listing(sandbox) == before


def test_a_path_as_slug_is_explained(capfd, tmp_path):
    with pytest.raises(FailedHookException):
        bake(tmp_path, project_slug="org/desk")
    assert "project_slug: 'org/desk' is not allowed. It is the project folder's name, not a path." in (
        capfd.readouterr().err
    )


def test_command_line_exits_non_zero_with_the_message(sandbox):
    before = listing(sandbox)
    result = subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), str(TEMPLATE), "--no-input", "-o", str(sandbox / "out"),
         "alert_email=nobody", "aws_region=mars-east-1", "project_slug=../desk"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR alert_email: 'nobody' is not allowed." in result.stderr
    assert "ERROR aws_region: 'mars-east-1' is not allowed." in result.stderr
    assert "ERROR project_slug: '../desk' is not allowed." in result.stderr
    assert "answer(s) need fixing; nothing was generated." in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert listing(sandbox) == before


def test_a_missing_output_folder_is_not_created_for_rejected_answers(tmp_path):
    result = subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), str(TEMPLATE), "--no-input", "-o", str(tmp_path / "new" / "deeper"),
         "gateway_date=soon"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR gateway_date: 'soon' is not allowed." in result.stderr
    assert listing(tmp_path) == []


def test_cruft_create_leaves_nothing_for_a_rejected_answer(sandbox):
    """`cruft create` collects the answers the same way, so the early checks run there too."""
    template = sandbox / "template"
    shutil.copytree(TEMPLATE, template, ignore=IGNORE)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "template"]):
        run(["git", *args], cwd=template, env=tool_env())
    before = listing(sandbox)
    answers = json.dumps({"gateway_date": "2027-03-01", "project_slug": "org/desk"})
    result = subprocess.run(
        [str(TOOLS_BIN / "cruft"), "create", str(template), "--no-input", "--extra-context", answers],
        cwd=sandbox / "out", env=tool_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR project_slug: 'org/desk' is not allowed." in result.stderr
    assert listing(sandbox) == before


def test_invalid_choice_in_a_replay_file_is_caught_by_the_hook(tmp_path, capfd):
    """Replay files and cruft bypass cookiecutter's own choice check (and the early checks,
    which run while answers are collected): the hook still catches it, and removes the
    project folder it ran in."""
    bake(tmp_path / "first")
    replay = json.loads(next((tmp_path / "first").glob("*/.cruft.json")).read_text())["context"]
    replay["cookiecutter"] |= {"ci_provider": "bitbucket"}
    replay_file = tmp_path / "replay.json"
    replay_file.write_text(json.dumps(replay))
    capfd.readouterr()
    out = tmp_path / "second"
    out.mkdir()
    (out / ".keep").write_text("")
    before = listing(out)
    result = subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), str(TEMPLATE), "--replay-file", str(replay_file), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR ci_provider: 'bitbucket' is not allowed. Choose one of: github, gitlab." in result.stderr
    assert listing(out) == before


def test_the_early_checks_come_after_every_question():
    """`__answers_checked` sees only the answers collected before it."""
    keys = list(json.loads((TEMPLATE / "cookiecutter.json").read_text()))
    questions = [key for key in keys if not key.startswith("_")]
    assert keys.index("__answers_checked") > max(keys.index(key) for key in questions)


def test_the_early_checks_report_like_the_hook(capsys):
    today = dt.date(2026, 11, 28)
    answers = {"starter": "minimal", "project_name": "Service Desk", "project_slug": "service_desk",
               "description": "A desk.", "apprentice_name": "Alex", "employer": "Acme",
               "alert_email": "ops@acme.co.uk", "aws_region": "eu-west-2", "ci_provider": "github",
               "repository": "alex/service-desk", "branching_strategy": "trunk", "domain_name": "",
               "gateway_date": "2027-03-01", "pulumi_backend": "s3", "_extensions": []}  # fmt: skip
    assert answer_checks.check_answers(answers, today) == ""
    assert answer_checks.check_answers({**answers, "aws_region": "eu-south-2"}, today) == ""
    assert capsys.readouterr().err == "", "warnings are the hook's to print"
    with pytest.raises(FailedHookException):
        answer_checks.check_answers({**answers, "project_slug": "../desk", "aws_region": "eu-south-2"}, today)
    assert capsys.readouterr().err.splitlines() == [
        "WARNING aws_region: eu-south-2 is an opt-in region: enable it in your AWS account first.",
        "ERROR project_slug: '../desk' is not allowed. It is the project folder's name, not a path. "
        "Use lowercase letters and digits, words joined by single underscores, starting with a letter, "
        "at most 20 characters (e.g. service_desk).",
        "1 answer(s) need fixing; nothing was generated.",
    ]
    # A partial replay file renders the checks without the other answers: the hook checks them.
    assert answer_checks.check_answers({"project_slug": "../desk"}, today) == ""
