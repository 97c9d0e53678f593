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

from . import auth, health, tickets
from .db import create_db_engine
from .features import load_flags
from .logs import configure_logging
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


def create_app(
    settings: Settings | None = None,
    metrics: MetricsSink | None = None,
    auth_transport: httpx2.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`auth_transport` replaces the network to the identity provider (tests only)."""
    settings = settings or Settings()  # refuses to start without sign-in settings in AWS
    configure_logging(settings.log_level)
    flags = load_flags(settings.environment, settings.feature_flags)  # fails fast on typos
    engine = create_db_engine(settings.sqlalchemy_url())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()  # close pooled connections cleanly when ECS stops the task

    # Every route checks the CSRF token of state-changing requests signed in by cookie.
    app = FastAPI(
        title=settings.project_name,
        version=settings.app_version,
        lifespan=lifespan,
        dependencies=[Depends(auth.check_csrf)],
    )
    app.state.settings = settings
    app.state.flags = flags
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.metrics = metrics or create_sink(settings)
    templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
    templates.env.globals.update(settings=settings, flags=flags)
    app.state.templates = templates
    # Sign-in first: middleware added earlier runs later, so the request log and the
    # security headers below also cover the requests that sign-in refuses.
    auth.install(app, settings, auth_transport)

    @app.middleware("http")
    async def log_request(request: Request, call_next):
        """One log line per request, tied together by a request id that is also
        returned to the caller (quote it when reporting a problem)."""
        request_id = request.headers.get("X-Request-ID", "")
        if not REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
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
    app.include_router(tickets.api)
    app.include_router(tickets.pages)
    return app
