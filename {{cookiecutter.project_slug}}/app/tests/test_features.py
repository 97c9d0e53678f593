"""Feature flags: defaults per tier, overrides, and the flagged code path."""

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.project_slug }}.features import Flags, load_flags
from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.settings import Settings

from .conftest import sign_in

{%- set flag = "ticket_search" if cookiecutter.starter == "reference" else "example_notice" %}


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("local", True), ("dev", True), ("staging", False), ("prod", False)],
)
def test_{{ "search" if cookiecutter.starter == "reference" else "the_notice" }}_is_on_only_before_release(tier, expected):
    assert load_flags(tier).{{ flag }} is expected


def test_overrides_switch_flags_on_and_off():
    assert load_flags("prod", "{{ flag }}") == Flags({{ flag }}=True)
    assert load_flags("dev", " -{{ flag }} , ") == Flags({{ flag }}=False)


def test_unknown_flag_fails_fast_naming_it():
{%- set typo = "tickets_search" if cookiecutter.starter == "reference" else "examples_notice" %}
    expected = "unknown flag '{{ typo }}'; known flags: {{ flag }}"
    with pytest.raises(ValueError, match=expected):
        load_flags("dev", "{{ typo }}")


def client_with(settings: Settings, flags: str) -> TestClient:
    client = TestClient(create_app(settings.model_copy(update={"feature_flags": flags})))
    return sign_in(client)


{% if cookiecutter.starter == "reference" -%}
@pytest.mark.usefixtures("client")  # empties the database first
def test_search_filters_page_and_api_only_when_enabled(settings):
    with client_with(settings, "ticket_search") as on:
        on.post("/api/tickets", json={"title": "VPN drops every hour"})
        on.post("/api/tickets", json={"title": "Printer jammed", "description": "VPN unrelated"})
        on.post("/api/tickets", json={"title": "New starter laptop"})
        assert len(on.get("/api/tickets", params={"q": "vpn"}).json()["items"]) == 2
        page = on.get("/", params={"q": "laptop"}).text
        assert 'role="search"' in page and "New starter laptop" in page
        assert "Printer jammed" not in page
        assert on.get("/api/tickets", params={"q": "%"}).json()["items"] == [], (
            "% is not a wildcard"
        )
    with client_with(settings, "-ticket_search") as off:
        assert len(off.get("/api/tickets", params={"q": "vpn"}).json()["items"]) == 3
        assert 'role="search"' not in off.get("/").text
{%- else -%}
@pytest.mark.usefixtures("client")
def test_the_flagged_notice_shows_only_when_enabled(settings):
    with client_with(settings, "example_notice") as on:
        assert "example_notice" in on.get("/").text
    with client_with(settings, "-example_notice") as off:
        assert "example_notice" not in off.get("/").text
{%- endif %}
