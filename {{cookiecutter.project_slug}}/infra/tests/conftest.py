"""Synthesize every stack once per test session; tests read the recorded models."""

from __future__ import annotations

import functools
import gc

import pytest
from project_facts import load as load_facts

from environment_profile import load_profile
from synth import project_name, stack_config, stack_names, synthesize

STACKS = stack_names()


def model_of(stack: str, domain: str | None = None) -> dict:
    """The stack as configured (domain None), or with domainName set ("" = no domain), so
    both ways in are tested whichever the project was generated with. Each model is
    synthesized once per test session (the first synthesis in a process is the slow one)."""
    if domain is not None and _profile(stack, domain) == _profile(stack, None):
        # The program reads its config only through the profile (synth.py): the same
        # profile is the same program run, so the variant is the stack as configured.
        domain = None
    return _synthesized(stack, domain)


@functools.cache
def _synthesized(stack: str, domain: str | None) -> dict:
    return synthesize(stack, overrides=None if domain is None else {"domainName": domain})


@functools.cache
def _profile(stack: str, domain: str | None):
    prefix = f"{project_name()}:"
    config = {
        k.removeprefix(prefix): v for k, v in stack_config(stack).items() if k.startswith(prefix)
    }
    overrides = {} if domain is None else {"domainName": domain}
    return load_profile(config | overrides, facts().tier_of(stack))


facts = functools.cache(load_facts)  # project.yaml, read once per session


class Model:
    """Small helpers to query a synthesized model."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.stack = data["stack"]
        self.resources = data["resources"]
        self.tier = facts().tier_of(self.stack)  # project.yaml
        self.guarantees = facts().guarantees(self.tier)  # the least the stack must give

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str) -> dict:
        [resource] = self.of_type(type_)
        return resource

    def named(self, name: str) -> dict:
        [resource] = [r for r in self.resources if r["name"] == name]
        return resource


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (Pulumi, the AWS provider's types) stays until the end: keep
    # it out of the garbage collector's full scans, which each synthesis sets off.
    gc.freeze()


@pytest.fixture(params=STACKS)
def model(request) -> Model:
    return Model(model_of(request.param))


@pytest.fixture
def prod() -> Model:
    return Model(model_of("prod"))


@pytest.fixture
def dev() -> Model:
    return Model(model_of("dev"))


@pytest.fixture
def prod_with_domain() -> Model:
    return Model(model_of("prod", "desk.example-training.co.uk"))


@pytest.fixture
def prod_without_domain() -> Model:
    return Model(model_of("prod", ""))
