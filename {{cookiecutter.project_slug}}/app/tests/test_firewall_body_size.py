{% if cookiecutter.starter == "reference" -%}
"""A valid ticket fits the app's body limit but not what the firewall inspects.

A web ACL on a load balancer inspects at most the first 8 KB of a body, so the common rule
set's SizeRestrictions_BODY only counts (infra/tests/test_waf_body_size.py checks each
stack's web ACL): the largest valid ticket is longer, and the app enforces its own limit.
"""

import json
import secrets
from urllib.parse import urlencode

import pytest

import {{ cookiecutter.project_slug }}.auth as app_auth
import {{ cookiecutter.project_slug }}.limits as limits
import {{ cookiecutter.project_slug }}.models as app_models
import {{ cookiecutter.project_slug }}.schemas as app_schemas

# AWS WAF's body inspection limit for an Application Load Balancer (fixed, not raisable).
ALB_BODY_INSPECTION_BYTES = 8 * 1024
WIDEST = "\N{GRINNING FACE}"  # outside the Basic Multilingual Plane: 4 bytes in UTF-8


def worst_case_bodies() -> dict[str, bytes]:
    """The largest bodies a valid ticket can take: every character 4 bytes in UTF-8."""
    ticket = {"title": WIDEST * limits.TITLE_MAX, "description": WIDEST * limits.DESCRIPTION_MAX}
    priority = max((p.value for p in app_models.Priority), key=len)
    app_schemas.TicketIn.model_validate(ticket)  # valid: the limits count characters, not bytes
    form = {**ticket, "priority": priority, app_auth.CSRF_FIELD: secrets.token_urlsafe(32)}
    return {
        # A browser form percent-encodes each UTF-8 byte: 12 bytes a character.
        "form": urlencode(form).encode(),
        # JSON may escape it as a surrogate pair (\\ud83d\\ude00): 12 bytes too.
        "json": json.dumps({**ticket, "priority": priority}, ensure_ascii=True).encode(),
    }


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_a_valid_ticket_fits_the_apps_limit_but_not_the_firewalls(encoding):
    size = len(worst_case_bodies()[encoding])
    assert size <= limits.MAX_REQUEST_BODY_BYTES, f"the app refuses a valid ticket: {size} bytes"
    # Why SizeRestrictions_BODY must only count: it would block this valid ticket.
    assert size > ALB_BODY_INSPECTION_BYTES
{%- else -%}
"""The largest valid request fits the app's body limit, in any script.

Limits count characters and a body is bytes (limits.py works out the worst case: 12 bytes a
character). The app's limit is also above the 8 KB a web ACL on a load balancer can inspect,
so the firewall's SizeRestrictions_BODY rule only counts (infra/tests/test_waf_body_size.py)
and the app's limit is the one that holds. When you add fields, add them here at their longest.
"""

import json

import {{ cookiecutter.project_slug }}.limits as limits

WIDEST = "\N{GRINNING FACE}"  # outside the Basic Multilingual Plane: 4 bytes in UTF-8


def worst_case_body() -> bytes:
    """The largest body a valid example can take: JSON may escape each character as a
    surrogate pair (\\ud83d\\ude00), 12 bytes."""
    return json.dumps({"name": WIDEST * limits.NAME_MAX}, ensure_ascii=True).encode()


def test_the_largest_valid_example_is_accepted(client):
    body = worst_case_body()
    response = client.post(
        "/api/examples", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, f"a valid {len(body)}-byte example: {response.text}"
{%- endif %}
