"""Attack tests reuse the end-to-end build fixtures (a built test world per worker)."""

from tests.end_to_end.conftest import built, built_once  # noqa: F401
