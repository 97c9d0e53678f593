"""The policy pack and the EPA toolkit's inspection line up: a check that verifies a policy
rule's guarantee on the deployed environment names the rule, and every tiered rule (what a
tier guarantees) is verified after the deploy by some check."""

from __future__ import annotations

from pathlib import Path

from epa_toolkit.inspection.checks import REGISTRY
from epa_toolkit.inspection.collect import NETWORK_TIER_TAG

from policy.rules import RULES

INFRA = Path(__file__).resolve().parents[1]

# Tiered rules no check mirrors yet, and why.
NOT_INSPECTED = {
    "cognito-mfa": "the inventory has no Cognito user pools yet: the inspection does not read "
    "cognito-idp (DescribeUserPool's MfaConfiguration would tell)",
}


def test_every_policy_rule_a_check_names_exists():
    rules = {rule.name for rule in RULES}
    named = {meta.id: meta.policy_rule for meta, _ in REGISTRY if meta.policy_rule}
    assert named, "checks name the policy rules they mirror"
    assert {check: rule for check, rule in named.items() if rule not in rules} == {}


def test_every_tiered_policy_rule_is_mirrored_by_a_check():
    mirrored = {meta.policy_rule for meta, _ in REGISTRY}
    tiered = {rule.name for rule in RULES if rule.tiered}
    assert set(NOT_INSPECTED) <= tiered, "list only tiered rules that exist"
    assert tiered - mirrored == set(NOT_INSPECTED)


def test_the_inspection_reads_the_network_tier_tag_the_network_sets():
    """Subnets carry their network tier (public, private, isolated) in their own tag; `tier`
    is the environment's. The inspection falls back on routes when the tag is missing."""
    network = (INFRA / "components" / "network.py").read_text()
    assert f'"{NETWORK_TIER_TAG}": ' in network
