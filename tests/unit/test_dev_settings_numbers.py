"""The developer's numeric settings (DEMO_SCALE, BENCH_SCALE, the ports) take what a person
means: ASCII digits, a positive finite number; anything else is refused naming the setting."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from social_crm.settings import SettingError
from social_crm_dev import settings as dev_settings


@given(st.text(max_size=12))
def test_demo_scale_is_a_positive_finite_ascii_number_or_refused(raw: str) -> None:
    try:
        scale = dev_settings.load({"DEMO_SCALE": raw}).demo_scale
    except SettingError as refused:
        assert "DEMO_SCALE" in str(refused)
        return
    assert math.isfinite(scale) and scale > 0
    assert not raw.strip() or (raw.strip().isascii() and "_" not in raw)


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "0", "0.0", "1e3", "١.٥"])
def test_a_demo_scale_no_person_means_is_refused(raw: str) -> None:
    with pytest.raises(SettingError, match="DEMO_SCALE"):
        dev_settings.load({"DEMO_SCALE": raw})


@given(st.text(max_size=8))
def test_a_port_is_read_as_ascii_digits_only(raw: str) -> None:
    try:
        port = dev_settings.load({"SOCIAL_CRM_SIMULATOR_PORT": raw}).simulator_port
    except SettingError as refused:
        assert "SOCIAL_CRM_SIMULATOR_PORT" in str(refused)
        return
    assert 1 <= port <= 65535
    assert not raw.strip() or int(raw.strip()) == port and raw.strip().isascii()
