"""The app under database faults, on a real PostgreSQL (as in AWS): frozen, down, its
{% if cookiecutter.starter == "reference" -%}
password rotated, and two people closing one ticket at once. CI runs these; without a
PostgreSQL in DATABASE_URL they are skipped."""
{%- else -%}
password rotated. CI runs these; without a PostgreSQL in DATABASE_URL they are skipped.

The example route stores nothing, so these tests give the app a route of their own that
reads the database, as your service's routes will (`app_with_db_route`). Once your own
routes use the database, point DATABASE_ROUTE at one of them instead."""
{%- endif %}

import json
{%- if cookiecutter.starter == "reference" %}
import threading
{%- endif %}
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
{%- if cookiecutter.starter == "minimal" %}
from fastapi import FastAPI, Request
{%- endif %}
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import make_url{% if cookiecutter.starter == "minimal" %}, text{% endif %}

from {{ cookiecutter.project_slug }} import auth
from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.settings import Settings
{%- if cookiecutter.starter == "reference" %}
from {{ cookiecutter.project_slug }}.tickets import close_ticket
{%- endif %}

from .faults import FaultyLink

REGION = "eu-west-2"
END_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s"
{%- if cookiecutter.starter == "reference" %}
DATABASE_ROUTE = "/api/tickets"  # every request to it reads the database
{%- else %}
DATABASE_ROUTE = "/api/database-read"


def app_with_db_route(settings: Settings) -> FastAPI:
    """The app plus a route that reads the database through a session, as yours will."""
    app = create_app(settings)

    @app.get(DATABASE_ROUTE)
    def read(request: Request) -> dict[str, int]:
        with request.app.state.sessions() as session:
            return {"answer": session.execute(text("SELECT 1")).scalar_one()}

    return app
{%- endif %}


def admin(url: str) -> psycopg.Connection:
    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def link(postgresql_url: str) -> Iterator[FaultyLink]:
    faulty = FaultyLink(make_url(postgresql_url))
    yield faulty
    faulty.close()


@pytest.fixture
def through_link(settings: Settings, link: FaultyLink, postgresql_url: str) -> Iterator[TestClient]:
    url = link.url(postgresql_url).render_as_string(hide_password=False)
    with TestClient({{ "create_app" if cookiecutter.starter == "reference" else "app_with_db_route" }}(settings.model_copy(update={"database_url": url}))) as client:
        client.headers["Authorization"] = f"Bearer {auth.issue_dev_token(settings)}"
        yield client


def test_readiness_answers_within_2_s_while_the_database_is_frozen_then_recovers(
    through_link, link
):
    client = through_link
    assert client.get("/readyz").status_code == 200
    link.freeze()
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert time.monotonic() - started < 2.5
    assert response.json()["reason"] == "database did not answer within 2 s"
    started = time.monotonic()
    again = client.get("/readyz")  # the first question is still out: no second thread
    assert again.json()["reason"].startswith("database has not answered for")
    assert time.monotonic() - started < 0.5
    assert client.get("/healthz").status_code == 200, "liveness never waits on the database"
    link.restore()
    assert wait_until(lambda: client.get("/readyz").status_code == 200, 5), "recovers by itself"


def test_database_down_is_503_with_one_log_line_then_recovers(through_link, link, caplog):
    client = through_link
    assert client.get(DATABASE_ROUTE).status_code == 200
    caplog.clear()
    link.cut()
    responses = [client.get(DATABASE_ROUTE) for _ in range(20)]
    assert {r.status_code for r in responses} == {503}
    assert responses[0].headers["Retry-After"] == "5"
    assert "database" in responses[0].json()["detail"]
    assert client.get("/readyz").status_code == 503
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"
    failures = [r for r in caplog.records if r.getMessage() == "database unavailable"]
    assert len(failures) == 1, "identical failures are logged once per interval"
    assert (failures[0].error, failures[0].path) == ("OperationalError", DATABASE_ROUTE)
    link.restore()
    assert wait_until(lambda: client.get(DATABASE_ROUTE).status_code == 200, 5)


def test_a_new_connection_to_a_frozen_database_gives_up_within_seconds(
    settings, link, postgresql_url
):
    url = link.url(postgresql_url).render_as_string(hide_password=False)
    with TestClient({{ "create_app" if cookiecutter.starter == "reference" else "app_with_db_route" }}(settings.model_copy(update={"database_url": url}))) as client:
        client.headers["Authorization"] = f"Bearer {auth.issue_dev_token(settings)}"
        link.freeze()  # before the first connection: it cannot even sign in
        started = time.monotonic()
        assert client.get(DATABASE_ROUTE).status_code == 503
        assert time.monotonic() - started < 5, "connect_timeout, not minutes"
        link.restore()
        assert wait_until(lambda: client.get(DATABASE_ROUTE).status_code == 200, 5)


@pytest.fixture
def rotating_role(postgresql_url: str) -> Iterator[tuple[str, str]]:
    """A database user of its own, as the app has in AWS, with a first password."""
    role, password = f"app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with admin(postgresql_url) as db:
        db.autocommit = True
        allowed = db.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
        if not allowed:
            pytest.skip("the test database's user cannot create roles")
        name = sql.Identifier(role)
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(password)))
{%- if cookiecutter.starter == "reference" %}
        db.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON tickets TO {}").format(name))
        db.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(name))
{%- endif %}
    yield role, password
    with admin(postgresql_url) as db:
        db.autocommit = True
        db.execute(END_SESSIONS, (role,))
        db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_requests_succeed_after_the_password_rotates_without_a_restart(
    settings, postgresql_url, rotating_role, monkeypatch
):
    role, first = rotating_role
    target = make_url(postgresql_url)
    try:
        psycopg.connect(host=target.host, port=target.port, dbname=target.database,
                        user=role, password="not-the-password", connect_timeout=3).close()  # fmt: skip  # pragma: allowlist secret
    except psycopg.OperationalError:
        pass  # the server checks passwords, as RDS does
    else:
        pytest.skip("the server accepts any password (trust): rotation cannot be observed")
    # Only here: botocore's service models and moto take a second to import.
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name=REGION)
        arn = secrets.create_secret(
            Name="rds!db-test", SecretString=json.dumps({"username": role, "password": first})
        )["ARN"]
        aws_like = settings.model_copy(
            update={
                "database_url": None,
                "db_host": target.host,
                "db_port": target.port,
                "db_name": target.database,
                "db_credentials_arn": arn,
                "db_sslmode": "prefer",
            }
        )
        with TestClient({{ "create_app" if cookiecutter.starter == "reference" else "app_with_db_route" }}(aws_like)) as client:
            client.headers["Authorization"] = f"Bearer {auth.issue_dev_token(settings)}"
{%- if cookiecutter.starter == "reference" %}
            assert client.post(DATABASE_ROUTE, json={"title": "Before rotation"}).status_code == 201
{%- else %}
            assert client.get(DATABASE_ROUTE).status_code == 200
{%- endif %}
            # What RDS rotation does: a new password in the database and in the secret.
            second = uuid.uuid4().hex
            with admin(postgresql_url) as db:
                db.autocommit = True
                db.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(second)
                    )
                )
                # Connections made before the change stay signed in: end them, as a
                # failover or the pool's recycling would.
                db.execute(END_SESSIONS, (role,))
            secrets.put_secret_value(
                SecretId=arn, SecretString=json.dumps({"username": role, "password": second})
            )
            statuses = [client.get(DATABASE_ROUTE).status_code for _ in range(10)]
            assert statuses == [200] * 10
            assert client.get("/readyz").status_code == 200

{%- if cookiecutter.starter == "reference" %}


def test_two_closes_at_once_agree_on_when_the_ticket_closed(client):
    ticket = client.post("/api/tickets", json={"title": "Closed by two people"}).json()
    sessions, start = client.app.state.sessions, threading.Barrier(6)
    results: list = []

    def close():
        start.wait()
        results.append(close_ticket(sessions, ticket["id"]).closed_at)

    threads = [threading.Thread(target=close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len(set(results)) == 1, results
{%- endif %}
