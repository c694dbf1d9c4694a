"""shared.text: form input tidied and checked the same way everywhere."""

import pytest

from shared.services.errors import RuleBroken
from shared.text import checked, clean, one_line


def test_clean_strips_and_gives_none_for_nothing():
    assert clean("  Hall \n") == "Hall" and clean("   ") is None and clean(None) is None and clean("") is None


def test_checked_asks_for_what_is_required_and_keeps_to_the_limit():
    assert checked(" yes ", "f", required="Say something", limit=3) == "yes"
    assert checked("  ", "f") is None
    with pytest.raises(RuleBroken, match="Say something") as missing:
        checked("  ", "where", required="Say something")
    assert missing.value.field == "where"
    with pytest.raises(RuleBroken, match="Keep this to 3 characters or fewer"):
        checked("four", "f", limit=3)


def test_one_line_folds_every_run_of_white_space():
    assert one_line("  Ava \n\t Example ") == "Ava Example" and one_line(None) == ""
