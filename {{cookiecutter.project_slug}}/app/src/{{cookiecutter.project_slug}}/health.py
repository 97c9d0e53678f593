"""Health endpoints for the load balancer, ECS and the deployment pipeline.

/healthz  liveness: the process answers. Never touches the database, and runs on the event
          loop rather than a worker thread, so it answers even when every worker waits on
          a slow database: a database outage does not make ECS kill every task.
/readyz   readiness: the database answers, within READY_TIMEOUT_SECONDS. The load balancer
          sends traffic only to tasks that are ready.
/version  what is running: the pipeline's smoke test checks the commit it deployed.
"""

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .logs import Throttle

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 2.0


class DatabaseProbe:
    """Asks the database `SELECT 1` on a connection of its own, so a busy pool under load
    does not make a healthy task look unready.

    One question at a time: probes that arrive while it is out (the load balancer's nodes
    in each zone ask at once) share its answer. When the database does not answer within
    the timeout (frozen, or a black-holed network), readiness says so, and later probes get
    503 at once instead of piling up threads. When it answers again, the next probe asks
    afresh: the task recovers by itself.
    """

    def __init__(
        self, engine: Engine, throttle: Throttle, timeout: float = READY_TIMEOUT_SECONDS
    ) -> None:
        self.engine = engine
        self.throttle = throttle
        self.timeout = timeout
        self._question: asyncio.Future | None = None
        self._asked_at = 0.0

    async def problem(self) -> str | None:
        """None when the database answered in time, else what went wrong."""
        loop = asyncio.get_running_loop()
        if self._question is None or self._question.done():
            self._question = loop.run_in_executor(None, self._ask)
            # Read any error even if every waiter has given up: no "never retrieved" noise.
            self._question.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._asked_at = loop.time()
        waited = loop.time() - self._asked_at
        if waited >= self.timeout:
            return f"database has not answered for {waited:.0f} s"
        try:
            await asyncio.wait_for(asyncio.shield(self._question), self.timeout - waited)
        except TimeoutError:
            return f"database did not answer within {self.timeout:g} s"
        except SQLAlchemyError as error:
            cause = type(getattr(error, "orig", None) or error).__name__
            if (left_out := self.throttle.allow(f"readiness:{cause}")) is not None:
                # The error class only: the message can contain the connection string.
                log.error(
                    "database not reachable",
                    extra={"error": cause, "similar_left_out": left_out},
                )
            return "database not reachable"
        return None

    def _ask(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    if problem := await request.app.state.database_probe.problem():
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/version")
async def version(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {
        "version": settings.app_version,
        "commit": settings.git_sha,
        "environment": settings.environment,
    }
