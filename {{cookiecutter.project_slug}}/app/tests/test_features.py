"""Feature flags: defaults per tier, overrides, and the flagged code path."""

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.project_slug }}.features import Flags, load_flags
from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.settings import Settings

from .conftest import sign_in


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("local", True), ("dev", True), ("staging", False), ("prod", False)],
)
def test_search_is_on_only_before_release(tier, expected):
    assert load_flags(tier).ticket_search is expected


def test_overrides_switch_flags_on_and_off():
    assert load_flags("prod", "ticket_search") == Flags(ticket_search=True)
    assert load_flags("dev", " -ticket_search , ") == Flags(ticket_search=False)


def test_unknown_flag_fails_fast_naming_it():
    expected = "unknown flag 'tickets_search'; known flags: ticket_search"
    with pytest.raises(ValueError, match=expected):
        load_flags("dev", "tickets_search")


def client_with(settings: Settings, flags: str) -> TestClient:
    client = TestClient(create_app(settings.model_copy(update={"feature_flags": flags})))
    return sign_in(client)


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
