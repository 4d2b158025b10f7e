"""The dbt tests and casts on the CRM staging models name the values of quality/rules.py (dbt
cannot import them): a value the load lets in passes them."""

import re
from pathlib import Path

import pytest
import yaml

from social_crm import catalog
from social_crm.extract.crm import ACCOUNT_IDS
from social_crm.quality import rules

STAGING = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "crm"


def _accepted_values(model: str, column: str) -> tuple[str, ...]:
    models = yaml.safe_load((STAGING / "_crm__models.yml").read_text())["models"]
    (found,) = [m for m in models if m["name"] == model]
    (col,) = [c for c in found["columns"] if c["name"] == column]
    (values,) = [t["accepted_values"] for t in col["data_tests"] if "accepted_values" in t]
    return tuple(values["arguments"]["values"])


@pytest.mark.parametrize(
    "model, column, values",
    [
        ("stg_crm__customer_social_accounts", "platform", catalog.PLATFORMS),
        ("stg_crm__identity_decisions", "decision", rules.DECISIONS),
        ("stg_crm__sentiment_overrides", "sentiment", rules.SENTIMENTS),
    ],
)
def test_a_staging_tests_accepted_values_are_the_loads(model, column, values):
    assert _accepted_values(model, column) == values


def test_the_load_reads_an_account_of_every_platform_and_no_other():
    assert tuple(ACCOUNT_IDS) == catalog.PLATFORMS


@pytest.mark.parametrize("model, column", [("orders", "amount"), ("products", "list_price")])
def test_the_staging_cast_of_an_amount_takes_every_amount_the_load_lets_in(model, column):
    sql = (STAGING / f"stg_crm__{model}.sql").read_text()
    cast = re.search(rf"'{column}'\)::numeric\((\d+), (\d+)\)", sql)
    assert cast is not None
    precision, scale = int(cast[1]), int(cast[2])
    assert scale == rules.AMOUNT_PLACES
    assert rules.MAX_AMOUNT <= 10 ** (precision - scale)


def test_an_override_sets_one_of_the_scorers_sentiments():
    from social_crm.sentiment import model

    assert rules.SENTIMENTS == model.CLASSES
