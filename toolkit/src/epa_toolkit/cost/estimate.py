"""Price a synthesized model (infra/synth.py: every resource's type and inputs) per month.

Pure functions over plain data: the model in, line items out. Each priced resource type has
a pricer below; the types that cost nothing are listed, with the reason, in prices.yaml
(`free`). A type in neither is an error, never a silent zero: it may cost money.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from epa_toolkit.cost.prices import PriceError, PriceTable

Resource = dict[str, Any]


@dataclass(frozen=True)
class Line:
    item: str  # what is paid for, e.g. "NAT gateways"
    detail: str  # what drives it, e.g. "3 gateways"
    quantity: float  # in the price's unit, per month
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Estimate:
    environment: str
    region: str
    lines: list[Line]

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)


class CostError(ValueError):
    """The model has something the table cannot price."""


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}es" if word.endswith("s") else f"{count} {word}s"


class _Pricing:
    """Builds lines for one model in one region."""

    def __init__(self, table: PriceTable, region: str) -> None:
        self.table, self.region, self.hours = table, region, table.hours

    def line(self, item: str, detail: str, quantity: float, key: str, variant: str | None = None):
        unit = f"{variant} {self.table.unit(key)}" if variant else self.table.unit(key)
        return Line(item, detail, quantity, unit, self.table.price(key, self.region, variant))


def _nat_gateways(p: _Pricing, found: list[Resource]) -> list[Line]:
    count = len(found)
    data = p.table.assumption("nat_gb_per_month")
    return [
        p.line("NAT gateways", _plural(count, "gateway"), count * p.hours, "nat_gateway_hour"),
        p.line("NAT data processed (assumed)", f"{data:g} GB", data, "nat_gateway_gb"),
    ]


def _public_ips(p: _Pricing, found: list[Resource]) -> list[Line]:
    count = len(found)
    return [p.line("Public IPv4 addresses", _plural(count, "address"), count * p.hours, "public_ipv4_hour")]


def _endpoints(p: _Pricing, found: list[Resource]) -> list[Line]:
    # Gateway endpoints (S3) cost nothing; interface endpoints are paid per zone they are in.
    interface = [r for r in found if r["inputs"].get("vpcEndpointType") == "Interface"]
    if not interface:
        return []
    zones = sum(len(r["inputs"].get("subnetIds") or []) for r in interface)
    detail = f"{_plural(len(interface), 'endpoint')}, {zones} endpoint-zones"
    return [p.line("VPC interface endpoints", detail, zones * p.hours, "vpc_interface_endpoint_hour")]


def _load_balancers(p: _Pricing, found: list[Resource]) -> list[Line]:
    lines: list[Line] = []
    for lb in found:
        kind = lb["inputs"].get("loadBalancerType", "application")
        if kind != "application":
            raise CostError(f"{lb['name']}: a {kind} load balancer is not in prices.yaml")
        lcu = p.table.assumption("alb_lcu_per_hour")
        lines += [
            p.line("Load balancer", lb["name"], p.hours, "alb_hour"),
            p.line("Load balancer capacity (assumed)", f"{lcu:g} LCU", lcu * p.hours, "alb_lcu_hour"),
        ]
        if not lb["inputs"].get("internal"):  # an internet-facing one has an address per zone
            zones = len(lb["inputs"].get("subnets") or [])
            detail = f"{_plural(zones, 'address')} of {lb['name']}"
            lines.append(p.line("Public IPv4 addresses", detail, zones * p.hours, "public_ipv4_hour"))
    return lines


def _services(p: _Pricing, found: list[Resource], model: dict[str, Any]) -> list[Line]:
    tasks = {r["name"]: r for r in model["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"}
    vcpu_hours = gb_hours = 0.0
    running = []
    for service in found:
        task = _task_of(service, tasks)
        platform = task["inputs"].get("runtimePlatform") or {}
        if platform.get("cpuArchitecture", "X86_64") != "X86_64":
            raise CostError(f"{task['name']}: only Linux x86 Fargate tasks are in prices.yaml")
        count = int(service["inputs"].get("desiredCount", 1))
        vcpu, memory = int(task["inputs"]["cpu"]) / 1024, int(task["inputs"]["memory"]) / 1024
        vcpu_hours += count * vcpu * p.hours
        gb_hours += count * memory * p.hours
        running.append(f"{_plural(count, 'task')} of {vcpu:g} vCPU, {memory:g} GB")
    detail = "; ".join(running)
    return [
        p.line("Fargate vCPU", detail, vcpu_hours, "fargate_vcpu_hour"),
        p.line("Fargate memory", detail, gb_hours, "fargate_gb_hour"),
    ]


def _task_of(service: Resource, tasks: dict[str, Resource]) -> Resource:
    """The task definition a service runs: named at the end of its ARN (or the only one)."""
    arn = str(service["inputs"].get("taskDefinition", ""))
    for name, task in tasks.items():
        if arn.endswith(f"/{name}") or arn.endswith(f"/{name}-id"):
            return task
    if len(tasks) == 1:
        return next(iter(tasks.values()))
    raise CostError(f"{service['name']}: cannot tell which task definition it runs ({arn!r})")


def _databases(p: _Pricing, found: list[Resource]) -> list[Line]:
    lines: list[Line] = []
    for db in found:
        inputs = db["inputs"]
        if inputs.get("engine") != "postgres" or inputs.get("storageType", "gp3") != "gp3":
            raise CostError(f"{db['name']}: only PostgreSQL on gp3 storage is in prices.yaml")
        # Multi-AZ bills the standby as a second instance with its own copy of the storage.
        copies = 2 if inputs.get("multiAz") else 1
        cls, gb = inputs["instanceClass"], int(inputs["allocatedStorage"])
        shape = f"{cls}, {'Multi-AZ' if copies == 2 else 'Single-AZ'}"
        lines += [
            p.line("Database instance", shape, copies * p.hours, "rds_instance_hour", cls),
            p.line("Database storage (gp3)", f"{gb} GB x {copies}", copies * gb, "rds_gp3_gb_month"),
        ]
        if inputs.get("manageMasterUserPassword"):  # RDS keeps it in a secret of its own
            lines.append(
                p.line("Secrets Manager secrets", "1 for the database's master password", 1, "secret_month")
            )
    return lines


def _per_resource(item: str, key: str, word: str) -> Callable[[_Pricing, list[Resource]], list[Line]]:
    def price(p: _Pricing, found: list[Resource]) -> list[Line]:
        return [p.line(item, _plural(len(found), word), len(found), key)]

    return price


def _web_acls(p: _Pricing, found: list[Resource]) -> list[Line]:
    rules = sum(len(acl["inputs"].get("rules") or []) for acl in found)
    requests = p.table.assumption("waf_million_requests") * len(found)
    return [
        p.line("WAF web ACLs", _plural(len(found), "web ACL"), len(found), "waf_web_acl_month"),
        p.line("WAF rules", _plural(rules, "rule"), rules, "waf_rule_month"),
        p.line("WAF requests (assumed)", f"{requests:g} million", requests, "waf_million_requests"),
    ]


def _log_groups(p: _Pricing, found: list[Resource]) -> list[Line]:
    gb = p.table.assumption("log_gb_per_group") * len(found)
    detail = f"{_plural(len(found), 'log group')} x {p.table.assumption('log_gb_per_group'):g} GB"
    return [p.line("Log ingestion (assumed)", detail, gb, "log_ingestion_gb")]


def _distributions(p: _Pricing, found: list[Resource]) -> list[Line]:
    gb = p.table.assumption("cloudfront_gb_out") * len(found)
    requests = p.table.assumption("cloudfront_million_requests") * len(found)
    return [
        p.line("CloudFront data out (assumed)", f"{gb:g} GB", gb, "cloudfront_gb_out"),
        p.line(
            "CloudFront requests (assumed)", f"{requests:g} million", requests, "cloudfront_million_requests"
        ),
    ]


# Each priced type and its pricer, in the order the table shows them.
PRICERS: dict[str, Callable[..., list[Line]]] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateways,
    "aws:ec2/eip:Eip": _public_ips,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoints,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancers,
    "aws:ecs/service:Service": _services,
    "aws:rds/instance:Instance": _databases,
    "aws:wafv2/webAcl:WebAcl": _web_acls,
    "aws:cloudfront/distribution:Distribution": _distributions,
    "aws:kms/key:Key": _per_resource("KMS keys", "kms_key_month", "key"),
    "aws:secretsmanager/secret:Secret": _per_resource("Secrets Manager secrets", "secret_month", "secret"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _per_resource("CloudWatch alarms", "alarm_month", "alarm"),
    "aws:cloudwatch/dashboard:Dashboard": _per_resource(
        "CloudWatch dashboards", "dashboard_month", "dashboard"
    ),
    "aws:cloudwatch/logGroup:LogGroup": _log_groups,
}
NEEDS_MODEL = {"aws:ecs/service:Service"}  # pricers that look at other resources too


def unpriced(model: dict[str, Any], table: PriceTable) -> list[str]:
    """The model's resource types that are neither priced nor known to be free."""
    types = {r["type"] for r in model["resources"] if r["custom"]}
    return sorted(types - set(PRICERS) - set(table.free))


