"""Cloud commands stop early, with instructions, when a tool or credential is missing."""

from __future__ import annotations

import preflight


def test_everything_missing_is_reported_at_once(monkeypatch, capsys):
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)
    monkeypatch.setattr(preflight.boto3, "Session", lambda: _NoCredentials())
    assert preflight.main(["qa"]) == 1
    err = capsys.readouterr().err
    assert "ENV=qa: no infra/Pulumi.qa.yaml; use one of dev, prod, staging." in err
    assert "The Pulumi CLI is not installed" in err
    assert "No AWS credentials" in err and "aws sso login" in err
    assert "Nothing was changed in AWS." in err


def fake_cloud(monkeypatch, tmp_path, whoami_exit: int) -> None:
    """A `pulumi` whose `whoami` exits with the given code, and AWS keys in the environment."""
    fake_pulumi = tmp_path / "pulumi"
    fake_pulumi.write_text(f"#!/bin/sh\nexit {whoami_exit}\n")
    fake_pulumi.chmod(0o755)
    monkeypatch.setattr(preflight.shutil, "which", lambda name: str(fake_pulumi))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")


def test_passes_when_all_is_there(monkeypatch, tmp_path):
    fake_cloud(monkeypatch, tmp_path, whoami_exit=0)
    assert preflight.main(["prod"]) == 0


def test_not_logged_in(monkeypatch, tmp_path):
    fake_cloud(monkeypatch, tmp_path, whoami_exit=255)
    assert any("not logged in" in p for p in preflight.problems("dev"))


class _NoCredentials:
    def get_credentials(self):
        return None
