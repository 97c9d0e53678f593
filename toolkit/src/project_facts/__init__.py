"""The project's facts (project.yaml at the repository's root), read and checked in one place.

    from project_facts import load
    facts = load()
    facts.names                      # ("dev", "staging", "prod"): promotion order
    facts.tier_of("prod")            # "prod"
    facts.guarantees("prod").min_zones
    facts.deploy_branches()["staging"]
    facts.business_metric.name       # "TicketsRaised": what the app counts and prod alarms on

From a shell (ci/lib.sh): `uv run python -m project_facts environments`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FILE = "project.yaml"


def project_root(start: Path | None = None) -> Path:
    """The project's folder: EPA_PROJECT if set, else the nearest folder holding
    project.yaml from `start` (the working directory) up; the working directory when
    there is none (a command that needs the project's files then says which is missing)."""
    if os.environ.get("EPA_PROJECT"):
        return Path(os.environ["EPA_PROJECT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FILE).is_file():
            return folder
    return here


NAME = re.compile(r"^[a-z][a-z0-9-]{1,14}$")  # a stack, a GitHub environment, a role name part
# A CloudWatch metric name in PascalCase: alarm names are made from it (TicketsRaised ->
# no-tickets-raised), so letters and digits only.
METRIC_NAME = re.compile(r"^(?:[A-Z][a-z0-9]+)+$")
METRIC_NAME_MAX = 40
# What one count is, in words ("tickets raised"): alarm descriptions and the dashboard say it.
METRIC_WORDS = re.compile(r"^[a-z][a-z0-9 ]{2,59}$")


class FactsError(ValueError):
    """project.yaml is missing a fact or states one wrongly: the message names the key."""


@dataclass(frozen=True)
class Guarantees:
    """What one tier guarantees (project.yaml, `tiers`)."""

    min_zones: int
    min_tasks: int
    db_multi_az: bool
    min_backup_days: int
    db_deletion_protection: bool
    db_monitoring: bool
    nat_gateway_per_zone: bool
    waf: bool
    alb_deletion_protection: bool
    mfa_required: bool
    min_log_retention_days: int
    logs_kms_encrypted: bool  # log groups encrypted with a customer-managed KMS key


@dataclass(frozen=True)
class Branching:
    long_lived: tuple[str, ...]
    default: str
    build: tuple[str, ...]
    deploy: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class BusinessMetric:
    """What the service's owners count to know it is in use (project.yaml, `business_metric`):
    the app sends it, the infrastructure graphs it and, in prod, alarms when it stops."""

    name: str  # the CloudWatch metric, e.g. TicketsRaised
    counts: str  # the same in words, e.g. "tickets raised"


@dataclass(frozen=True)
class Facts:
    environments: dict[str, str]  # name -> tier, in promotion order
    branching_strategy: str
    branching: dict[str, Branching]
    tiers: dict[str, Guarantees]
    closed_to_internet: dict[int, str]  # port -> service
    # None only in a file without one (the toolkit's template-facts.yaml, an older project):
    # the infrastructure, which needs it, says so (require_business_metric).
    business_metric: BusinessMetric | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.environments)

    def tier_of(self, environment: str) -> str:
        if environment not in self.environments:
            raise FactsError(f"environment {environment!r} is not one of {', '.join(self.names)}")
        return self.environments[environment]

    def guarantees(self, tier: str) -> Guarantees:
        return self.tiers[tier]

    def strategy(self, name: str | None = None) -> Branching:
        return self.branching[name or self.branching_strategy]

    def deploy_branches(self, strategy: str | None = None) -> dict[str, tuple[str, ...]]:
        return self.strategy(strategy).deploy

    def require_business_metric(self) -> BusinessMetric:
        if self.business_metric is None:
            raise FactsError(
                "business_metric: missing; give its name (e.g. ExampleItemsCreated) and what it "
                "counts (e.g. example items created)"
            )
        return self.business_metric


def load(path: Path | None = None) -> Facts:
    """project.yaml, checked. PROJECT_FACTS names another file (tests)."""
    path = path or Path(os.environ.get("PROJECT_FACTS") or project_root() / FILE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FactsError(f"{path}: cannot read the project's facts ({error})") from error
    return parse(data if isinstance(data, dict) else {})


def parse(data: dict[str, Any]) -> Facts:
    tiers = {tier: _guarantees(f"tiers.{tier}", values) for tier, values in _mapping(data, "tiers").items()}
    environments: dict[str, str] = {}
    for name, values in _mapping(data, "environments").items():
        if not NAME.match(str(name)):
            raise FactsError(
                f"environments.{name}: use 2 to 15 lowercase letters, digits or '-', starting with a letter"
            )
        tier = (values or {}).get("tier") if isinstance(values, dict) else None
        if tier not in tiers:
            raise FactsError(f"environments.{name}.tier: {tier!r}; use one of {', '.join(tiers)}")
        environments[name] = tier
    branching = {
        strategy: _branching(f"branching.{strategy}", values, environments)
        for strategy, values in _mapping(data, "branching").items()
    }
    strategy = data.get("branching_strategy")
    if strategy not in branching:
        raise FactsError(f"branching_strategy: {strategy!r}; use one of {', '.join(branching)}")
    ports = _mapping(data, "closed_to_internet")
    if not all(isinstance(port, int) and 0 < port < 65536 for port in ports):
        raise FactsError("closed_to_internet: keys must be port numbers (1 to 65535)")
    closed = {int(p): str(s) for p, s in ports.items()}
    metric = _business_metric(data["business_metric"]) if "business_metric" in data else None
    return Facts(environments, strategy, branching, tiers, closed, metric)


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise FactsError(f"{key}: missing, or not a mapping")
    return value


def _guarantees(where: str, values: object) -> Guarantees:
    if not isinstance(values, dict):
        raise FactsError(f"{where}: not a mapping")
    fields = {field.name: field.type for field in dataclasses.fields(Guarantees)}
    if missing := sorted(set(fields) - set(values)):
        raise FactsError(f"{where}: missing {', '.join(missing)}")
    if unknown := sorted(set(values) - set(fields)):
        raise FactsError(f"{where}: unknown {', '.join(unknown)}; use {', '.join(fields)}")
    for name, kind in fields.items():
        value = values[name]
        if kind == "bool" and not isinstance(value, bool):
            raise FactsError(f"{where}.{name}: {value!r}; use true or false")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise FactsError(f"{where}.{name}: {value!r}; use a whole number, 0 or more")
    return Guarantees(**values)


def _business_metric(values: object) -> BusinessMetric:
    where = "business_metric"
    if not isinstance(values, dict) or sorted(values) != ["counts", "name"]:
        raise FactsError(f"{where}: give exactly name and counts")
    name, counts = values["name"], values["counts"]
    if not isinstance(name, str) or not METRIC_NAME.match(name) or len(name) > METRIC_NAME_MAX:
        raise FactsError(
            f"{where}.name: {name!r}; use capitalised words run together, letters and digits "
            f"only, at most {METRIC_NAME_MAX} characters (e.g. TicketsRaised)"
        )
    if not isinstance(counts, str) or not METRIC_WORDS.match(counts):
        raise FactsError(
            f"{where}.counts: {counts!r}; say what one count is in 3 to 60 lowercase letters, "
            "digits and spaces (e.g. tickets raised)"
        )
    return BusinessMetric(name, counts)


def _branching(where: str, values: object, environments: dict[str, str]) -> Branching:
    if not isinstance(values, dict):
        raise FactsError(f"{where}: not a mapping")

    def branches(key: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(b, str) for b in value):
            raise FactsError(f"{where}.{key}: a list of branch names")
        return tuple(value)

    deploy = values.get("deploy") if isinstance(values.get("deploy"), dict) else {}
    if sorted(deploy) != sorted(environments):
        raise FactsError(f"{where}.deploy: give the branches of each of {', '.join(environments)}")
    long_lived = branches("long_lived", values.get("long_lived"))
    if values.get("default") not in long_lived:
        raise FactsError(f"{where}.default: one of the long_lived branches {long_lived}")
    return Branching(
        long_lived=long_lived,
        default=values["default"],
        build=branches("build", values.get("build")),
        deploy={name: branches(f"deploy.{name}", deploy[name]) for name in environments},
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m project_facts environments`: one per line, in promotion order (ci/lib.sh).
    `python -m project_facts pipelines [--check]`: write (check) the pipeline files' parts
    that follow this file (make docs, make docs-check)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["environments"]:
            print("\n".join(load().names))
            return 0
        if args in (["pipelines"], ["pipelines", "--check"]):
            from project_facts import pipelines

            return pipelines.update(check="--check" in args)
    except FactsError as error:
        print(f"project.yaml: {error}", file=sys.stderr)
        return 1
    print("usage: python -m project_facts environments | pipelines [--check]", file=sys.stderr)
    return 2
