"""The application factory: settings in, a configured FastAPI app out.

Run with `uvicorn --factory {{ cookiecutter.project_slug }}.main:create_app` (see the Makefile and
Dockerfile). A factory rather than a module-level `app`: importing this module reads no
settings and changes no logging, so tests can build apps with their own settings and sink.
"""

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

{%- if cookiecutter.starter == "reference" %}

from . import auth, errors, health, tickets
{%- else %}

from . import auth, errors, examples, health
{%- endif %}
from .db import create_db_engine, credentials_for
from .features import load_flags
from .limits import MAX_REQUEST_BODY_BYTES
from .logs import Throttle, configure_logging
from .metrics import MetricsSink, create_sink
from .settings import Settings

PACKAGE_DIR = Path(__file__).parent
request_log = logging.getLogger("{{ cookiecutter.project_slug }}.requests")
# Callers may send their own request id to trace a request across services. It goes into
# logs and headers, so only short, plain ids are accepted; anything else gets a new one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Browser defences on every response: no guessing content types, no framing by other
# sites (clickjacking), no full URLs leaked to other sites in the Referer header.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# The interactive API documentation: for developers, never in staging or prod.
API_DOCS_TIERS = frozenset({"local", "dev"})


class HeadAsGet:
    """Answers HEAD on every GET route, as HTTP requires (RFC 9110): the GET response's
    status and headers, without its body. FastAPI registers GET routes for GET only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


def create_app(
    settings: Settings | None = None,
    metrics: MetricsSink | None = None,
    auth_transport: httpx2.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`auth_transport` replaces the network to the identity provider (tests only)."""
    settings = settings or Settings()  # refuses to start without sign-in settings in AWS
    configure_logging(settings.log_level)
    flags = load_flags(settings.behaviour_tier, settings.feature_flags)  # fails fast on typos
    url, credentials = settings.sqlalchemy_url(), credentials_for(settings)
    engine = create_db_engine(url, credentials)
    # Readiness asks on a connection of its own: a busy pool must not look like an outage.
    probe_engine = create_db_engine(url, credentials, pool_size=1, max_overflow=0)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()  # close pooled connections cleanly when ECS stops the task
        probe_engine.dispose()

    docs = settings.behaviour_tier in API_DOCS_TIERS
    app = FastAPI(
        title=settings.project_name,
        version=settings.app_version,
        lifespan=lifespan,
        # Every route checks the CSRF token of state-changing requests signed in by cookie.
        dependencies=[Depends(auth.check_csrf)],
        # 413 for a larger body, counted as it arrives: a huge request cannot fill memory.
        max_body_size=MAX_REQUEST_BODY_BYTES,
        openapi_url="/openapi.json" if docs else None,  # None also removes /docs and /redoc
    )
    app.state.settings = settings
    app.state.flags = flags
    app.state.engine = engine
    # One throttle for database errors, wherever they are logged (errors.py, health.py).
    app.state.log_throttle = Throttle(errors.LOG_INTERVAL_SECONDS)
    app.state.database_probe = health.DatabaseProbe(probe_engine, app.state.log_throttle)
    # expire_on_commit=False: a {% if cookiecutter.starter == "reference" %}ticket{% else %}row{% endif %} stays readable after its session has ended.
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.metrics = metrics or create_sink(settings)
    templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
    templates.env.globals.update(settings=settings, flags=flags)
    app.state.templates = templates
    errors.install(app)
    # Middleware added earlier runs later. HEAD becomes GET just before routing, so sign-in
    # and the request log still see HEAD; then sign-in, so the request log and the
    # security headers below also cover the requests that sign-in refuses.
    app.add_middleware(HeadAsGet)
    auth.install(app, settings, auth_transport)

    @app.middleware("http")
    async def log_request(request: Request, call_next):
        """One log line per request, tied together by a request id that is also
        returned to the caller (quote it when reporting a problem)."""
        request_id = request.headers.get("X-Request-ID", "")
        if not REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        request.state.request_id = request_id  # for error logs (errors.py)
        started = time.perf_counter()
        status = 500  # what the caller gets if the handler raises
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            # Logged even when the handler fails: failed requests matter most.
            request_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.url.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    @app.middleware("http")
    async def add_security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.include_router(health.router)
    app.include_router({% if cookiecutter.starter == "reference" %}tickets{% else %}examples{% endif %}.api)
    app.include_router({% if cookiecutter.starter == "reference" %}tickets{% else %}examples{% endif %}.pages)
    return app
