"""Settings from environment variables, with safe defaults for a laptop.

The same image runs in every environment; only these variables differ (twelve-factor).
In AWS the database credentials arrive as DB_* variables that ECS injects from Secrets
Manager, so no password is ever written in code, config files or the task definition.
"""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL, make_url

Environment = Literal["local", "dev", "staging", "prod"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    environment: Environment = "local"
    project_name: str = "{{ cookiecutter.project_name }}"
    service_name: str = "{{ cookiecutter.project_slug|replace('_', '-') }}"

    # Either one URL (local, tests) ...
    database_url: str | None = None
    # ... or its parts (AWS: injected from the RDS-managed secret).
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "app"
    db_username: str | None = None
    db_password: str | None = Field(default=None, repr=False)
    db_sslmode: str = "require"  # RDS enforces TLS; refuse to talk in clear text

    git_sha: str = "unknown"
    app_version: str = "unknown"
    log_level: str = "INFO"
    feature_flags: str = ""
    metrics_sink: Literal["none", "emf"] = "none"
    metrics_namespace: str = "{{ cookiecutter.project_name }}"

    def sqlalchemy_url(self) -> URL:
        """The database to use: DATABASE_URL, else the DB_* parts, else local SQLite."""
        if self.database_url:
            url = make_url(self.database_url)
            if url.drivername in ("postgres", "postgresql"):
                url = url.set(drivername="postgresql+psycopg")  # the driver we ship
            return url
        if self.db_host:
            # URL.create escapes the password, whatever characters RDS generated.
            return URL.create(
                "postgresql+psycopg",
                username=self.db_username,
                password=self.db_password,
                host=self.db_host,
                port=self.db_port,
                database=self.db_name,
                query={"sslmode": self.db_sslmode},
            )
        return make_url("sqlite:///./local.db")
