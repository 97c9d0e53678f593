{% if cookiecutter.starter == "reference" -%}
"""The firewall must let every valid ticket through: it is sized from the app's own limits.

A web ACL on a load balancer inspects at most the first 8 KB of a body, and the common rule
set's SizeRestrictions_BODY blocks anything longer. A valid ticket in a non-Latin script is
longer (app/tests/test_firewall_body_size.py measures it with the app's own limits), so that
rule only counts, and the app enforces its own limit (413).
"""
{%- else -%}
"""The firewall must let every valid request through: the app, not the firewall, limits size.

A web ACL on a load balancer inspects at most the first 8 KB of a body, and the common rule
set's SizeRestrictions_BODY blocks anything longer. The app takes valid requests up to its own
limit, 32 KB (its limits.py says why; app/tests/test_firewall_body_size.py sends the largest
valid request), so that rule only counts, and the app enforces its limit (413).
"""
{%- endif %}

from __future__ import annotations

import pytest

from components.edge import MANAGED_RULE_GROUPS
from tests.conftest import Model, model_of

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"


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
