"""The project's monthly AWS budget: an e-mail before the bill surprises anyone.

It covers the whole account, not only what carries the `project` tag. This account is the
project's (the bootstrap's OIDC provider is one per account and issuer), and a tag filter
counts nothing until the tag is activated as a cost allocation tag in the Billing console,
and never costs without the tag: log groups AWS creates itself, data transfer, anything
made by hand or left behind by a teardown. A budget that silently sees $0 warns nobody.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pulumi
import pulumi_aws as aws

from environment_profile import EMAIL  # the stacks' rule for alertEmail

AMOUNT_SETTING = "budgetMonthlyUsd"
EMAIL_SETTING = "alertEmail"
# `make cost` writes the monthly estimate of every environment here.
ESTIMATE = Path(__file__).resolve().parents[1] / "cost-estimate.json"
# Room above the estimate: a month with load tests, drills or a forgotten environment
# should warn (80% of the budget is the estimate), not alarm every month.
MARGIN = 0.25
ALERTS = (  # (threshold % of the budget, what it is compared with)
    (80, "ACTUAL"),  # spent so far this month
    (100, "ACTUAL"),
    (100, "FORECASTED"),  # AWS's projection to the month's end: a warning days earlier
)


class BudgetError(ValueError):
    """The budget's amount or address cannot be worked out; the message says why."""


def monthly_amount(configured: str | None, estimate: Path | None = None) -> float:
    """The budget in USD: `budgetMonthlyUsd` if set, else the estimate's total (ESTIMATE)
    plus MARGIN, rounded up to a whole dollar."""
    if configured is not None:
        try:
            amount = float(configured)
        except ValueError:
            amount = math.nan
        if not math.isfinite(amount) or amount <= 0:
            raise BudgetError(
                f"{AMOUNT_SETTING}: {configured!r} is not allowed; give a positive number of "
                "US dollars a month, e.g. 600."
            )
        return amount
    return math.ceil(estimated_total(estimate or ESTIMATE) * (1 + MARGIN))


def estimated_total(estimate: Path) -> float:
    unset = f"{AMOUNT_SETTING} is not set, so the budget is the cost estimate plus {MARGIN:.0%}"
    try:
        data = json.loads(estimate.read_text())
    except FileNotFoundError:
        raise BudgetError(
            f"{unset}, but {estimate} does not exist: run `make cost`, or "
            f"`pulumi config set {AMOUNT_SETTING} <US dollars>`."
        ) from None
    except json.JSONDecodeError as error:
        raise BudgetError(
            f"{unset}, but {estimate} is not JSON ({error}): run `make cost`."
        ) from None
    if not isinstance(data, dict) or data.get("currency") != "USD":
        raise BudgetError(f'{unset}, but {estimate} has no "currency": "USD": run `make cost`.')
    total = data.get("total")
    if isinstance(total, bool) or not isinstance(total, int | float) or not total > 0:
        raise BudgetError(
            f'{unset}, but {estimate} has no positive "total" ({total!r}): run `make cost`.'
        )
    return float(total)


def alert_email(configured: str | None) -> str:
    if not configured or not EMAIL.match(configured):
        raise BudgetError(
            f"{EMAIL_SETTING}: {configured!r}; the budget e-mails its alerts there, give one address."
        )
    return configured


def monthly_budget(project: str, amount: float, email: str) -> aws.budgets.Budget:
    return aws.budgets.Budget(
        "monthly",
        name=f"{project}-monthly",
        budget_type="COST",
        time_unit="MONTHLY",
        limit_amount=f"{amount:.2f}",
        limit_unit="USD",
        # The estimate is of list prices before tax: VAT would set the alerts off early.
        cost_types={"include_tax": False},
        notifications=[
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": threshold,
                "threshold_type": "PERCENTAGE",
                "notification_type": kind,
                "subscriber_email_addresses": [email],
            }
            for threshold, kind in ALERTS
        ],
    )


def settings(config: pulumi.Config) -> tuple[float, str]:
    """The budget's amount and address from the stack config, checked."""
    return monthly_amount(config.get(AMOUNT_SETTING)), alert_email(config.get(EMAIL_SETTING))
