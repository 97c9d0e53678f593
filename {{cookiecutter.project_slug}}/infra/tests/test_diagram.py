"""The architecture diagram is drawn from the model, repeatably, and checked for staleness."""

from __future__ import annotations

import diagram
from synth import synthesize
from tests.conftest import model_of


def test_prod_is_drawn_with_a_box_per_zone_and_its_nat_gateways():
    text = diagram.mermaid(diagram.read_architecture(model_of("prod")))
    assert text.count("subgraph az") == 3
    assert text.count("NAT gateway") == 3
    assert "RDS PostgreSQL primary" in text and "RDS PostgreSQL standby" in text
    assert "2 to 6 tasks, spread across 3 zones" in text
    # Not in the stack's model, but the tasks pull from it: the bootstrap's shared registry.
    assert "ECR image registry (shared, bootstrap)" in text


def test_same_model_same_text():
    first = diagram.diagram_block(model_of("prod"))
    second = diagram.diagram_block(model_of("prod"))
    assert first == second


def test_drawing_follows_the_code():
    assert len(diagram.read_architecture(model_of("prod")).zones) == 3
    # Prod may have more zones than its tier guarantees (3), never fewer.
    changed = diagram.read_architecture(synthesize("prod", overrides={"azCount": "4"}))
    assert [zone.name[-1] for zone in changed.zones] == ["a", "b", "c", "d"]


def test_domain_variant_draws_https_on_the_load_balancer():
    arch = diagram.read_architecture(model_of("prod", "desk.example-training.co.uk"))
    assert arch.https_listener and not arch.cloudfront
    assert "HTTPS 443, TLS 1.2+" in diagram.mermaid(arch)


def test_no_domain_variant_draws_cloudfront_to_an_internal_load_balancer():
    arch = diagram.read_architecture(model_of("prod", ""))
    assert arch.cloudfront and arch.internal_alb and not arch.https_listener
    text = diagram.mermaid(arch)
    assert "internal, private subnets, no public address" in text
    assert "cdn -->|VPC origin: HTTP, inside AWS| alb" in text


def test_committed_diagram_is_up_to_date(monkeypatch):
    # What `python -m diagram --check` does, on this session's model of the drawn stack.
    monkeypatch.setattr(diagram, "synthesize", model_of)
    assert diagram.main(["--check"]) == 0, "run `make diagram` and commit docs/architecture.md"


def test_sign_in_is_drawn_with_the_pools_mfa_setting():
    text = diagram.mermaid(diagram.read_architecture(model_of("prod")))
    assert "Cognito managed login<br/>user pool, MFA ON" in text
    assert "users -->|sign in, HTTPS| cognito" in text
    assert "app0 -.->|code for tokens, PKCE| cognito" in text
    dev = diagram.read_architecture(model_of("dev"))
    assert dev.mfa == "OPTIONAL"


def test_the_logs_key_is_drawn_where_the_logs_use_it():
    prod = diagram.mermaid(diagram.read_architecture(model_of("prod")))
    assert "KMS keys<br/>database, secrets, logs" in prod and "cw -.- kms" in prod
    dev = diagram.mermaid(diagram.read_architecture(model_of("dev")))
    assert 'KMS keys<br/>database, secrets")' in dev and "cw -.- kms" not in dev