def estimate(model: dict[str, Any], table: PriceTable) -> Estimate:
    """The monthly cost of one synthesized stack, in its own region."""
    if unknown := unpriced(model, table):
        raise CostError(
            f"{model['stack']}: no price for {', '.join(unknown)}. Add a pricer "
            "(epa_toolkit/cost/estimate.py) or, if it costs nothing, list it under `free` in "
            "prices.yaml with the reason."
        )
    pricing = _Pricing(table, model["region"])
    lines: list[Line] = []
    for type_, pricer in PRICERS.items():
        found = [r for r in model["resources"] if r["type"] == type_]
        if found:
            try:
                lines += pricer(pricing, found, model) if type_ in NEEDS_MODEL else pricer(pricing, found)
            except PriceError as error:
                raise CostError(f"{model['stack']}: {error}") from None
    return Estimate(model["stack"], model["region"], _merged(lines))


def _merged(lines: list[Line]) -> list[Line]:
    """One line per item and unit (the database's secret joins the app's secrets)."""
    merged: dict[tuple[str, str], Line] = {}
    for line in lines:
        key = (line.item, line.unit)
        if key in merged:
            old = merged[key]
            detail = f"{old.detail}; {line.detail}"
            line = Line(line.item, detail, old.quantity + line.quantity, line.unit, line.unit_price)
        merged[key] = line
    return list(merged.values())


