"""The firewall must let every valid ticket through: it is sized from the app's own limits.

A web ACL on a load balancer inspects at most the first 8 KB of a body, and the common rule
set's SizeRestrictions_BODY blocks anything longer. A valid ticket in a non-Latin script is
longer, so that rule only counts, and the app enforces its own limit (413).
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

import pytest

# The app's package (a member of the same uv workspace): its limits size the firewall.
import {{ cookiecutter.project_slug }}.auth as app_auth
import {{ cookiecutter.project_slug }}.limits as limits
import {{ cookiecutter.project_slug }}.models as app_models
import {{ cookiecutter.project_slug }}.schemas as app_schemas
from components.edge import MANAGED_RULE_GROUPS
from tests.conftest import Model, model_of

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# AWS WAF's body inspection limit for an Application Load Balancer (fixed, not raisable).
ALB_BODY_INSPECTION_BYTES = 8 * 1024
WIDEST = "\N{GRINNING FACE}"  # outside the Basic Multilingual Plane: 4 bytes in UTF-8


def managed_groups(model: Model) -> dict[str, dict]:
    acl = model.one(WEB_ACL)["inputs"]
    return {
        rule["name"]: rule["statement"]["managedRuleGroupStatement"]
        for rule in acl["rules"]
        if "managedRuleGroupStatement" in rule["statement"]
    }


@pytest.mark.parametrize(
    ("stack", "domain"),
    [("staging", None), ("prod", "desk.example-training.co.uk"), ("prod", "")],
)
def test_the_8_kb_body_rule_counts_instead_of_blocking(stack, domain):
    groups = managed_groups(Model(model_of(stack, domain)))
    assert list(groups) == list(MANAGED_RULE_GROUPS)  # every group still applies
    assert groups[COMMON_RULE_SET]["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
    ]
    # Only that rule: everything else in every group still blocks.
    others = {name: g for name, g in groups.items() if name != COMMON_RULE_SET}
    assert all(not g.get("ruleActionOverrides") for g in others.values()), others


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
