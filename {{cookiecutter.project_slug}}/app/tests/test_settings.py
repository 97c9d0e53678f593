"""Settings: where the database URL comes from in each environment."""

import pytest
from pydantic import ValidationError
from sqlalchemy import make_url

from {{ cookiecutter.project_slug }}.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("DATABASE_URL", "DB_HOST", "DB_PASSWORD", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


def test_local_default_is_sqlite_in_the_working_folder():
    assert str(Settings().sqlalchemy_url()) == "sqlite:///./local.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgresql_url_uses_the_psycopg_driver(scheme):
    url = Settings(database_url=f"{scheme}://u:p@db:5432/app").sqlalchemy_url()
    assert url.drivername == "postgresql+psycopg"


def test_aws_parts_build_an_escaped_tls_url(monkeypatch):
    password = "p@ss:w/rd?#%"  # RDS may generate any of these  # pragma: allowlist secret
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_NAME", "desk")
    monkeypatch.setenv("DB_USERNAME", "app")
    monkeypatch.setenv("DB_PASSWORD", password)
    url = Settings().sqlalchemy_url()
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.username) == ("db.internal", 5432, "desk", "app")
    assert url.query == {"sslmode": "require"}
    rendered = url.render_as_string(hide_password=False)
    assert make_url(rendered).password == password, "the password survives a round trip"


def test_password_is_not_in_repr(monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "hunter2")
    assert "hunter2" not in repr(Settings())


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="environment"):
        Settings()