def summary(estimates: list[Estimate], table: PriceTable) -> dict[str, Any]:
    """infra/cost-estimate.json: the bootstrap's budget reads this shape; keep it."""
    return {
        "currency": table.data["currency"],
        "prices_date": table.date,
        "environments": {e.environment: round(e.total, 2) for e in estimates},
        "total": round(sum(e.total for e in estimates), 2),
    }


def summary_json(estimates: list[Estimate], table: PriceTable) -> str:
    return json.dumps(summary(estimates, table), indent=2) + "\n"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def render_text(estimates: list[Estimate], table: PriceTable) -> str:
    """The console report: a table per environment, then the total of all of them."""
    out: list[str] = []
    for e in estimates:
        rows = [(ln.item, f"{ln.quantity:,.6g} {ln.unit}", f"${ln.unit_price:g}", _money(ln.monthly))
                for ln in e.lines]  # fmt: skip
        header = ("Item", "Quantity a month", "Unit price", "Monthly")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

        def fmt(row: tuple[str, ...], widths: list[int] = widths) -> str:
            return "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                              row[2].rjust(widths[2]), row[3].rjust(widths[3])]).rstrip()  # fmt: skip

        out += [f"{e.environment} ({e.region})", fmt(header), *map(fmt, rows),
                fmt(("Total", "", "", _money(e.total))), ""]  # fmt: skip
    grand = sum(e.total for e in estimates)
    out.append(f"All environments: {_money(grand)} a month ({table.data['currency']}, on-demand list "
               f"prices of {table.date}, {table.hours} h a month; assumed usage as marked)")  # fmt: skip
    return "\n".join(out) + "\n"


def render_markdown(estimates: list[Estimate]) -> str:
    """The docs' cost table: a row per item, a column per environment, what drives each cell."""
    items: list[str] = []  # each estimate's order kept: an item absent from dev sits where prod has it
    for e in estimates:
        at = 0
        for ln in e.lines:
            if ln.item not in items:
                items.insert(at, ln.item)
            at = items.index(ln.item) + 1
    lines = ["| Monthly cost | " + " | ".join(e.environment for e in estimates) + " |",
             "|---|" + "---|" * len(estimates)]  # fmt: skip
    for item in items:
        cells = []
        for e in estimates:
            found = [ln for ln in e.lines if ln.item == item]
            cells.append(" + ".join(f"{_money(ln.monthly)} ({ln.detail})" for ln in found) or "-")
        lines.append(f"| {item} | " + " | ".join(cells) + " |")
    lines.append("| **Total** | " + " | ".join(f"**{_money(e.total)}**" for e in estimates) + " |")
    return "\n".join(lines) + "\n"
