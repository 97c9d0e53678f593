"""How Alembic connects: the same settings and engine as the app, so a migration
always targets the database the app will use."""

from alembic import context

from {{ cookiecutter.project_slug }}.db import create_db_engine, credentials_for
from {{ cookiecutter.project_slug }}.logs import configure_logging
from {{ cookiecutter.project_slug }}.models import Base
from {{ cookiecutter.project_slug }}.settings import Settings

config = context.config
settings = Settings()
configure_logging(settings.log_level)

# Tests pass their own database URL; otherwise the environment decides (in AWS the
# credentials come from the database's secret, as for the app).
url = config.attributes.get("database_url") or settings.sqlalchemy_url()
credentials = None if config.attributes.get("database_url") else credentials_for(settings)


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL for review instead of running it."""
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(url, credentials)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
