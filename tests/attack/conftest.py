"""The end-to-end fixtures (a built test world per worker, copies of it) for the attack tests."""

from tests.end_to_end.conftest import built, built_once  # noqa: F401 - fixtures
