"""The bootstrap's monthly budget: who it tells, when, and how much it allows."""

from __future__ import annotations

import json
import math

import pytest

from tests.test_bootstrap import (
    BOOTSTRAP,
    ESTIMATE,
    PROJECT,
    PROJECT_NAME,
    STACK_CONFIG,
    bootstrap,  # noqa: F401 (the fixture)
)

BUDGET = "aws:budgets/budget:Budget"


@pytest.fixture
def budget_module(monkeypatch):
    monkeypatch.syspath_prepend(str(BOOTSTRAP))
    import budget

    return budget


def the_budget(resources: list[dict]) -> dict:
    [budget] = [r["inputs"] for r in resources if r["type"] == BUDGET]
    return budget


def test_the_budget_emails_at_80_and_100_percent_of_actual_spend(bootstrap):  # noqa: F811
    resources, outputs = bootstrap()
    budget = the_budget(resources)
    assert budget["name"] == outputs["budget"] == f"{PROJECT_NAME}-monthly"
    assert (budget["budgetType"], budget["timeUnit"], budget["limitUnit"]) == (
        "COST",
        "MONTHLY",
        "USD",
    )
    alerts = {
        (n["notificationType"], n["threshold"], n["comparisonOperator"], n["thresholdType"])
        for n in budget["notifications"]
    }
    assert alerts == {
        ("ACTUAL", 80, "GREATER_THAN", "PERCENTAGE"),
        ("ACTUAL", 100, "GREATER_THAN", "PERCENTAGE"),
        ("FORECASTED", 100, "GREATER_THAN", "PERCENTAGE"),
    }
    # The address the environments' alarms go to, from the bootstrap's own config.
    email = STACK_CONFIG[f"{PROJECT}:alertEmail"]
    assert {tuple(n["subscriberEmailAddresses"]) for n in budget["notifications"]} == {(email,)}
    # The whole account: no filter to count nothing until a cost allocation tag is active.
    assert "costFilters" not in budget
    assert "filterExpression" not in budget
    assert budget["costTypes"] == {"includeTax": False}


def test_without_a_setting_the_budget_is_the_estimate_plus_a_quarter(bootstrap):  # noqa: F811
    resources, _ = bootstrap()
    total = json.loads(ESTIMATE.read_text())["total"]
    amount = float(the_budget(resources)["limitAmount"])
    assert amount == math.ceil(total * 1.25)
    assert total * 1.25 <= amount < total * 1.25 + 1


def test_a_configured_amount_wins_over_the_estimate(bootstrap):  # noqa: F811
    resources, _ = bootstrap(budgetMonthlyUsd="450.5")
    assert the_budget(resources)["limitAmount"] == "450.50"


@pytest.mark.parametrize("value", ["0", "-20", "six hundred", "nan", "inf", ""])
def test_a_bad_amount_fails_naming_the_key(bootstrap, value):  # noqa: F811
    with pytest.raises(ValueError, match=f"budgetMonthlyUsd: {value!r} is not allowed"):
        bootstrap(budgetMonthlyUsd=value)


@pytest.mark.parametrize("value", ["", "alerts", "two@example.com three@example.com"])
def test_a_bad_alert_email_fails_naming_the_key(bootstrap, value):  # noqa: F811
    with pytest.raises(ValueError, match=f"alertEmail: {value!r}"):
        bootstrap(alertEmail=value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ('["USD", 10]', 'no "currency": "USD"'),
        ('{"currency": "GBP", "total": 10}', 'no "currency": "USD"'),
        ('{"currency": "USD", "environments": {"dev": 10}}', 'no positive "total" \\(None\\)'),
        ('{"currency": "USD", "total": "10"}', "no positive \"total\" \\('10'\\)"),
        ('{"currency": "USD", "total": 0}', 'no positive "total" \\(0\\)'),
        ('{"currency": "USD", "total": true}', 'no positive "total" \\(True\\)'),
    ],
    ids=["missing", "not-json", "not-an-object", "pounds", "no-total", "text", "zero", "bool"],
)
def test_without_a_setting_a_bad_estimate_fails_saying_what_to_do(
    budget_module, tmp_path, content, problem
):
    estimate = tmp_path / "cost-estimate.json"
    if content is not None:
        estimate.write_text(content)
    with pytest.raises(budget_module.BudgetError, match=problem) as error:
        budget_module.monthly_amount(None, estimate)
    message = str(error.value)
    assert "budgetMonthlyUsd is not set" in message
    assert str(estimate) in message
    assert "make cost" in message


def test_a_configured_amount_needs_no_estimate(budget_module, tmp_path):
    assert budget_module.monthly_amount("75", tmp_path / "absent.json") == 75.0
