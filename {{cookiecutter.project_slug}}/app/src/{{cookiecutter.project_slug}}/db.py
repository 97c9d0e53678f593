"""Database engine and sessions: one engine per process, one session per request."""

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.orm import Session


def create_db_engine(url: URL | str) -> Engine:
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        # FastAPI may serve a request on another thread than the one that connected.
        return create_engine(url, connect_args={"check_same_thread": False})
    # pool_pre_ping replaces connections dropped by a database failover (Multi-AZ).
    # A small pool per task: tasks x 10 connections must stay under the database's limit.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: a session that is closed when the request ends."""
    with request.app.state.sessions() as session:
        yield session
