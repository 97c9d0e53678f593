"""Generated input for every API operation, valid and invalid: no answer may be a 500.

Schemathesis reads the app's OpenAPI description and generates requests from it: ones that
follow every rule, and ones that break them (wrong types, missing fields, odd Unicode, huge
numbers). It finds the cases nobody thought to write down; test_bad_input.py keeps the ones
we know about. On PostgreSQL (CI) the generated text reaches the real database.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from {{ cookiecutter.project_slug }} import auth

EXAMPLES = 25  # per operation and mode: finds the known cases in a few seconds


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_is_a_server_error(client, mode):
    token = {"Authorization": f"Bearer {auth.issue_dev_token(client.app.state.settings)}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app, headers=token)
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @examples(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_without_a_server_error(case):
            case.call_and_validate(headers=token, checks=[not_a_server_error])

        try:
            answers_without_a_server_error()
        except Unsatisfiable:
            # Nothing in this operation can be broken (no body, no constrained parameter).
            assert mode == GenerationMode.NEGATIVE, operation.label
