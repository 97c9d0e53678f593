"""Logs and metrics in the shapes CloudWatch understands."""

import io
import json

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.project_slug }}.logs import Throttle
from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.metrics import EmfSink, NullSink, create_sink
from {{ cookiecutter.project_slug }}.settings import Settings

from .conftest import sign_in


def test_each_request_logs_one_json_line_with_a_request_id(settings, capsys):
    # The app is built inside the test so its log handler writes to the captured stdout.
    with TestClient(create_app(settings)) as client:
        capsys.readouterr()
        response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [entry] = [line for line in lines if line.get("message") == "request"]
    assert entry["request_id"] == "abc-123"
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert entry["level"] == "INFO" and entry["duration_ms"] >= 0
    assert "timestamp" in entry


def test_request_id_is_generated_when_absent_or_unsafe(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second
    unsafe = client.get("/healthz", headers={"X-Request-ID": "x" * 65}).headers["X-Request-ID"]
    assert len(unsafe) == 32


def test_a_failing_request_is_logged_as_500(settings, capsys):
    app = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client)
        capsys.readouterr()
        assert client.get("/boom", headers={"X-Request-ID": "req-500"}).status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [entry] = [line for line in lines if line.get("message") == "request"]
    assert entry["status"] == 500 and entry["request_id"] == "req-500"

{%- if cookiecutter.starter == "reference" %}
{%- set metric, property, value = "TicketsRaised", "Priority", "high" %}
{%- else %}
{%- set metric, property, value = "ExampleItemsCreated", "Source", "api" %}
{%- endif %}


def test_emf_document_shape():
    stream = io.StringIO()
    EmfSink("Service Desk", stream).count(
        "{{ metric }}",
        dimensions={"Service": "service-desk", "Environment": "prod"},
        properties={"{{ property }}": "{{ value }}"},
    )
    document = json.loads(stream.getvalue())
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive == {
        "Namespace": "Service Desk",
        "Dimensions": [["Environment", "Service"]],
        "Metrics": [{"Name": "{{ metric }}", "Unit": "Count"}],
    }
    assert isinstance(document["_aws"]["Timestamp"], int)
    assert document["{{ metric }}"] == 1
    assert document["Service"] == "service-desk" and document["Environment"] == "prod"
    assert document["{{ property }}"] == "{{ value }}"


def test_sink_follows_settings():
    assert isinstance(create_sink(Settings(metrics_sink="none")), NullSink)
    emf = Settings(metrics_sink="emf", business_metric="{{ metric }}")
    assert isinstance(create_sink(emf), EmfSink)


def test_the_emf_sink_needs_the_business_metric():
    with pytest.raises(ValueError, match="METRICS_SINK=emf needs BUSINESS_METRIC"):
        Settings(metrics_sink="emf")


def test_throttle_lets_one_through_per_interval_and_counts_the_rest():
    now = [100.0]
    throttle = Throttle(10.0, clock=lambda: now[0])
    assert throttle.allow("db down") == 0, "the first is logged"
    assert [throttle.allow("db down") for _ in range(3)] == [None] * 3
    assert throttle.allow("other error") == 0, "each kind has its own budget"
    now[0] += 10.0
    assert throttle.allow("db down") == 3, "the next line says how many were left out"
    assert throttle.allow("db down") is None
