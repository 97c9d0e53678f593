"""The JSON API: raise, list, read and close tickets."""

from datetime import datetime


def raise_ticket(client, title="Printer on floor 2 is jammed", **extra):
    response = client.post("/api/tickets", json={"title": title, **extra})
    assert response.status_code == 201, response.text
    return response


def test_raise_ticket_returns_it_with_its_location(client):
    response = raise_ticket(client, description="Paper tray 3", priority="high")
    ticket = response.json()
    assert response.headers["Location"] == f"/api/tickets/{ticket['id']}"
    assert ticket["title"] == "Printer on floor 2 is jammed"
    assert ticket["priority"] == "high"
    assert ticket["status"] == "open"
    assert datetime.fromisoformat(ticket["created_at"]).utcoffset().total_seconds() == 0


def test_defaults_and_whitespace(client):
    ticket = raise_ticket(client, title="   VPN drops every hour   ").json()
    assert ticket["title"] == "VPN drops every hour"
    assert ticket["priority"] == "normal"
    assert ticket["description"] == ""


def test_list_is_newest_first(client):
    first = raise_ticket(client, title="First ticket").json()
    second = raise_ticket(client, title="Second ticket").json()
    listed = client.get("/api/tickets").json()
    assert [t["id"] for t in listed["items"]] == [second["id"], first["id"]]
    assert listed["next"] is None, "one page holds them all"


def test_list_is_paged_by_a_cursor(client):
    ids = [raise_ticket(client, title=f"Ticket number {n}").json()["id"] for n in range(5)]
    seen, address = [], "/api/tickets?limit=2"
    while address:
        page = client.get(address).json()
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        raise_ticket(client, title="Raised while paging")  # never shifts the pages that follow
        address = page["next"]
    assert seen == ids[::-1], "every ticket once, newest first"


def test_page_size_is_bounded(client):
    for limit in (0, 101, -1):
        response = client.get("/api/tickets", params={"limit": limit})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_get_one_and_404(client):
    ticket = raise_ticket(client).json()
    assert client.get(f"/api/tickets/{ticket['id']}").json() == ticket
    missing = client.get("/api/tickets/999999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Ticket 999999 not found"}


def test_close_is_idempotent(client):
    ticket = raise_ticket(client).json()
    closed = client.post(f"/api/tickets/{ticket['id']}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    again = client.post(f"/api/tickets/{ticket['id']}/close").json()
    assert again["closed_at"] == closed["closed_at"]
    assert client.post("/api/tickets/999999/close").status_code == 404


def test_invalid_input_is_rejected_with_the_field(client):
    for body, field in [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Valid title", "priority": "urgent"}, "priority"),
        ({"title": "Valid title", "description": "x" * 2001}, "description"),
        ({"title": "Valid title", "status": "closed"}, "status"),
        ({}, "title"),
    ]:
        response = client.post("/api/tickets", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"][-1] == field
    assert client.get("/api/tickets").json()["items"] == []


def test_business_metric_is_emitted_once_per_ticket(client, metrics, settings):
    ticket = raise_ticket(client, priority="low").json()
    assert metrics.events == [
        (
            settings.business_metric,
            {"Service": "{{ cookiecutter.project_slug|replace('_', '-') }}", "Environment": "local"},
            {"Priority": "low", "TicketId": str(ticket["id"])},
        )
    ]
    client.post("/api/tickets", json={"title": "no"})
    assert len(metrics.events) == 1, "a rejected ticket is not counted"
