"""Operational endpoints used by the load balancer, ECS and the pipeline."""

import asyncio

from fastapi.testclient import TestClient

from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.settings import Settings


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_when_the_database_is_down_and_healthz_stays_up(capsys):
    # Nothing listens on port 9 of loopback: connection refused at once.
    settings = Settings(database_url="postgresql+psycopg://app:s3cret@127.0.0.1:9/app")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database not reachable"}
    assert "s3cret" not in capsys.readouterr().out, "the password must never reach the logs"


def test_version_reports_what_was_deployed(client):
    assert client.get("/version").json() == {
        "version": "1.2.3",
        "commit": "0123456789abcdef",
        "environment": "local",
    }


def test_version_reads_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("GIT_SHA", "feedface")
    monkeypatch.setenv("ENVIRONMENT", "staging")
    # Outside local the app needs its sign-in settings (tests/test_auth.py).
    monkeypatch.setenv("OIDC_ISSUER", "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Test")
    monkeypatch.setenv("OIDC_CLIENT_ID", "test-client")
    monkeypatch.setenv("PUBLIC_URL", "https://desk.example.co.uk")
    monkeypatch.setenv("SESSION_SECRET", "s" * 32)
    monkeypatch.setenv("APP_VERSION", "2.0.0")
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        assert client.get("/version").json() == {
            "version": "2.0.0",
            "commit": "feedface",
            "environment": "staging",
        }


def test_probes_that_arrive_together_share_one_answer(client):
    """The load balancer's nodes in each zone probe at the same moment: all are ready."""
    probe = client.app.state.database_probe

    async def together():
        return await asyncio.gather(*(probe.problem() for _ in range(10)))

    assert asyncio.run(together()) == [None] * 10
