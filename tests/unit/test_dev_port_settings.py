"""`make airflow` / `social-crm airflow` listen on AIRFLOW__API__PORT, a bad value refused
naming it. Python's int() reads other scripts' digits and underscores: a port written
'٨٠٨٠' (Arabic-Indic digits, pasted from a localised page) or '8_080' is not a TCP port a
person or another tool reads as 8080, yet it is taken as 8080 silently. The command is run for
real (`social-crm --help` reads the setting as the parser is built, so nothing starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

CLI = Path(sys.executable).with_name("social-crm")

# a decimal digit of any script but ASCII, then the rest of 8080
_ODD_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())


def _run(port: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRFLOW__API__PORT": port}
    return subprocess.run(
        [str(CLI), "--help"], env=env, capture_output=True, text=True, timeout=120
    )


@settings(max_examples=3, deadline=None)
@given(digit=_ODD_DIGITS)
def test_a_port_with_non_ascii_digits_is_refused_naming_it(digit):
    port = f"{digit}080"  # e.g. "٨080", which int() reads as 8080 (and "٠080" as 80)
    done = _run(port)
    assert done.returncode != 0 and "AIRFLOW__API__PORT" in done.stderr, (port, done.stderr)


@pytest.mark.parametrize("port", ["8_080", "80_80"])
def test_a_port_not_written_in_digits_is_refused_naming_it(port):
    done = _run(port)
    assert done.returncode != 0 and "AIRFLOW__API__PORT" in done.stderr, (port, done.stderr)
