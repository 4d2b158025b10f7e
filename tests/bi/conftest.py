"""The BI tests read the world the end-to-end tests build (tests/end_to_end/conftest.py): the
test world extracted, its CRM export landed and its nightly build published."""

from tests.end_to_end.conftest import built, built_once, extracted_once  # noqa: F401
