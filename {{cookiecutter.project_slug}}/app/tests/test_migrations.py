"""Migrations apply and roll back cleanly, and match the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
{%- if cookiecutter.starter == "reference" %}
from sqlalchemy import inspect
{%- endif %}

from {{ cookiecutter.project_slug }}.db import create_db_engine
from {{ cookiecutter.project_slug }}.models import Base

from .conftest import alembic_config


def test_models_and_migrations_agree(database_url):
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "run `make migration MSG=...` to capture model changes"

{%- if cookiecutter.starter != "reference" %}


def revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
{%- endif %}


def test_downgrade_then_upgrade_round_trip(database_url):
    config = alembic_config(database_url)
    engine = create_db_engine(database_url)
    try:
        command.downgrade(config, "base")
{%- if cookiecutter.starter == "reference" %}
        assert "tickets" not in inspect(engine).get_table_names()
    finally:
        command.upgrade(config, "head")  # leave the schema as the other tests expect
    assert "tickets" in inspect(engine).get_table_names()
{%- else %}
        assert revision(engine) is None
    finally:
        command.upgrade(config, "head")  # leave the schema as the other tests expect
    assert revision(engine) == "0001"
{%- endif %}
    engine.dispose()
