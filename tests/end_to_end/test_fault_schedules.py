"""Generated fault schedules reach the simulator's truth (a few of them; `make soak` runs 200),
and the check they end with finds what it looks for."""

import pytest

from tests.end_to_end.fault_schedules import Schedule, generate, run_schedule

pytestmark = pytest.mark.integration

# schedules that together inject every fault kind and kill runs both ways (`--show` prints
# them), in about 10 s each on a small world; 82 wrongly deleted 14 follows when an empty
# second walk of an account's followers confirmed their deletion
SEEDS = (38, 75, 82)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_generated_fault_schedule_ends_with_raw_equal_to_the_truth(seed, warehouse_url):
    outcome = run_schedule(generate(seed), warehouse_url)
    assert not outcome.failed, outcome.line()
    assert sum(outcome.faults.values()) > 0


NO_FAULTS = Schedule(0, {"seed": 5, "scale": 0.01, "days": 3}, [])
# what a broken landing would leave behind, and what the check must count for it
TAMPERS = {
    "lost": "delete from raw.x_tweets where natural_key = (select min(natural_key)"
    " from raw.x_tweets)",
    "wrongly_deleted": "insert into raw.x_followers (natural_key, scope_key, payload,"
    " payload_hash, is_deleted, extracted_at, batch_id) select natural_key, scope_key,"
    " payload, 'deleted', true, now(), batch_id from raw.x_followers"
    " where natural_key = (select min(natural_key) from raw.x_followers)",
    "duplicated": "insert into raw.x_tweets (natural_key, scope_key, event_at, payload,"
    " payload_hash, extracted_at, batch_id) select natural_key, scope_key, event_at, payload,"
    " payload_hash, now(), batch_id from raw.x_tweets"
    " where natural_key = (select min(natural_key) from raw.x_tweets)",
    "phantom": "insert into raw.facebook_reactions (natural_key, scope_key, payload,"
    " payload_hash, extracted_at, batch_id) select natural_key || '9', scope_key, payload,"
    " 'phantom', now(), batch_id from raw.facebook_reactions"
    " where natural_key = (select min(natural_key) from raw.facebook_reactions)",
}


@pytest.mark.parametrize("problem", sorted(TAMPERS))
def test_the_check_counts_a_damaged_record(problem, warehouse_url):
    outcome = run_schedule(
        NO_FAULTS, warehouse_url, lambda conn: conn.execute(TAMPERS[problem]), clean_steps=()
    )
    assert outcome.counts[problem] == 1, outcome.line()
