"""`epa cost`: the monthly cost of each environment, from its synthesized model.

    epa cost                      # a table per environment and the total
    epa cost --write              # also write docs/cost.md and infra/cost-estimate.json (make cost)
    epa cost --check              # exit 1 if either is out of date
    epa cost --refresh-prices     # rebuild prices.yaml from the AWS Price List API

Each stack is synthesized offline (infra/synth.py, the same model the tests and the docs
read) and priced in its own region (aws:region in infra/Pulumi.<env>.yaml) with prices.yaml:
on-demand list prices, 730 hours a month, usage-based items from stated assumptions.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from epa_toolkit.cost import estimate, prices
from project_facts import load as load_facts
from project_facts import project_root
from project_facts.generated import sync

SUMMARY = Path("infra") / "cost-estimate.json"  # read by the bootstrap's budget
PAGE = Path("docs") / "cost.md"


def page(estimates: list[estimate.Estimate], table: prices.PriceTable) -> str:
    """docs/cost.md: the cost matrix, each cell with what drives it, and how far to trust it."""
    return "\n".join(
        [
            "# What each environment costs a month",
            "",
            "<!-- Written by `make cost` from each stack's synthesized model and the EPA toolkit's price "
            "table: do not edit by hand. -->",
            "",
            f"AWS on-demand list prices in US dollars, as of {table.date} (the toolkit's price table), for "
            f"{table.hours} hours a month, in each stack's region; no free tier, savings plan or tax. "
            "Usage-based items (requests, log volume, data processed) come from the table's stated "
            "assumptions, not from real traffic; data transfer out of AWS other than CloudFront's is left "
            "out. The cost choices of each tier are in infra/environment_profile.py.",
            "",
            estimate.render_markdown(estimates),
        ]
    )


# Synthesized models, kept between runs: synthesizing every stack takes seconds, reading
# them back milliseconds. A model is reused only while everything it is made from is unchanged.
CACHE = Path("build") / "synth" / "cost"
MADE_FROM = ("pulumi", "pulumi-aws", "epa-toolkit")  # with every file of infra/ but its tests


def fingerprint(root: Path) -> str:
    """What the models are made from: the infra code and stack configs, project.yaml, and
    the versions of Pulumi, its AWS provider and the toolkit."""
    digest = hashlib.sha256()
    infra = root / "infra"
    files = [f for f in sorted(infra.rglob("*")) if f.is_file() and f.suffix in (".py", ".yaml")
             and "tests" not in f.relative_to(infra).parts and "__pycache__" not in f.parts]  # fmt: skip
    for path in [*files, root / "project.yaml"]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for package in MADE_FROM:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "none"  # then synthesizing will say what is missing
        digest.update(f"{package}={version}".encode())
    return digest.hexdigest()[:16]


def synthesized(root: Path) -> list[dict[str, Any]]:
    """Every stack's model, in promotion order (project.yaml): from the cache when nothing
    they are made from changed, else synthesized in this process (infra/synth.py)."""
    stacks = load_facts(root / "project.yaml").names
    key = fingerprint(root)
    cached = {stack: root / CACHE / f"{stack}-{key}.json" for stack in stacks}
    if all(path.is_file() for path in cached.values()):
        return [json.loads(path.read_text()) for path in cached.values()]
    infra = str(root / "infra")
    if infra not in sys.path:
        sys.path.insert(0, infra)
    synth = importlib.import_module("synth")
    # What the import loaded (Pulumi, the AWS provider's types) stays: keep it out of the
    # garbage collector's full scans, which each synthesis would otherwise repeat.
    gc.freeze()
    for old in (root / CACHE).glob("*.json"):
        old.unlink()
    models = []
    for stack, path in cached.items():
        models.append(synth.synthesize(stack))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(models[-1]))
    return models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="epa cost", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {SUMMARY}")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {SUMMARY} is out of date")
    parser.add_argument("--refresh-prices", action="store_true",
                        help="rebuild prices.yaml from the AWS Price List API (network, credentials)")  # fmt: skip
    parser.add_argument("--region", action="append",
                        help="with --refresh-prices: a region to price (repeat; default: the table's)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=prices.TABLE,
                        help="with --refresh-prices: where to write the table (default: the toolkit's)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.refresh_prices:
        from epa_toolkit.cost import refresh  # boto3 is needed only here

        return refresh.main(args.region, args.output)
    root = project_root()
    try:
        table = prices.load()
        estimates = [estimate.estimate(model, table) for model in synthesized(root)]
    except (estimate.CostError, prices.PriceError) as error:
        print(f"epa cost: {error}", file=sys.stderr)
        return 1
    written = {SUMMARY: estimate.summary_json(estimates, table), PAGE: page(estimates, table)}
    if args.check:
        return max(sync(root / path, text, check=True, stale=f"{path} is out of date: run `make cost`.")
                   for path, text in written.items())  # fmt: skip
    sys.stdout.write(estimate.render_text(estimates, table))
    if args.write:
        for path, text in written.items():
            sync(root / path, text, check=False, stale="")
            print(f"Wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
