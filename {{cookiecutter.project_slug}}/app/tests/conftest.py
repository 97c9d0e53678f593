"""Test fixtures: a real, migrated database for every test.

SQLite in a temporary folder by default; a real PostgreSQL when DATABASE_URL points at
an (empty) database, as in CI. Either way the schema comes from the Alembic migrations,
so the migrations are tested too.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
{%- if cookiecutter.starter == "reference" %}
from sqlalchemy import delete
{%- endif %}

{% if cookiecutter.starter == "reference" -%}
from {{ cookiecutter.project_slug }}.db import create_db_engine
{% endif -%}
from {{ cookiecutter.project_slug }}.main import create_app
{% if cookiecutter.starter == "reference" -%}
from {{ cookiecutter.project_slug }}.models import Ticket
{% endif -%}
from {{ cookiecutter.project_slug }}.settings import Settings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


class RecordingSink:
    """A metrics sink that remembers what the app emitted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, str], dict[str, str]]] = []

    def count(self, name: str, dimensions: dict[str, str], properties: dict[str, str]) -> None:
        self.events.append((name, dimensions, properties))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def postgresql_url(database_url: str) -> str:
    """For tests of what only a real PostgreSQL does (as in AWS): CI runs them."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set DATABASE_URL (README: Tests against PostgreSQL)")
    return database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="local",
        git_sha="0123456789abcdef",
        app_version="1.2.3",
        feature_flags="",
        business_metric="TestItemsCounted",
    )


@pytest.fixture
def metrics() -> RecordingSink:
    return RecordingSink()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, name: str = "Test User") -> TestClient:
    """Sign in with the development sign-in (ENVIRONMENT=local), as a person would, and
    send the session's CSRF token with every request, as the page's own requests do."""
    form = client.get("/auth/dev-login")
    token = CSRF_FIELD.search(form.text).group(1)
    response = client.post(
        "/auth/dev-login", data={"name": name, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = CSRF_META.search(client.get("/").text).group(1)
    return client


@pytest.fixture
def anonymous(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings, metrics: RecordingSink) -> Iterator[TestClient]:
    """A client signed in with the development sign-in."""
{%- if cookiecutter.starter == "reference" %}
    # Start from an empty table: the PostgreSQL database may be shared with other runs.
    engine = create_db_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(delete(Ticket))
    engine.dispose()
{%- endif %}
    with TestClient(create_app(settings, metrics)) as test_client:
        yield sign_in(test_client)
