"""project.yaml: read the same way by the repository settings and the pipelines' generator;
a mistake in it is named by its key. (The infra side: the project's
infra/tests/test_project_facts.py.)"""

import re

import pytest
import yaml

from epa_toolkit.repo_settings import desired
from project_facts import FactsError, load, parse, project_root
from project_facts.generated import between, sync

ROOT = project_root()  # the reference project the tests run in (conftest.py)


def facts_data() -> dict:
    return yaml.safe_load((ROOT / "project.yaml").read_text())


ANSWERS = desired.Answers("github", "acme/desk", "trunk", "s3")


def test_the_repository_settings_follow_the_facts():
    facts = load()
    assert [e.name for e in desired.github_settings(ANSWERS).environments] == [
        *facts.names,
        "drift",
    ]
    assert desired.gitlab_settings(ANSWERS).environments == facts.names
    for strategy in facts.branching:
        assert desired.deploy_branches(strategy) == facts.deploy_branches(strategy)


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
        (lambda d: d["business_metric"].pop("counts"), "business_metric: give exactly name"),
        (lambda d: d["business_metric"].update(name="tickets"), "business_metric.name: 'tickets'"),
        (lambda d: d["business_metric"].update(name="Tickets-Raised"), "business_metric.name"),
        (lambda d: d["business_metric"].update(counts="{x}"), "business_metric.counts: '{x}'"),
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
    new = between(page.read_text(), "<!-- x:begin -->", "<!-- x:end -->", "<!-- x:begin -->new<!-- x:end -->")
    assert new == "mine\n<!-- x:begin -->new<!-- x:end -->\nmine too\n", "the rest is left alone"
    assert sync(page, new, check=True, stale="page.md is out of date: run `make docs`.") == 1
    assert "run `make docs`" in capsys.readouterr().err
    assert "old" in page.read_text(), "a check writes nothing"
    assert sync(page, new, check=False, stale="-") == 0 and page.read_text() == new
    assert sync(page, new, check=True, stale="-") == 0
    with pytest.raises(ValueError, match=r"page\.md: the markers <!-- y:begin -->"):
        between(new, "<!-- y:begin -->", "<!-- y:end -->", "", "page.md")


def test_the_business_metric_is_optional_to_read_but_named_when_required():
    data = facts_data()
    assert parse(data).require_business_metric().name == data["business_metric"]["name"]
    del data["business_metric"]
    with pytest.raises(FactsError, match="business_metric: missing"):
        parse(data).require_business_metric()
