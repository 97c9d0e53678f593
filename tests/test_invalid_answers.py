"""Invalid answers stop generation with a clear message and leave nothing behind."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import TEMPLATE, TOOLS_BIN, bake
from cookiecutter.exceptions import FailedHookException

INVALID = [
    ("project_name", 'Desk "Pro"'),
    ("project_name", ""),
    ("project_slug", "Service-Desk"),
    ("project_slug", "import"),
    ("project_slug", "logging"),
    ("project_slug", "this_slug_is_far_too_long"),
    ("description", "Two\nlines"),
    ("apprentice_name", "R2-D2 <droid>"),
    ("employer", ""),
    ("alert_email", "alerts.example.com"),
    ("aws_region", "eu-west-7"),
    ("aws_region", "cn-northwest-1"),
    ("aws_region", "us-west-1"),
    ("repository", "just-a-name"),
    ("domain_name", "http://desk.acme.co.uk/"),
    ("domain_name", "desk..acme.co.uk"),
    ("domain_name", "desk.example.com"),
    ("gateway_date", "2027-13-01"),
    ("gateway_date", "next March"),
    ("gateway_date", "2010-01-01"),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v!r}" for f, v in INVALID])
def test_invalid_answer_fails_in_pre_gen_and_leaves_nothing(tmp_path, capfd, field, value):
    with pytest.raises(FailedHookException):
        bake(tmp_path, **{field: value})
    stderr = capfd.readouterr().err
    assert f"ERROR {field}: {value!r} is not allowed." in stderr
    assert "nothing was generated" in stderr
    assert list(tmp_path.iterdir()) == [], "a half-generated project was left behind"


def test_command_line_exits_non_zero_with_the_message(tmp_path):
    result = subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), str(TEMPLATE), "--no-input", "-o", str(tmp_path),
         "alert_email=nobody", "aws_region=mars-east-1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR alert_email: 'nobody' is not allowed." in result.stderr
    assert "ERROR aws_region: 'mars-east-1' is not allowed." in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_invalid_choice_in_a_replay_file_is_caught_by_the_hook(tmp_path, capfd):
    """Replay files and cruft bypass cookiecutter's own choice check: the hook still catches it."""
    bake(tmp_path / "first")
    replay = json.loads(next((tmp_path / "first").glob("*/.cruft.json")).read_text())["context"]
    replay["cookiecutter"] |= {"ci_provider": "bitbucket"}
    replay_file = tmp_path / "replay.json"
    replay_file.write_text(json.dumps(replay))
    capfd.readouterr()
    out = tmp_path / "second"
    result = subprocess.run(
        [str(TOOLS_BIN / "cookiecutter"), str(TEMPLATE), "--replay-file", str(replay_file), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ERROR ci_provider: 'bitbucket' is not allowed. Choose one of: github, gitlab." in result.stderr
    assert not out.exists() or list(out.iterdir()) == []
