"""The BTYD inputs (customer_value/clv.py `summarize`): purchase periods, repeat purchases,
weeks."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from social_crm.customer_value import clv

END = datetime(2024, 3, 1, tzinfo=UTC)  # exclusive: the last day read is 29 February


def _orders(*rows):
    return pd.DataFrame(
        [(c, datetime.fromisoformat(t).replace(tzinfo=UTC), a) for c, t, a in rows],
        columns=["customer_id", "ordered_at", "amount"],
    )


def test_two_orders_on_one_day_are_one_purchase():
    summary = clv.summarize(
        _orders(("c", "2024-01-01T09:00", 10), ("c", "2024-01-01T17:00", 5)), END
    )
    assert summary.loc["c", "frequency"] == 0
    assert summary.loc["c", "orders"] == 2


def test_repeat_value_is_the_mean_of_the_repeat_purchase_days():
    summary = clv.summarize(
        _orders(
            ("c", "2024-01-01T09:00", 100),  # the first purchase: left out
            ("c", "2024-01-08T09:00", 10),
            ("c", "2024-01-08T18:00", 20),  # the same day: one purchase of 30
            ("c", "2024-01-15T09:00", 50),
        ),
        END,
    )
    assert summary.loc["c", "frequency"] == 2
    assert summary.loc["c", "monetary_value"] == pytest.approx(40.0)


def test_recency_and_age_are_weeks_from_the_first_purchase_to_the_last_day_read():
    summary = clv.summarize(
        _orders(("c", "2024-02-01T10:00", 1), ("c", "2024-02-15T23:00", 1)), END
    )
    assert summary.loc["c", "recency_weeks"] == pytest.approx(2.0)
    assert summary.loc["c", "age_weeks"] == pytest.approx(28 / 7)  # 1 Feb .. 29 Feb


def test_a_customer_whose_orders_are_all_free_is_kept_with_value_zero():
    summary = clv.summarize(_orders(("c", "2024-01-01", 0), ("c", "2024-01-05", 0)), END)
    assert summary.loc["c", "frequency"] == 1
    assert summary.loc["c", "monetary_value"] == 0


def test_orders_from_the_observation_end_on_are_not_read():
    summary = clv.summarize(_orders(("c", "2024-02-01", 5), ("c", "2024-03-01T00:00", 5)), END)
    assert summary.loc["c", "frequency"] == 0


def test_week_periods_count_a_week_once():
    orders = _orders(("c", "2024-01-01", 5), ("c", "2024-01-03", 5), ("c", "2024-01-09", 5))
    assert clv.summarize(orders, END, "week").loc["c", "frequency"] == 1


def test_an_unknown_purchase_period_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="day, week, month"):
        clv.summarize(_orders(("c", "2024-01-01", 5)), END, "fortnight")


def test_holdout_purchases_are_counted_in_purchase_periods():
    orders = _orders(
        ("c", "2024-03-02T08:00", 5), ("c", "2024-03-02T20:00", 5), ("d", "2024-02-01", 1)
    )
    counted = clv.purchases_between(orders, END, datetime(2024, 4, 1, tzinfo=UTC))
    assert counted.to_dict() == {"c": 1}
