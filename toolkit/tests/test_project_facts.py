"""project.yaml: one source for the environments, what each tier guarantees and the branches,
read the same way by the profiles, the policy pack, the inspection, the bootstrap and the
repository settings; and a mistake in it is named by its key."""

import dataclasses
import re
import sys
from pathlib import Path

import pytest
import yaml

from project_facts import FactsError, load, parse
from project_facts.generated import between, sync
from epa_toolkit.inspection.model import tier_defaults
from epa_toolkit.repo_settings import desired

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))  # the policy pack and the profiles, as Pulumi runs them
from environment_profile import GUARANTEES, TIER_DEFAULTS, load_profile  # noqa: E402
from policy.rules import REQUIREMENTS  # noqa: E402


def facts_data() -> dict:
    return yaml.safe_load((ROOT / "project.yaml").read_text())


def test_policy_inspection_and_profiles_hold_each_tier_to_the_same_guarantees():
    facts = load()
    for tier, guarantees in facts.tiers.items():
        expected = dataclasses.asdict(guarantees)
        assert dataclasses.asdict(REQUIREMENTS[tier]) == expected, tier
        assert dataclasses.asdict(GUARANTEES[tier]) == expected, tier
        inspection = dataclasses.asdict(tier_defaults(tier))
        assert {k: inspection[k] for k in expected} == expected, tier
        assert tier_defaults(tier).closed_ports == tuple(facts.closed_to_internet)
    assert tier_defaults("unknown").tier == "prod", "an unknown tier is held to prod's"


def test_every_tier_default_profile_meets_its_guarantees():
    for tier in TIER_DEFAULTS:
        profile = load_profile({"alertEmail": "alerts@example.com"}, tier)
        assert profile.tier == tier


def test_each_environment_has_a_stack_and_the_stacks_leave_the_tier_to_project_yaml():
    facts = load()
    stacks = sorted(p.name.split(".")[1] for p in (ROOT / "infra").glob("Pulumi.*.yaml"))
    assert stacks == sorted(facts.names)
    for name in facts.names:
        config = yaml.safe_load((ROOT / "infra" / f"Pulumi.{name}.yaml").read_text())["config"]
        assert not [key for key in config if key.endswith(":tier")], name


ANSWERS = desired.Answers("github", "acme/desk", "trunk", "s3")


def test_the_bootstrap_and_repository_settings_follow_the_facts():
    facts = load()
    sys.path.insert(0, str(ROOT / "infra" / "bootstrap"))
    try:
        import ci_access
    finally:
        sys.path.remove(str(ROOT / "infra" / "bootstrap"))
    assert facts.names == ci_access.ENVIRONMENTS
    assert [e.name for e in desired.github_settings(ANSWERS).environments] == [
        *facts.names,
        "drift",
    ]
    assert desired.gitlab_settings(ANSWERS).environments == facts.names
    for strategy in facts.branching:
        assert desired.deploy_branches(strategy) == facts.deploy_branches(strategy)
        subjects = ci_access.deploy_subjects("gitlab", "acme/desk", "staging", strategy)
        assert len(subjects) == len(facts.deploy_branches(strategy)["staging"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["environments"].pop("prod"), "branching.trunk.deploy: give the branches"),
        (lambda d: d["environments"]["prod"].update(tier="production"), "environments.prod.tier"),
        (lambda d: d["environments"].update({"UAT": {"tier": "staging"}}), "environments.UAT"),
        (lambda d: d["tiers"]["prod"].pop("min_zones"), "tiers.prod: missing min_zones"),
        (lambda d: d["tiers"]["prod"].update(min_zones="3"), "tiers.prod.min_zones: '3'"),
        (lambda d: d["tiers"]["dev"].update(waf="no"), "tiers.dev.waf: 'no'; use true or false"),
        (lambda d: d["tiers"]["dev"].update(zones=2), "tiers.dev: unknown zones"),
        (lambda d: d.update(branching_strategy="release"), "branching_strategy: 'release'"),
        (lambda d: d["branching"]["gitflow"].update(default="trunk"), "branching.gitflow.default"),
        (lambda d: d["closed_to_internet"].update({"ssh": "SSH"}), "closed_to_internet"),
    ],
)
def test_a_wrong_fact_is_named_by_its_key(change, message):
    data = facts_data()
    change(data)
    with pytest.raises(FactsError, match=re.escape(message)):
        parse(data)


def test_the_file_as_shipped_parses():
    facts = parse(facts_data())
    assert facts.names[-1] == "prod", "prod comes last in promotion order"
    assert facts.guarantees("prod").min_zones == 3


def test_generated_blocks_are_written_or_checked_the_same_way(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text("mine\n<!-- x:begin -->old<!-- x:end -->\nmine too\n")
    new = between(
        page.read_text(), "<!-- x:begin -->", "<!-- x:end -->", "<!-- x:begin -->new<!-- x:end -->"
    )
    assert new == "mine\n<!-- x:begin -->new<!-- x:end -->\nmine too\n", "the rest is left alone"
    assert sync(page, new, check=True, stale="page.md is out of date: run `make docs`.") == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert "old" in page.read_text(), "a check writes nothing"
    assert sync(page, new, check=False, stale="-") == 0 and page.read_text() == new
    assert sync(page, new, check=True, stale="-") == 0
    with pytest.raises(ValueError, match=r"page\.md: the markers <!-- y:begin -->"):
        between(new, "<!-- y:begin -->", "<!-- y:end -->", "", "page.md")
