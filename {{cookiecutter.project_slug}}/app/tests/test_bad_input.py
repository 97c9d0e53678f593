"""Bad input gets a clear 4xx naming the field, never a 500, on SQLite and PostgreSQL alike.

{% if cookiecutter.starter == "reference" -%}
Several of these pass on SQLite whatever the app does (it stores NUL and any id): CI runs
this file on PostgreSQL too, as in AWS.
{% else -%}
CI runs this file on PostgreSQL too, as in AWS: once your routes store what they are sent,
add your fields' bad input here (SQLite stores a NUL character, PostgreSQL refuses it).
{% endif -%}
"""

import asyncio
import json

import pytest
{%- if cookiecutter.starter == "reference" %}
from fastapi.testclient import TestClient
{%- endif %}

from {{ cookiecutter.project_slug }} import auth
{%- if cookiecutter.starter == "reference" %}
from {{ cookiecutter.project_slug }}.limits import DESCRIPTION_MAX, MAX_REQUEST_BODY_BYTES, TITLE_MAX
from {{ cookiecutter.project_slug }}.main import create_app

from .conftest import sign_in

VALID = {"title": "Printer on floor 2 is jammed"}
{%- else %}
from {{ cookiecutter.project_slug }}.limits import MAX_REQUEST_BODY_BYTES
from {{ cookiecutter.project_slug }}.main import create_app
{%- endif %}
{%- set api = "/api/tickets" if cookiecutter.starter == "reference" else "/api/examples" %}


def post_raw(client, text: str):
    """A JSON body exactly as written: Python's json module would refuse some of these."""
    return client.post(
        "{{ api }}", content=text.encode("utf-8"), headers={"Content-Type": "application/json"}
    )


{% if cookiecutter.starter == "reference" -%}
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Printer\x00 jammed"}, "title"),
        ({**VALID, "description": "Paper\x00tray"}, "description"),
        ({"title": "Printer\x1b[31m jammed"}, "title"),
        ({"title": "Two\nlines of title"}, "title"),
        ({"title": "\u200b\u200b\u200b\u200b"}, "title"),  # zero-width spaces only
        ({"title": "\u202e\u202e\u202e"}, "title"),  # bidi overrides only
        ({"title": "Invoice \u202efdp.exe"}, "title"),  # reads as "Invoice exe.pdf"
        ({**VALID, "description": "Looks \u2066fine\u2069"}, "description"),
    ],
)
def test_text_the_database_or_a_reader_cannot_take_is_422(client, body, field):
    response = client.post("/api/tickets", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert client.get("/api/tickets").json()["items"] == []


{% endif -%}
@pytest.mark.parametrize(
    ("text", "field"),
    [
{%- if cookiecutter.starter == "reference" %}
        ('{"title": "\\ud800 lone surrogate"}', "title"),
        ('{"title": "Valid title", "description": "\\udfff"}', "description"),
        ('{"title": NaN}', "title"),
        ('{"title": Infinity}', "title"),
        ('{"title": "Valid title", "priority": -Infinity}', "priority"),
        ('{"title": "Valid title", "\\ud800\\u0000": 1}', "body"),  # a key that is not text
{%- else %}
        ('{"name": "\\ud800 lone surrogate"}', "name"),
        ('{"name": NaN}', "name"),
        ('{"name": Infinity}', "name"),
        ('{"name": "Valid name", "\\ud800\\u0000": 1}', "body"),  # a key that is not text
{%- endif %}
    ],
)
def test_json_that_is_not_text_is_422_and_never_echoed(client, text, field):
    response = post_raw(client, text)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"][-1] == field
    assert "input" not in problem, "the input is never echoed back"


{% if cookiecutter.starter == "reference" -%}
def test_a_description_in_any_script_fits(client):
    for script in ("Принтер не печатает. ", "打印机卡纸了。", "🖨️🔥"):
        description = (script * DESCRIPTION_MAX)[:DESCRIPTION_MAX]
        title = ("Printer " + script)[:TITLE_MAX]
        response = client.post("/api/tickets", json={"title": title, "description": description})
        assert response.status_code == 201, response.text
        assert response.json()["description"] == description.strip()


def test_the_form_takes_the_largest_valid_ticket(client):
    # 4-byte characters, percent-encoded by the form: 12 bytes each on the wire.
    data = {"title": "😀" * TITLE_MAX, "description": "😀" * DESCRIPTION_MAX, "priority": "low"}
    response = client.post("/tickets", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("ticket_id", [0, -1, 2**31, 2**63, -(2**63), 10**30])
def test_ids_outside_the_column_range_are_422(client, ticket_id):
    for response in (
        client.get(f"/api/tickets/{ticket_id}"),
        client.post(f"/api/tickets/{ticket_id}/close"),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["path", "ticket_id"]
    before = client.get("/api/tickets", params={"before": ticket_id})
    assert before.status_code == 422
    assert before.json()["detail"][0]["loc"] == ["query", "before"]


def test_the_largest_id_is_simply_not_found(client):
    assert client.get(f"/api/tickets/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("q", ["vpn\x00", "a" * 101, "\x07"])
def test_search_text_is_checked(settings, q):
    on = settings.model_copy(update={"feature_flags": "ticket_search"})
    with TestClient(create_app(on)) as client:
        sign_in(client)
        response = client.get("/api/tickets", params={"q": q})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["query", "q"]


{% endif -%}
def test_an_oversized_body_is_413_with_a_short_answer(client):
    body = json.dumps({"{{ "title" if cookiecutter.starter == "reference" else "name" }}": "x" * (20 * 1024 * 1024)})  # 20 MB
    response = post_raw(client, body)
    assert response.status_code == 413
    assert len(response.content) < 200, "nothing of the input comes back"


def test_an_oversized_body_is_refused_after_reading_no_more_than_the_limit(settings):
    """Sent in chunks without a Content-Length, as a streaming client would: the app stops
    reading at the limit, so memory stays bounded whatever the client sends."""
    app = create_app(settings)
    token = auth.issue_dev_token(settings)
    chunk, sent, replies = b"x" * 4096, 0, []

    async def receive():
        nonlocal sent
        sent += 1
        more = sent < 20 * 1024 * 1024 // len(chunk)  # would be 20 MB in total
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(message):
        replies.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "{{ api }}",
        "raw_path": b"{{ api }}",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert replies[0]["status"] == 413
    assert sent * len(chunk) <= MAX_REQUEST_BODY_BYTES + len(chunk)


def test_head_answers_like_get_without_a_body(client):
    for path in ("/healthz", "/version", "/"{% if cookiecutter.starter == "reference" %}, "/api/tickets"{% endif %}):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]


def test_a_page_never_answers_in_json(client):
    for path in ({% if cookiecutter.starter == "reference" %}"/?created=abc", "/?before=-5", "/no-such-page"{% else %}"/no-such-page",{% endif %}):
        response = client.get(path)
        assert response.status_code in (404, 422), path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in response.text
{%- if cookiecutter.starter == "reference" %}
    closing = client.post("/tickets/999999/close", follow_redirects=False)
    assert closing.status_code == 404
    assert "Ticket 999999 not found" in closing.text
{%- endif %}
