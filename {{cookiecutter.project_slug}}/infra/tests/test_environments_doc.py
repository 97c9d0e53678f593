"""docs/environments.md is generated from the profiles and kept up to date."""

from __future__ import annotations

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
