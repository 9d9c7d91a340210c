"""Outputs unchanged: the JSON and CSV of every shipped ruleset over the bundled samples hash to
the committed manifest (tools/golden.py). A deliberate change regenerates it in its commit."""

import json

import pytest

from tools import golden


@pytest.mark.slow
def test_outputs_match_the_golden_manifest():
    expected = json.loads(golden.MANIFEST.read_text())
    actual = golden.compute()
    assert golden.differences(expected, actual) == []


def test_the_check_sees_a_changed_output():
    assert golden.differences({"a.json": "1", "b.csv": "2"}, {"a.json": "1", "b.csv": "3"}) == [
        "b.csv"
    ]
