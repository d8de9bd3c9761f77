"""The operations guide documents every setting the code accepts."""

from __future__ import annotations

import re
from pathlib import Path

from echosphere import config

DOC = Path(__file__).parents[2] / "docs" / "operations.md"


def test_every_setting_is_documented() -> None:
    """Each ECHO_* variable load_settings accepts appears in docs/operations.md, and no other."""
    accepted = {*config._FIELDS, *config._LIMIT_FIELDS, "ECHO_JWT_KEYS_FILE"}
    documented = set(re.findall(r"`(ECHO_[A-Z_]+)`", DOC.read_text()))
    assert accepted - documented == set(), "settings missing from the guide"
    assert documented - accepted == set(), "the guide names settings the code does not read"
