"""docs/environments.md is generated from the profiles and kept up to date."""

from __future__ import annotations

import diagram
import environments
from environment_profile import profile_fields


def test_every_profile_field_is_explained():
    assert set(environments.FIELDS) == set(profile_fields())


def test_page_shows_the_tier_differences():
    page = environments.render()
    assert "| NAT gateways | 1 (in one zone) | 1 (in one zone) | 1 per zone |" in page
    assert "| Database Multi-AZ standby | no | yes | yes |" in page


def test_committed_page_is_up_to_date():
    assert environments.main(["--check"]) == 0, "run `make docs` and commit docs/environments.md"


def test_matrix_has_a_row_per_setting_and_a_column_per_tier():
    rows = environments.render_environment_matrix().splitlines()
    assert rows[0] == "| Setting | dev | staging | prod | Why it differs |"
    assert len(rows) == 2 + len(profile_fields())


def test_a_stacks_override_shows_in_its_column(monkeypatch):
    """The matrix shows each stack as it loads, not just its tier's defaults."""
    real = environments.stack_config

    def staging_with_three_tasks(stack: str) -> dict[str, str]:
        config = real(stack)
        if stack == "staging":
            config[f"{environments.project_name()}:minTasks"] = "3"
        return config

    monkeypatch.setattr(environments, "stack_config", staging_with_three_tasks)
    assert "| Minimum tasks | 1 | 3 | 2 |" in environments.render_environment_matrix()
    assert "| Minimum tasks | 1 | 3 | 2 |" in diagram.environment_differences()
