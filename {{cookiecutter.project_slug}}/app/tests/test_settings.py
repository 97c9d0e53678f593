"""Settings: where the database URL comes from in each environment."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.project_slug }}.db import SecretsManagerCredentials, credentials_for
from {{ cookiecutter.project_slug }}.settings import Settings

SECRET_ARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-1234-AbCdEf"  # pragma: allowlist secret


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "DATABASE_URL",
        "DB_HOST",
        "DB_CREDENTIALS_ARN",
        "ENVIRONMENT",
        "TIER",
        "SESSION_SECRET",
    ):
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


SIGN_IN = {
    "oidc_issuer": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Test",
    "oidc_client_id": "test-client",
    "public_url": "https://desk.example.co.uk",
    "session_secret": "s" * 32,
}


def test_an_environment_the_project_names_behaves_as_its_tier():
    """Environment names are the project's (project.yaml); the app follows the tier."""
    with pytest.raises(ValidationError, match="ENVIRONMENT=uat needs TIER"):
        Settings(environment="uat", **SIGN_IN)
    assert Settings(environment="uat", tier="staging", **SIGN_IN).behaviour_tier == "staging"
    assert Settings(environment="prod", **SIGN_IN).behaviour_tier == "prod"
    assert Settings().behaviour_tier == "local"


def test_a_malformed_environment_or_tier_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "Prod!")
    with pytest.raises(ValidationError, match="environment"):
        Settings()
    monkeypatch.setenv("ENVIRONMENT", "uat")
    monkeypatch.setenv("TIER", "production")
    with pytest.raises(ValidationError, match="tier"):
        Settings()
