"""`epa cost --refresh-prices`: rebuild prices.yaml from the AWS Price List API.

Needs network and AWS credentials allowed `pricing:GetProducts`. The API answers only in
us-east-1 (and two other regions); it prices every region. Each `api` entry of the table
names the service, the usage type without its region prefix (EUW2-NatGateway-Hours is
NatGateway-Hours; InstanceUsage matches InstanceUsage:db.t4g.micro) and any other filters; entries without one (CloudFront,
priced by where viewers are) keep their figures.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from epa_toolkit.cost import prices

API_REGION = "us-east-1"  # where the Price List API answers
REGION_PREFIX = re.compile(r"^[A-Z]{2,4}[0-9]?-")  # EUW2-, USE1-, ...; us-east-1 often has none


class RefreshError(RuntimeError):
    """The API has no single on-demand price for a query."""


def _filters(service_filters: dict[str, str], region: str) -> list[dict[str, str]]:
    filters = {"regionCode": region, **service_filters}
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in filters.items()]


def on_demand_price(item: dict[str, Any]) -> float:
    """The first (lowest-usage) tier of a product's on-demand price, in USD."""
    for offer in item["terms"]["OnDemand"].values():
        tiers = sorted(offer["priceDimensions"].values(), key=lambda d: float(d.get("beginRange", 0)))
        for dimension in tiers:
            return float(dimension["pricePerUnit"]["USD"])
    raise RefreshError(f"{item['product']['attributes'].get('usagetype')}: no on-demand price")


def lookup(client, api: dict[str, Any], region: str, extra: dict[str, str] | None = None) -> float:
    """The price of one `api` entry in one region: the product whose usage type ends so."""
    wanted = api["usagetype"]
    found: set[float] = set()
    pages = client.get_paginator("get_products").paginate(
        ServiceCode=api["service"], Filters=_filters({**api.get("filters", {}), **(extra or {})}, region)
    )
    for page in pages:
        for text in page["PriceList"]:  # each product is a JSON document in a string
            item = json.loads(text)
            usage = REGION_PREFIX.sub("", item["product"]["attributes"].get("usagetype", ""))
            if usage == wanted or usage.startswith(f"{wanted}:"):  # InstanceUsage:db.t4g.micro
                price = on_demand_price(item)
                if price > 0:  # free tiers are listed as prices of 0
                    found.add(price * api.get("per", 1))
    if len(found) != 1:
        what = f"{api['service']} {wanted} {extra or ''} in {region}"
        raise RefreshError(f"{what}: expected one price, the API gave {sorted(found) or 'none'}")
    return found.pop()


def refreshed(client, data: dict[str, Any], regions: list[str], today: datetime.date) -> dict[str, Any]:
    """`data` (a loaded prices.yaml) with every `api` price looked up for `regions`."""
    new = json.loads(json.dumps(data))  # a deep copy
    new["regions"], new["date"] = list(regions), today.isoformat()
    new["source"] = "AWS Price List API (pricing:GetProducts), on-demand"
    for key, entry in new["prices"].items():
        api = entry.get("api")
        if api is None:  # not looked up: the same figure everywhere (see the module's doc)
            known = next(iter(entry["regions"].values()))
            entry["regions"] = {region: entry["regions"].get(region, known) for region in regions}
            print(f"kept {key}: not in the Price List API queries", file=sys.stderr)
            continue
        if by := api.get("by"):  # one price per variant, e.g. per instance class
            variants = next(iter(data["prices"][key]["regions"].values()))
            entry["regions"] = {
                region: {v: lookup(client, api, region, {by: v}) for v in variants} for region in regions
            }
        else:
            entry["regions"] = {region: lookup(client, api, region) for region in regions}
    return new


def main(regions: list[str] | None, output: Path) -> int:
    import boto3  # only here: the estimate itself needs no AWS access

    data = yaml.safe_load(prices.TABLE.read_text(encoding="utf-8"))
    client = boto3.client("pricing", region_name=API_REGION)
    try:
        new = refreshed(client, data, regions or data["regions"], datetime.date.today())
    except RefreshError as error:
        print(f"epa cost --refresh-prices: {error}", file=sys.stderr)
        return 1
    if found := prices.problems(new):
        print("epa cost --refresh-prices: " + "; ".join(found), file=sys.stderr)
        return 1
    header = (f"# Rebuilt by `epa cost --refresh-prices` on {new['date']} from the AWS Price List API.\n"
              "# On-demand list prices; see the toolkit's README for what the estimate includes.\n")  # fmt: skip
    output.write_text(header + yaml.safe_dump(new, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"Wrote {output}", file=sys.stderr)
    return 0
