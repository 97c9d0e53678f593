"""The load test's scenario: what a signed-in {{ "colleague does with the service desk" if cookiecutter.starter == "reference" else "user does with the service" }}, many at once.

Run it with `make load-test` (the app of `make run`) or `make load-test ENV=staging`: the
Makefile starts Locust headless with a bounded number of users and duration, then checks
the results against loadtest/targets.yaml and writes reports/load/.

Two kinds of user; the run starts one of them by its class name:
{%- if cookiecutter.starter == "reference" %}

- SignedInUser: lists tickets (and sometimes follows the next page), raises, reads and
  closes tickets through the JSON API, and calls the public probes now and then. It needs
{%- else %}

- SignedInUser: creates examples through the JSON API and calls the public probes now and
  then (the example route is AN EXAMPLE TO REPLACE: give SignedInUser a task for each thing
  your users do, weighted by how often they do it). It needs
{%- endif %}
  an access token in LOAD_TEST_TOKEN: locally `make load-test` gets one from
  `make dev-token`; for a deployed environment see README.md, "Load test".
- PublicProbes: only /healthz, /readyz and /version, which need no sign-in. Used when no
{%- if cookiecutter.starter == "reference" %}
  token is given; the report then says the ticket API was not tested.

Every request is named as the report groups it ("/api/tickets/[id]", not one line per id).
{%- else %}
  token is given; the report then says the signed-in API was not tested.

Name every request as the report should group it: "/api/rooms/[id]", not one line per id.
{%- endif %}
"""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

TOKEN_VARIABLE = "LOAD_TEST_TOKEN"  # noqa: S105 - the name of a variable, not a secret
{%- if cookiecutter.starter == "reference" %}
PRIORITIES = ("low", "normal", "high")
PAGE_SIZE = 20  # tickets per page of the list (the API allows 1..100, default 50)
FOLLOW_NEXT = 0.3  # how often a user reads on to the next page of the list
KEEP_IDS = 50  # ticket ids each user remembers, to read and close later
{%- endif %}


def probe(user: HttpUser) -> None:
    """One of the public probes, as the load balancer and the pipeline call them."""
    path = random.choice(("/healthz", "/readyz", "/version"))  # noqa: S311 - not security
    user.client.get(path, name=path)


def sign_in(user: HttpUser) -> None:
    """Send the access token in LOAD_TEST_TOKEN with every request of this user."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise RuntimeError(f"{TOKEN_VARIABLE} is not set: SignedInUser needs an access token")
    user.client.headers["Authorization"] = f"Bearer {token}"


class PublicProbes(HttpUser):
    """The public endpoints only: no sign-in needed."""

    wait_time = between(0.5, 2)

    @task
    def probes(self) -> None:
        probe(self)
{%- if cookiecutter.starter == "reference" %}


class SignedInUser(HttpUser):
    """A colleague using the ticket API with a bearer access token."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        sign_in(self)
        self.ids: list[int] = []  # tickets this user has seen, newest last

    def remember(self, ticket_id: object) -> None:
        if isinstance(ticket_id, int):
            self.ids.append(ticket_id)
            del self.ids[:-KEEP_IDS]

    @task(6)
    def list_tickets(self) -> None:
        path: str | None = f"/api/tickets?limit={PAGE_SIZE}"
        name = "/api/tickets"
        while path:
            with self.client.get(path, name=name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")
                    return
                try:
                    page = response.json()
                    items, path = page["items"], page["next"]
                except (ValueError, TypeError, KeyError):
                    response.failure('not a page: {"items": [...], "next": ...}')
                    return
                for ticket in items[:3]:
                    self.remember(ticket.get("id"))
            if random.random() >= FOLLOW_NEXT:  # noqa: S311 - not security
                return
            name = "/api/tickets [next page]"

    @task(3)
    def raise_ticket(self) -> None:
        ticket = {
            "title": f"Load test ticket {random.randint(1, 999_999)}",  # noqa: S311
            "description": "Raised by the load test (loadtest/locustfile.py).",
            "priority": random.choice(PRIORITIES),  # noqa: S311
        }
        with self.client.post(
            "/api/tickets", json=ticket, name="/api/tickets", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}, expected 201")
                return
            self.remember(response.json().get("id"))

    @task(4)
    def get_ticket(self) -> None:
        if not self.ids:
            self.raise_ticket()
            return
        ticket_id = random.choice(self.ids)  # noqa: S311 - not security
        self.client.get(f"/api/tickets/{ticket_id}", name="/api/tickets/[id]")

    @task(1)
    def close_ticket(self) -> None:
        if not self.ids:
            return
        ticket_id = self.ids.pop(0)  # the oldest: closing twice is harmless anyway
        self.client.post(f"/api/tickets/{ticket_id}/close", name="/api/tickets/[id]/close")

    @task(2)
    def probes(self) -> None:
        probe(self)
{%- else %}


class SignedInUser(HttpUser):
    """Someone using the API with a bearer access token."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        sign_in(self)

    @task(3)
    def create_example(self) -> None:
        example = {"name": f"Load test example {random.randint(1, 999_999)}"}  # noqa: S311
        with self.client.post(
            "/api/examples", json=example, name="/api/examples", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}, expected 201")

    @task(1)
    def probes(self) -> None:
        probe(self)
{%- endif %}
