"""What a caller sees when a request fails: JSON for the API, a page for people.

- Invalid input gets 422 naming each field and what is allowed, without echoing the input
  back: it can be large, or not even writable as JSON (NaN, a lone surrogate).
- A database that cannot be reached or answers too slowly gets 503 with Retry-After, not a
  500 and a traceback: one structured log line, and the same failure at most once every
  LOG_INTERVAL_SECONDS (with how many were left out), so an outage cannot flood the logs.
"""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException

from .auth import PUBLIC_PATHS, is_api
from .logs import Throttle

log = logging.getLogger(__name__)
LOG_INTERVAL_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "The service cannot reach its database just now. Try again in a minute."


def wants_page(request: Request) -> bool:
    path = request.url.path
    return not (is_api(path) or path in PUBLIC_PATHS)


def error_page(request: Request, status_code: int, messages: list[str], headers=None) -> Response:
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": status_code, "messages": messages},
        status_code=status_code,
        headers=headers,
    )


def printable(part: str | int, limit: int = 64) -> str | int:
    """A field name from the request, short and always writable as UTF-8 JSON."""
    if isinstance(part, int):
        return part
    return str(part)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


async def invalid_input(request: Request, error: RequestValidationError) -> Response:
    problems = [
        {"loc": [printable(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in error.errors()
    ]
    if wants_page(request):
        messages = [f"{problem['loc'][-1]}: {problem['msg']}" for problem in problems]
        return error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, messages)
    return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def http_error(request: Request, error: HTTPException) -> Response:
    if wants_page(request) and error.status_code >= 400:
        return error_page(request, error.status_code, [str(error.detail)], error.headers)
    return await http_exception_handler(request, error)


async def database_unavailable(request: Request, error: Exception) -> Response:
    throttle: Throttle = request.app.state.log_throttle
    cause = type(getattr(error, "orig", None) or error).__name__
    if (left_out := throttle.allow(f"database unavailable:{cause}")) is not None:
        # The class and SQL state only: the message can contain the connection string.
        log.error(
            "database unavailable",
            extra={
                "error": cause,
                "sqlstate": getattr(getattr(error, "orig", None), "sqlstate", None),
                "path": request.url.path,
                "request_id": getattr(request.state, "request_id", None),
                "similar_left_out": left_out,
            },
        )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    code = status.HTTP_503_SERVICE_UNAVAILABLE
    if wants_page(request):
        return error_page(request, code, [DATABASE_UNAVAILABLE], headers)
    return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_input)
    app.add_exception_handler(HTTPException, http_error)
    for database_error in (OperationalError, PoolTimeoutError):
        app.add_exception_handler(database_error, database_unavailable)
