"""project.yaml (read by the toolkit's project_facts) is the one source of the environments
and of what each tier guarantees: the profiles, the policy pack, the bootstrap and the
toolkit's inspection all hold each tier to the same numbers."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import yaml
from epa_toolkit.inspection.model import tier_defaults
from project_facts import load

from environment_profile import GUARANTEES, TIER_DEFAULTS, load_profile
from policy.rules import REQUIREMENTS

INFRA = Path(__file__).resolve().parents[1]


def test_policy_inspection_and_profiles_hold_each_tier_to_the_same_guarantees():
    facts = load()
    for tier, guarantees in facts.tiers.items():
        expected = dataclasses.asdict(guarantees)
        assert dataclasses.asdict(REQUIREMENTS[tier]) == expected, tier
        assert dataclasses.asdict(GUARANTEES[tier]) == expected, tier
        inspection = dataclasses.asdict(tier_defaults(tier))
        assert {k: inspection[k] for k in expected} == expected, tier
        assert tier_defaults(tier).closed_ports == tuple(facts.closed_to_internet)


def test_every_tier_default_profile_meets_its_guarantees():
    for tier in TIER_DEFAULTS:
        profile = load_profile({"alertEmail": "alerts@example.com"}, tier)
        assert profile.tier == tier


def test_each_environment_has_a_stack_and_the_stacks_leave_the_tier_to_project_yaml():
    facts = load()
    stacks = sorted(p.name.split(".")[1] for p in INFRA.glob("Pulumi.*.yaml"))
    assert stacks == sorted(facts.names)
    for name in facts.names:
        config = yaml.safe_load((INFRA / f"Pulumi.{name}.yaml").read_text())["config"]
        assert not [key for key in config if key.endswith(":tier")], name


def test_the_bootstrap_makes_a_deploy_role_per_environment_for_its_branches():
    facts = load()
    sys.path.insert(0, str(INFRA / "bootstrap"))
    try:
        import ci_access
    finally:
        sys.path.remove(str(INFRA / "bootstrap"))
    assert facts.names == ci_access.ENVIRONMENTS
    for strategy in facts.branching:
        subjects = ci_access.deploy_subjects("gitlab", "acme/desk", "staging", strategy)
        assert len(subjects) == len(facts.deploy_branches(strategy)["staging"])
