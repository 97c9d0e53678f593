"""Counting words and recognising the template's paragraphs."""

from __future__ import annotations

from epa_toolkit import prose


def test_counting_rule():
    text = (
        "# Heading not counted\n<!-- nor this -->\nThe [pipeline](../ci.yml) runs - 3 tests | ok |\n|---|---|"
    )
    assert prose.count_words(text) == 6  # The pipeline runs 3 tests ok


def test_a_paragraph_matches_whatever_its_case_emphasis_or_wrapping():
    original = "Prod runs at least two tasks across three zones, so losing a zone leaves capacity."
    copied = "prod runs **at least two tasks** across\nthree zones -- so losing a zone leaves capacity"
    assert prose.fingerprint(original) == prose.fingerprint(copied) is not None
    assert prose.fingerprint(
        "Prod runs at least three tasks across three zones, so losing a zone leaves capacity."
    ) != prose.fingerprint(original)


def test_short_units_are_not_fingerprinted():
    assert prose.fingerprint("See the runbook for details.") is None


def test_table_rows_and_bullets_count_on_their_own_and_guidance_too():
    markdown = (
        "| Internet to edge | Tampering | Traffic read or changed in transit | 2 | 3 | 6 |\n"
        "| Edge to load balancer | Spoofing | Bypassing the edge entirely today | 1 | 2 | 2 |\n\n"
        "<!-- Which threats did you rank highest, and why would an attacker try them first? -->\n"
    )
    row = "Internet to edge | Tampering | Traffic read or changed in transit | 2 | 3 | 6"
    found = prose.fingerprints(markdown)
    assert prose.fingerprint(row) in found
    assert (
        prose.fingerprint("Which threats did you rank highest and why would an attacker try them first")
        in found
    )
    assert prose.fingerprint(
        "Which threats did you rank highest and why would an attacker try them first"
    ) not in (prose.fingerprints(markdown, with_comments=False))


def test_paragraph_lines_point_into_the_file():
    markdown = "<!-- two\nlines -->\n\nFirst paragraph here.\n\n- a bullet\n- another one\n"
    blocks = prose.blocks(markdown)
    assert blocks == [[(3, "First paragraph here.")], [(5, "- a bullet"), (6, "- another one")]]
    assert prose.units(blocks[1]) == [
        (5, "- a bullet - another one"),
        (5, "- a bullet"),
        (6, "- another one"),
    ]
