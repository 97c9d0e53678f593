"""Synthesize every stack once per test session; tests read the recorded models."""

from __future__ import annotations

import functools

import pytest
from project_facts import load as load_facts

from synth import stack_names, synthesize

STACKS = stack_names()


@functools.cache
def model_of(stack: str, domain: str | None = None) -> dict:
    """The stack as configured (domain None), or with domainName set ("" = no domain), so
    both ways in are tested whichever the project was generated with."""
    return synthesize(stack, overrides=None if domain is None else {"domainName": domain})


class Model:
    """Small helpers to query a synthesized model."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.stack = data["stack"]
        self.resources = data["resources"]
        facts = load_facts()
        self.tier = facts.tier_of(self.stack)  # project.yaml
        self.guarantees = facts.guarantees(self.tier)  # the least the stack must give

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str) -> dict:
        [resource] = self.of_type(type_)
        return resource

    def named(self, name: str) -> dict:
        [resource] = [r for r in self.resources if r["name"] == name]
        return resource


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
