"""The price table (prices.yaml): loaded, checked and looked up by price key and region."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).with_name("prices.yaml")


class PriceError(ValueError):
    """The table is incomplete, or has no price for what is asked."""


@dataclass(frozen=True)
class PriceTable:
    data: dict[str, Any]

    @property
    def date(self) -> str:
        return str(self.data["date"])

    @property
    def hours(self) -> int:
        return int(self.data["hours_per_month"])

    @property
    def regions(self) -> list[str]:
        return list(self.data["regions"])

    @property
    def free(self) -> dict[str, str]:
        return dict(self.data["free"])

    def assumption(self, name: str) -> float:
        return float(self.data["assumptions"][name])

    def unit(self, key: str) -> str:
        return self.data["prices"][key]["unit"]

    def price(self, key: str, region: str, variant: str | None = None) -> float:
        """The price of `key` in `region` (and for `variant`, e.g. an instance class)."""
        entry = self.data["prices"].get(key)
        if entry is None:
            raise PriceError(f"prices.yaml has no price {key!r}")
        by_region = entry["regions"].get(region)
        if by_region is None:
            raise PriceError(
                f"prices.yaml has no {key} price for region {region!r} (it has "
                f"{', '.join(self.regions)}): run `epa cost --refresh-prices --region {region}`"
            )
        if variant is None:
            return float(by_region)
        if variant not in by_region:
            raise PriceError(
                f"prices.yaml has no {key} price for {variant!r} in {region} (it has "
                f"{', '.join(by_region)}): add it, or run `epa cost --refresh-prices`"
            )
        return float(by_region[variant])


def problems(data: dict[str, Any]) -> list[str]:
    """What makes a table unusable: missing date, source, region or variant."""
    found = [f"{field} is missing" for field in ("currency", "date", "source", "hours_per_month",
                                                 "regions", "assumptions", "prices", "free")
             if not data.get(field)]  # fmt: skip
    if found:
        return found
    regions = set(data["regions"])
    for key, entry in data["prices"].items():
        for field in ("unit", "source", "regions"):
            if not entry.get(field):
                found.append(f"prices.{key}: {field} is missing")
        priced = entry.get("regions") or {}
        if missing := regions - set(priced):
            found.append(f"prices.{key}: no price for {', '.join(sorted(missing))}")
        variants = [set(v) for v in priced.values() if isinstance(v, dict)]
        if variants and any(v != variants[0] for v in variants):
            found.append(f"prices.{key}: the regions price different variants")
        for region, value in priced.items():
            values = value.values() if isinstance(value, dict) else [value]
            if any(not isinstance(v, int | float) or v < 0 for v in values):
                found.append(f"prices.{key}.{region}: prices must be numbers, 0 or more")
    return found


def load(path: Path = TABLE) -> PriceTable:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if found := problems(data):
        raise PriceError(f"{path.name}: " + "; ".join(found))
    return PriceTable(data)
