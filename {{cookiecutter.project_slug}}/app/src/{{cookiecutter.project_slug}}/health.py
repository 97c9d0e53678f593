"""Health endpoints for the load balancer, ECS and the deployment pipeline.

/healthz  liveness: the process answers. Never touches the database, so a database
          outage does not make ECS kill every task (which would not fix it).
/readyz   readiness: the database answers. The load balancer sends traffic only to
          tasks that are ready.
/version  what is running: the pipeline's smoke test checks the commit it deployed.
"""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        # Log the error class only: the message can contain the connection string.
        log.error("database not reachable", extra={"error": type(error).__name__})
        return JSONResponse(
            {"status": "unavailable", "reason": "database not reachable"}, status_code=503
        )
    return JSONResponse({"status": "ready"})


@router.get("/version")
def version(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {
        "version": settings.app_version,
        "commit": settings.git_sha,
        "environment": settings.environment,
    }
