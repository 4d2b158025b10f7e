"""SOCIAL_CRM_MARTS_EVERY_HOURS accepts 1, 2, 3, 4, 6, 8, 12 or 24; anything else, however long
or odd, is refused with an error naming the setting (docs/configuration.md). Hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from social_crm import settings
from social_crm.orchestration.assets import marts_due_cron

ALLOWED = {"1", "2", "3", "4", "6", "8", "12", "24"}


def _refused_naming_the_setting(value: str) -> None:
    env = {"SOCIAL_CRM_MARTS_EVERY_HOURS": value}
    try:
        hours = settings.load(env).marts_every_hours
    except settings.SettingError as exc:
        assert "SOCIAL_CRM_MARTS_EVERY_HOURS" in str(exc)
        return
    except Exception as exc:
        raise AssertionError(
            f"{value[:20]!r}... ({len(value)} chars) raised {type(exc).__name__}: {exc}"
            " - not a SettingError naming SOCIAL_CRM_MARTS_EVERY_HOURS"
        ) from exc
    if not value.strip():  # unset: the default
        assert hours == 1
        return
    assert str(hours) in ALLOWED and value.strip().lstrip("0") == str(hours), (value, hours)


def test_a_very_long_digit_string_is_refused_naming_the_setting():
    # a pasted or generated value: 5,000 digits (Python refuses int() of more than 4,300)
    _refused_naming_the_setting("0" * 5000 + "6")


@hsettings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.text(max_size=12),
        st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９²\u200b\u200f +-.e_", max_size=8),
        st.integers(min_value=-100, max_value=10**6).map(str),
    )
)
def test_every_value_is_one_of_the_eight_or_refused_naming_the_setting(value):
    _refused_naming_the_setting(value)
    try:
        cron = marts_due_cron({"SOCIAL_CRM_MARTS_EVERY_HOURS": value})
    except settings.SettingError:
        return
    minute, hour, *_ = cron.split()
    assert minute == "35"


def test_a_refused_long_value_is_quoted_short():
    """The error quotes 40 characters of a pasted value, not all of it."""
    try:
        settings.load({"SOCIAL_CRM_MARTS_EVERY_HOURS": "7" * 5000})
    except settings.SettingError as exc:
        assert len(str(exc)) < 300
        assert "5000 characters" in str(exc)
    else:
        raise AssertionError("a 5,000-digit value was accepted")
