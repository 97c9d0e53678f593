"""Database engine: one per process, with time limits, and credentials that survive rotation.

Each request uses a session only while it reads or writes ({{ "tickets.py opens" if cookiecutter.starter == "reference" else "a route opens" }}
`sessions.begin()` around the work), so a pooled connection is back in the pool before the
response is rendered and sent.
"""

import json
import logging
import threading
import time
from collections.abc import Callable

from fastapi import Request
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import sessionmaker

from .settings import Settings

log = logging.getLogger(__name__)

# Time limits: a slow or unreachable database makes a request fail within seconds (and the
# app answer 503) instead of holding a worker thread and a connection for minutes.
CONNECT_TIMEOUT_SECONDS = 3  # to open a connection (TCP, TLS, sign-in)
STATEMENT_TIMEOUT_MS = 5_000  # for one SQL statement, enforced by the server
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000  # the server ends a transaction left open
TCP_USER_TIMEOUT_MS = 10_000  # unacknowledged data (a failed-over or vanished host)
POOL_TIMEOUT_SECONDS = 5  # to wait for a free pooled connection under load
SECRET_REFRESH_SECONDS = 5  # read the secret again at most this often after a refusal

Credentials = Callable[[bool], dict[str, str]]  # refresh -> {"user": ..., "password": ...}


class SecretsManagerCredentials:
    """User and password from the RDS-managed secret, fetched when a connection is opened.

    RDS rotates that secret (every 7 days by default). A password read once at start would
    stop working for new connections after a rotation; this cache is read again when the
    database refuses a connection, so the app follows the rotation without a restart.
    """

    def __init__(self, secret_id: str, client=None, clock=time.monotonic) -> None:
        self.secret_id = secret_id
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._value: dict[str, str] | None = None
        self._refreshed = float("-inf")  # when a refusal last made us read it again

    def __call__(self, refresh: bool = False) -> dict[str, str]:
        with self._lock:
            again = refresh and self._clock() - self._refreshed >= SECRET_REFRESH_SECONDS
            if again:
                self._refreshed = self._clock()
            if self._value is None or again:
                if self._client is None:
                    import boto3  # only in AWS; the region is the secret's own

                    region = self.secret_id.split(":")[3]
                    self._client = boto3.client("secretsmanager", region_name=region)
                secret = json.loads(
                    self._client.get_secret_value(SecretId=self.secret_id)["SecretString"]
                )
                self._value = {"user": secret["username"], "password": secret["password"]}
            return dict(self._value)


def create_db_engine(
    url: URL | str,
    credentials: Credentials | None = None,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
) -> Engine:
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        # FastAPI may serve a request on another thread than the one that connected.
        return create_engine(url, connect_args={"check_same_thread": False})
    engine = create_engine(
        url,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
            f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}",
        },
        # pool_pre_ping replaces connections dropped by a database failover (Multi-AZ).
        pool_pre_ping=True,
        # A small pool per task: tasks x 10 connections must stay under the database's limit.
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=POOL_TIMEOUT_SECONDS,
    )
    if credentials is not None:
        use_current_credentials(engine, credentials)
    return engine


def use_current_credentials(engine: Engine, credentials: Credentials) -> None:
    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        used = credentials(False)
        try:
            return dialect.connect(*cargs, **cparams, **used)
        except dialect.loaded_dbapi.OperationalError:
            # Refused: if the secret has changed meanwhile (a rotation), try its new value.
            # psycopg gives no SQL state for a failed sign-in, so any refusal checks.
            current = credentials(True)
            if current == used:
                raise
            log.warning("database credentials changed (rotation): connecting with the new ones")
            return dialect.connect(*cargs, **cparams, **current)


def credentials_for(settings: Settings) -> Credentials | None:
    """In AWS, the secret's current user and password; otherwise those in the URL."""
    if settings.db_credentials_arn and not settings.database_url:
        return SecretsManagerCredentials(settings.db_credentials_arn)
    return None


def get_sessions(request: Request) -> sessionmaker:
    """FastAPI dependency: the session factory. Open a session only around the database
    work (`with sessions.begin() as session:`), never around rendering a response."""
    return request.app.state.sessions
