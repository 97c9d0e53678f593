"""The server-rendered page: usable without JavaScript, and accessible."""

import re


def test_page_lists_tickets_with_accessible_structure(client):
    client.post("/api/tickets", json={"title": "Laptop will not boot", "priority": "high"})
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert "<caption>Latest tickets, newest first</caption>" in html
    assert '<th scope="row">Laptop will not boot</th>' in html
    for field in ("title", "description"):
        assert f'<label for="{field}">' in html


def test_page_tells_browsers_to_load_only_its_own_resources(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_form_raises_a_ticket_then_redirects(client, metrics):
    response = client.post(
        "/tickets",
        data={"title": "Monitor flickers", "description": "Desk 14", "priority": "low"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert re.fullmatch(r"/\?created=\d+", response.headers["location"])
    page = client.get(response.headers["location"])
    assert "Monitor flickers" in page.text
    assert 'role="status"' in page.text
    assert len(metrics.events) == 1


def test_form_errors_are_summarised_and_linked_to_fields(client):
    response = client.post("/tickets", data={"title": "ab", "priority": "urgent"})
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Support tickets" in html
    assert 'role="alert"' in html
    assert '<a href="#title">Enter a title of 3 to 120 characters, in plain text</a>' in html
    assert '<a href="#priority">Choose low, normal or high</a>' in html
    assert 'aria-describedby="title-hint title-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="ab"' in html, "what the user typed is kept"
    assert client.get("/api/tickets").json()["items"] == []


def test_user_input_is_escaped(client):
    client.post("/api/tickets", json={"title": "<script>alert(1)</script>"})
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_close_from_the_page(client):
    ticket = client.post("/api/tickets", json={"title": "Reset my password"}).json()
    response = client.post(f"/tickets/{ticket['id']}/close", follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/tickets/{ticket['id']}").json()["status"] == "closed"


def test_stylesheet_is_served_from_a_relative_path(client):
    assert '<link rel="stylesheet" href="/static/app.css">' in client.get("/").text
    stylesheet = client.get("/static/app.css")
    assert stylesheet.status_code == 200 and ":focus-visible" in stylesheet.text


def test_footer_shows_environment_and_version(client):
    assert "Environment: local &middot; version 1.2.3 (0123456789ab)" in client.get("/").text


def test_the_page_shows_a_page_of_tickets_with_a_link_to_older_ones(client):
    for n in range(51):
        client.post("/api/tickets", json={"title": f"Ticket number {n}"})
    first = client.get("/").text
    assert first.count('<th scope="row">') == 50
    assert "Ticket number 50" in first and "Ticket number 0<" not in first
    older = re.search(r'<a href="(/\?before=\d+)" rel="next">Older tickets</a>', first).group(1)
    second = client.get(older).text
    assert second.count('<th scope="row">') == 1 and "Ticket number 0<" in second
    assert '<a href="/">Newest tickets</a>' in second


def test_no_connection_is_held_while_the_page_is_rendered(client):
    """Rendering and sending take time: a connection held meanwhile is one the next
    request cannot have (under load the pool runs dry)."""
    app = client.app
    render, held = app.state.templates.TemplateResponse, []

    def spy(*args, **kwargs):
        held.append(app.state.engine.pool.checkedout())
        return render(*args, **kwargs)

    app.state.templates.TemplateResponse = spy
    client.post("/api/tickets", json={"title": "Laptop will not boot"})
    client.get("/")
    client.post("/tickets", data={"title": "ab"})  # the form again, with its errors
    assert held == [0, 0]
