"""Settings: where the database URL comes from in each environment."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.project_slug }}.db import SecretsManagerCredentials, credentials_for
from {{ cookiecutter.project_slug }}.settings import Settings

SECRET_ARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-1234-AbCdEf"  # pragma: allowlist secret


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("DATABASE_URL", "DB_HOST", "DB_CREDENTIALS_ARN", "ENVIRONMENT", "SESSION_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_local_default_is_sqlite_in_the_working_folder():
    assert str(Settings().sqlalchemy_url()) == "sqlite:///./local.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgresql_url_uses_the_psycopg_driver(scheme):
    url = Settings(database_url=f"{scheme}://u:p@db:5432/app").sqlalchemy_url()
    assert url.drivername == "postgresql+psycopg"


def test_aws_parts_build_a_tls_url_without_credentials(monkeypatch):
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_NAME", "desk")
    monkeypatch.setenv("DB_CREDENTIALS_ARN", SECRET_ARN)
    settings = Settings()
    url = settings.sqlalchemy_url()
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database) == ("db.internal", 5432, "desk")
    assert (url.username, url.password) == (None, None), "they come from the secret (db.py)"
    assert url.query == {"sslmode": "require"}
    assert isinstance(credentials_for(settings), SecretsManagerCredentials)


def test_a_database_url_needs_no_secret(monkeypatch):
    monkeypatch.setenv("DB_CREDENTIALS_ARN", SECRET_ARN)
    assert credentials_for(Settings(database_url="postgresql://u:p@db/app")) is None


def test_session_secret_is_not_in_repr(monkeypatch):
    monkeypatch.setenv("SESSION_SECRET", "hunter2" * 5)
    assert "hunter2" not in repr(Settings())


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="environment"):
        Settings()
