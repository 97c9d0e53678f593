"""Settings from environment variables, with safe defaults for a laptop.

The same image runs in every environment; only these variables differ (twelve-factor).
In AWS the app reads the database user and password from the RDS-managed secret in Secrets
Manager (DB_CREDENTIALS_ARN names it; db.py fetches it again after a rotation), so no
password is ever written in code, config files or the task definition.
Sign-in works the same way: OIDC_ISSUER, OIDC_CLIENT_ID and PUBLIC_URL come from the stack,
SESSION_SECRET from Secrets Manager; outside local the app refuses to start without them.
"""

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL, make_url

# The environment's name is the project's choice (project.yaml): the app only shows it.
# What the app does differently (feature flags, API docs) follows the tier.
Tier = Literal["local", "dev", "staging", "prod"]
TIERS: tuple[str, ...] = ("local", "dev", "staging", "prod")
# Signs the session cookie and development tokens on a laptop when SESSION_SECRET is unset.
# Public on purpose: it is accepted only while ENVIRONMENT=local (see auth.py).
LOCAL_ONLY_KEY_MATERIAL = "local-development-only, never accepted outside ENVIRONMENT=local"
MIN_SESSION_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    environment: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{1,14}$")
    tier: Tier | None = None  # TIER; unset, an environment named after a tier behaves as it
    project_name: str = "{{ cookiecutter.project_name }}"
    service_name: str = "{{ cookiecutter.project_slug|replace('_', '-') }}"

    # Either one URL (local, tests) ...
    database_url: str | None = None
    # ... or its parts (AWS): where the database is, and the secret holding its credentials.
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "app"
    db_credentials_arn: str | None = None
    db_sslmode: str = "require"  # RDS enforces TLS; refuse to talk in clear text

    git_sha: str = "unknown"
    app_version: str = "unknown"
    log_level: str = "INFO"
    feature_flags: str = ""
    metrics_sink: Literal["none", "emf"] = "none"
    metrics_namespace: str = "{{ cookiecutter.project_name }}"
    # What the service counts (infra sets it from project.yaml, business_metric.name);
    # locally the null sink drops it, so it may stay unset.
    business_metric: str = Field(default="", pattern=r"^([A-Z][a-z0-9]+)*$")

    # Sign-in (see auth.py). Empty OIDC_ISSUER locally: the development sign-in instead.
    oidc_issuer: str = ""  # e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>
    oidc_client_id: str = ""
    public_url: str = ""  # the address users type; the callback is {PUBLIC_URL}/auth/callback
    session_secret: str = Field(default="", repr=False)

    @property
    def behaviour_tier(self) -> Tier:
        """The tier the app behaves as: TIER, else the environment's name (dev, staging...)."""
        return self.tier or self.environment  # type: ignore[return-value]

    @model_validator(mode="after")
    def _tier_is_known(self) -> Self:
        if self.tier is None and self.environment not in TIERS:
            raise ValueError(
                f"ENVIRONMENT={self.environment} needs TIER (one of {', '.join(TIERS[1:])}): "
                "infra sets it from project.yaml"
            )
        return self

    @model_validator(mode="after")
    def _metric_is_named(self) -> Self:
        if self.metrics_sink == "emf" and not self.business_metric:
            raise ValueError(
                "METRICS_SINK=emf needs BUSINESS_METRIC: infra sets it from project.yaml"
            )
        return self

    @model_validator(mode="after")
    def _sign_in_is_configured(self) -> Self:
        problems = []
        if self.environment != "local":
            required = {
                "OIDC_ISSUER": self.oidc_issuer,
                "OIDC_CLIENT_ID": self.oidc_client_id,
                "PUBLIC_URL": self.public_url,
                "SESSION_SECRET": self.session_secret,
            }
            if missing := [name for name, value in required.items() if not value]:
                problems.append("set " + ", ".join(missing))
            if self.public_url and not self.public_url.startswith("https://"):
                problems.append("PUBLIC_URL must start with https://")
        elif self.oidc_issuer and not self.oidc_client_id:
            problems.append("set OIDC_CLIENT_ID with OIDC_ISSUER")
        if self.session_secret and len(self.session_secret) < MIN_SESSION_SECRET_LENGTH:
            problems.append(
                f"SESSION_SECRET must be at least {MIN_SESSION_SECRET_LENGTH} characters"
            )
        if problems:
            raise ValueError(
                f"sign-in is not configured for ENVIRONMENT={self.environment}: "
                + "; ".join(problems)
            )
        return self

    def sqlalchemy_url(self) -> URL:
        """The database to use: DATABASE_URL, else the DB_* parts (the user and password
        come from the secret when a connection opens: see db.py), else local SQLite."""
        if self.database_url:
            url = make_url(self.database_url)
            if url.drivername in ("postgres", "postgresql"):
                url = url.set(drivername="postgresql+psycopg")  # the driver we ship
            return url
        if self.db_host:
            return URL.create(
                "postgresql+psycopg",
                host=self.db_host,
                port=self.db_port,
                database=self.db_name,
                query={"sslmode": self.db_sslmode},
            )
        return make_url("sqlite:///./local.db")
