"""Synthesize every stack once per test session; tests read the recorded models."""

from __future__ import annotations

import functools

import pytest

from synth import stack_names, synthesize

STACKS = stack_names()


@functools.cache
def model_of(stack: str, domain: str | None = None) -> dict:
    return synthesize(stack, overrides={"domainName": domain} if domain else None)


class Model:
    """Small helpers to query a synthesized model."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.stack = data["stack"]
        self.resources = data["resources"]

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
