"""What every check module shares: how a check is registered, and small helpers.

A check is a pure function over the inventory (inventory.py) and the tier's thresholds
(model.Thresholds), yielding one Result per resource it looked at, and its metadata
(model.CheckMeta) written as a literal just above it:

    @check(CheckMeta(id="rds_multi_az", title=..., severity=..., ...))
    def rds_multi_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
        for db in inventory["rds"]["instances"]:
            yield Result(Status.PASS if db["multi_az"] else Status.FAIL, db["id"], ...)

A check that yields nothing is reported SKIPPED ("no resources of this kind in scope").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from epa_toolkit.inspection.inventory import Inventory
from epa_toolkit.inspection.model import CheckMeta, Result, Status, Thresholds

CheckFunction = Callable[[Inventory, Thresholds], Iterable[Result]]

RELIABILITY_PILLAR = "https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/"


class Check(NamedTuple):
    meta: CheckMeta
    function: CheckFunction


def registry(pillar: str) -> tuple[list[Check], Callable[[CheckMeta], Callable]]:
    """A pillar module's list of checks, and the `check` decorator that adds to it: a
    check's pillar is the module it is written in."""
    checks: list[Check] = []

    def check(meta: CheckMeta) -> Callable[[CheckFunction], CheckFunction]:
        def register(function: CheckFunction) -> CheckFunction:
            checks.append(Check(dataclasses.replace(meta, pillar=pillar), function))
            return function

        return register

    return checks, check


def distinct_zones(items: Iterable[dict], key: str = "az") -> list[str]:
    """The distinct zones of some resources, sorted; resources with no zone are left out."""
    return sorted({item[key] for item in items if item.get(key)})


def database_flag(
    inventory: Inventory,
    thresholds: Thresholds,
    field: str,
    *,
    required: bool = True,
    label: str = "",
) -> Iterator[Result]:
    """PASS for each database whose `field` is true; SKIPPED where the tier does not require it."""
    for db in inventory["rds"]["instances"]:
        if not required:
            yield Result(Status.SKIPPED, db["id"], f"not required in {thresholds.tier}")
            continue
        value = db[field]
        yield Result(Status.PASS if value else Status.FAIL, db["id"], f"{label}: {value}", {field: value})
