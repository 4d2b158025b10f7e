"""How a model's task reports the data tests the group's `dbt build` ran on it."""

import logging

import pytest

from social_crm.transform.cosmos_groups import results_of_tests
from social_crm.transform.cosmos_watchers import report_tests

log = logging.getLogger("test")
MODEL = "model.social_crm.people"


def test_a_failed_data_test_fails_the_task_without_a_retry():
    from airflow.sdk.exceptions import AirflowFailException

    results = [
        {"test": "unique_people_person_id", "status": "pass", "message": None},
        {"test": "not_null_people_person_id", "status": "fail", "message": "Got 3 results"},
    ]
    with pytest.raises(AirflowFailException, match="1 of 2 data tests .* not_null_people"):
        report_tests(MODEL, results, log)


def test_passed_and_warned_tests_let_the_task_succeed(caplog):
    results = [
        {"test": "unique_people_person_id", "status": "pass", "message": None},
        {"test": "accepted_range_people_value", "status": "warn", "message": "Got 1 result"},
    ]
    with caplog.at_level(logging.INFO, logger="test"):
        report_tests(MODEL, results, log)
    assert "test accepted_range_people_value: warn Got 1 result" in caplog.text


class _Node:
    def __init__(self, uid, resource_type, status, message=None):
        self.node = type("N", (), {"unique_id": uid, "resource_type": resource_type})()
        self.node.name = uid.split(".")[2]
        self.status = status
        self.message = message


def test_each_models_results_are_its_own_tests_from_the_build():
    build = type("R", (), {})()
    build.result = type("E", (), {})()
    build.result.results = [
        _Node(MODEL, "model", "success"),
        _Node("test.social_crm.unique_people_id.1", "test", "pass"),
        _Node("test.social_crm.not_null_orders_id.2", "test", "fail", "Got 3 results"),
    ]
    per_model = {
        MODEL: ["test.social_crm.unique_people_id.1"],
        "model.social_crm.orders": ["test.social_crm.not_null_orders_id.2"],
        "model.social_crm.segments": ["test.social_crm.skipped.3"],
    }
    assert results_of_tests(per_model, build) == {
        MODEL: [{"test": "unique_people_id", "status": "pass", "message": None}],
        "model.social_crm.orders": [
            {"test": "not_null_orders_id", "status": "fail", "message": "Got 3 results"}
        ],
        "model.social_crm.segments": [],
    }
