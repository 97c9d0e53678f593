"""Migrations apply and roll back cleanly, and match the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from {{ cookiecutter.project_slug }}.db import create_db_engine
from {{ cookiecutter.project_slug }}.models import Base

from .conftest import alembic_config


def test_models_and_migrations_agree(database_url):
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "run `make migration MSG=...` to capture model changes"


def test_downgrade_then_upgrade_round_trip(database_url):
    config = alembic_config(database_url)
    engine = create_db_engine(database_url)
    try:
        command.downgrade(config, "base")
        assert "tickets" not in inspect(engine).get_table_names()
    finally:
        command.upgrade(config, "head")  # leave the schema as the other tests expect
    assert "tickets" in inspect(engine).get_table_names()
    engine.dispose()
