"""Extraction against today's real-API profile: retired metrics, the X recent-search window,
the monthly read budget, throttling by code, deletions only when the source confirms them,
requests only to the connection's host."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from social_crm.extract import graph_metrics
from social_crm.extract.graph_policy import GraphPolicy
from social_crm.extract.http import ApiClient, RetryPolicy, UnsafeRequest
from social_crm_dev.simulator.faults import FaultConfig
from social_crm_dev.simulator.responses import to_datetime
from social_crm_dev.simulator.x_api import XProfile
from tests.end_to_end.conftest import BRAND_X_IDS, PAGE_IDS, Pipeline, truth_of

pytestmark = pytest.mark.integration


def _latest(pipeline: Pipeline, table: str, key: str) -> tuple:
    return pipeline.rows(
        f"select is_deleted, payload from (select distinct on (natural_key) * from raw.{table}"  # noqa: S608
        " where natural_key = %s order by natural_key, ingest_seq desc) v",
        key,
    )[0]


# --- Graph ------------------------------------------------------------------------------------


def test_a_metric_retired_at_the_source_is_dropped_recorded_and_the_rest_land(sim, db, caplog):
    sim.graph.retired_metrics.add("page_views_total")
    pipeline = Pipeline(sim, db)
    caplog.set_level(logging.WARNING, logger="social_crm.extract.facebook")
    pipeline.facebook.insights()
    landed = {
        r[0]
        for r in pipeline.rows("select distinct payload->>'metric' from raw.facebook_page_insights")
    }
    rejected = pipeline.rows("select metric, error from meta.rejected_metrics")
    active = {m.name for m in graph_metrics.METRICS if m.retired_on is None}
    assert landed == active - {"page_views_total"}
    assert rejected == [("page_views_total", "(#100) The value must be a valid insights metric")]
    assert sum("rejects metric page_views_total" in r.getMessage() for r in caplog.records) == 1


def test_a_backfill_asks_for_the_metrics_of_the_apis_today_not_of_its_interval(sim, db):
    """A run for an interval before Meta retired page_fans still sends its request today: it
    asks for today's metrics, so none is refused and recorded as rejected."""
    pipeline = Pipeline(sim, db)
    pipeline.facebook.interval = (datetime(2025, 9, 1), datetime(2025, 9, 2))
    result = pipeline.facebook.insights()
    assert result.status == "committed"
    assert pipeline.rows("select metric from meta.rejected_metrics") == []


def test_graph_throttling_on_403_with_code_17_waits_and_recovers(sim, db):
    pipeline = Pipeline(sim, db)
    sim.configure_faults(FaultConfig(rate_limit_every=2))  # codes 4, 17, 32, 613 in turn
    results = [pipeline.facebook.page_snapshots(), pipeline.facebook.insights()]
    results += pipeline.facebook.posts_with_activity("posts")
    assert sim.faults.injected["rate_limit"] >= 2  # the second one: HTTP 403 with code 17
    assert ("rate limit", 0.05) in pipeline.fb_client.waits
    assert all(r.status == "committed" for r in results)


def test_usage_headers_near_the_limit_slow_the_client_down(sim, db):
    pipeline = Pipeline(sim, db)
    sim.configure_faults(FaultConfig(graph_usage_percent=95))
    pipeline.facebook.page_snapshots()
    assert pipeline.fb_client.usage["x-app-usage:call_count"] == 95
    # one pause after each answer (the Page tokens, then a page snapshot per brand page), none
    # without the headers
    assert [reason for reason, _ in pipeline.fb_client.waits] == ["usage near limit"] * 4


def test_people_who_engage_are_read_as_id_and_name_only(sim, db):
    pipeline = Pipeline(sim, db)
    pipeline.facebook.posts_with_activity("feed")
    keys = pipeline.rows(
        "select distinct jsonb_object_keys(payload) from raw.facebook_users order by 1"
    )
    assert [k[0] for k in keys] == ["id", "name"]


# --- deletions that never lose data ----------------------------------------------------------


def test_transient_empty_answers_and_cut_walks_delete_nothing(sim, db):
    # every run walks every window in full: each answer is a chance to delete wrongly
    pipeline = Pipeline(sim, db, recheck_hours=0)
    pipeline.run()
    sim.configure_faults(FaultConfig(empty_rate=0.3, cut_walk_rate=0.5, seed=5))
    pipeline.run()
    pipeline.run()
    assert sim.faults.injected["empty_answer"] > 5 and sim.faults.injected["cut_walk"] >= 1
    for table in ("facebook_posts", "facebook_comments", "facebook_reactions", "x_tweets"):
        assert pipeline.scalar(f"select count(*) from raw.{table} where is_deleted") == 0, table  # noqa: S608


def test_a_record_deleted_and_restored_at_the_source_is_alive_after_the_next_run(sim, db):
    # every post re-walked every run: a deletion the counts do not show lands at a re-walk
    pipeline = Pipeline(sim, db, recheck_hours=0)
    pipeline.run()
    comment = sorted(
        pipeline.alive("facebook_comments", f"payload->'from'->>'id' not in {PAGE_IDS}")
    )[0]
    tweet = pipeline.rows("select natural_key from raw.x_tweets order by natural_key desc limit 1")[
        0
    ][0]
    sim.hide([comment, tweet])
    pipeline.run()
    deleted = (
        _latest(pipeline, "facebook_comments", comment)[0],
        _latest(pipeline, "x_tweets", tweet)[0],
    )
    sim.hide([comment, tweet], hidden=False)
    pipeline.run()
    restored = (
        _latest(pipeline, "facebook_comments", comment),
        _latest(pipeline, "x_tweets", tweet),
    )
    assert deleted == (True, True)
    assert [is_deleted for is_deleted, _ in restored] == [False, False]
    assert restored[0][1]["id"] == comment and restored[1][1]["id"] == tweet


def test_after_a_run_with_schema_drift_the_next_good_run_restores_every_field(sim, db):
    tables = ("x_tweets", "facebook_posts", "facebook_visitor_posts", "facebook_comments")
    # every post re-walked every run: drift in unchanged comments is repaired at a re-walk
    pipeline = Pipeline(sim, db, recheck_hours=0)

    def latest() -> dict[str, set]:
        return {
            t: set(
                pipeline.rows(
                    f"select natural_key, payload::text from (select distinct on (natural_key) *"  # noqa: S608
                    f" from raw.{t} order by natural_key, ingest_seq desc) v"
                )
            )
            for t in tables
        }

    pipeline.run()
    good = latest()
    sim.configure_faults(FaultConfig(schema_drift=True))
    pipeline.run()
    drifted = latest()
    sim.configure_faults(FaultConfig())
    pipeline.run()
    assert all(drifted[t] != good[t] for t in tables)  # the drift landed as new versions
    assert latest() == good


# --- X within the tier ---------------------------------------------------------------------


def test_recent_search_never_asks_beyond_seven_days_and_reads_them_all(sim, db, tmp_path):
    pipeline = Pipeline(
        sim, db, x_settings={"tier": "basic", "full_archive": False, "lookback_days": 30}
    )
    sim.x_profile = XProfile(tier="basic", window_seconds=0)
    pipeline.x.tweets()
    sim.world.advance(10)  # a gap longer than the window: the next run must still be accepted
    pipeline.x.tweets()
    truth = truth_of(sim, tmp_path / "truth")
    # the window the API serves, less the extractor's margin against clock skew
    since = to_datetime(sim.world.clock) - timedelta(days=7) + timedelta(minutes=5)
    expected = {
        m["message_id"]
        for m in truth.rows("messages.csv")
        if m["platform"] == "x"
        and m["kind"] == "mention"
        and datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")) >= since
    }
    mentions = pipeline.alive(
        "x_tweets",
        f"payload->>'author_id' not in {BRAND_X_IDS} and event_at >= '{since.isoformat()}'",
    )
    assert expected and mentions == expected


def test_a_spent_read_budget_ends_the_run_cleanly_and_next_month_resumes(sim, db):
    pipeline = Pipeline(sim, db, x_settings={"monthly_read_cap": 60})
    first = pipeline.x.tweets()
    january = pipeline.rows(
        "select month, reads_used, exhausted_at is not null from meta.api_read_budget"
    )
    watermark = pipeline.rows("select since_id from meta.watermarks where entity = 'tweets'")
    sim.world.advance(11)  # 2026-01-21 -> 2026-02-01: a new month, a new budget
    pipeline.x.tweets()
    months = pipeline.rows(
        "select to_char(month, 'YYYY-MM'), reads_used from meta.api_read_budget order by 1"
    )
    assert first[0].status == "committed" and 0 < first[0].landed <= 100
    assert [(str(m), used >= 60, spent) for m, used, spent in january] == [
        ("2026-01-01", True, True)
    ]
    assert watermark == []  # kept: the walk did not finish
    assert [m for m, _ in months] == ["2026-01", "2026-02"] and months[1][1] > 0


def test_the_apis_own_monthly_cap_ends_the_run_cleanly(sim, db):
    sim.x_profile = XProfile(tier="pro", window_seconds=0, monthly_posts=30)
    pipeline = Pipeline(sim, db)
    tweets, _users = pipeline.x.tweets()
    assert tweets.status == "committed" and tweets.landed > 0
    assert (
        pipeline.scalar("select count(*) from meta.api_read_budget where exhausted_at is not null")
        == 1
    )


def test_follower_lists_outside_the_tier_end_with_one_error_naming_tier_and_connection(sim, db):
    from social_crm.extract.http import ApiAccessError

    sim.x_profile = XProfile(tier="basic", window_seconds=0)
    pipeline = Pipeline(sim, db, x_settings={"tier": "basic", "follower_walks": "brands"})
    with pytest.raises(ApiAccessError, match="x_api.*access tier"):
        pipeline.x.followers()
    assert pipeline.x_client.calls == 1


def test_follower_walks_are_off_unless_the_connection_enables_them(sim, db):
    pipeline = Pipeline(sim, db, x_settings={"follower_walks": "off"})
    assert pipeline.x.followers() == []
    assert pipeline.x_client.calls == 0


def test_x_request_limits_of_the_tier_are_waited_out(sim, db):
    sim.x_profile = XProfile(tier="pro", window_seconds=1)  # 15 follower lists per window
    pipeline = Pipeline(sim, db, x_settings={"follower_walks": "authors"})
    pipeline.x_client.retry = RetryPolicy(max_attempts=12, backoff_base=0.01, rate_limit_cap=3.0)
    pipeline.x.tweets()
    pipeline.x.followers()
    assert any(reason == "rate limit" for reason, _ in pipeline.x_client.waits)
    assert pipeline.scalar("select count(*) from raw.x_followers") > 0


# --- the token goes to the connection's host only --------------------------------------------


@pytest.fixture
def other_host():
    """A server that must never be called: counts the requests it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("authorization", ""))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()


def test_a_next_url_on_another_host_is_refused_before_it_is_sent(other_host):
    elsewhere, seen = other_host

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"data": [{"id": "1"}], "paging": {"next": "%s/v24.0/1/posts?after=x"}}' % (
                elsewhere.encode()
            )
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    api = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    client = ApiClient(
        "facebook_graph",
        f"http://127.0.0.1:{api.server_address[1]}",
        "tok",
        policy=GraphPolicy(),
        api_version="v24.0",
    )
    pages = client.graph_pages("1/posts")
    assert next(pages).items == [{"id": "1"}]
    with pytest.raises(UnsafeRequest, match="refused a request to http://127.0.0.1"):
        next(pages)
    api.shutdown()
    assert seen == []


def test_an_id_that_is_a_url_is_quarantined_and_never_requested(sim, other_host):
    from social_crm.extract import facebook_streams
    from social_crm.extract.records import InvalidRecord

    url, seen = other_host
    with pytest.raises(InvalidRecord, match="is not a Graph id"):
        facebook_streams.post_record(
            {"id": f"{url}/x", "created_time": "2026-01-02T00:00:00+0000"}, "1"
        )
    client = ApiClient(
        "facebook_graph", sim.url, "sim-facebook-token", policy=GraphPolicy(), api_version="v24.0"
    )
    with pytest.raises(UnsafeRequest, match="must be a plain id"):
        client.get_json(f"{url.replace('http://', '//')}/comments")
    with pytest.raises(UnsafeRequest):
        client.get_json("../../evil/comments")
    assert seen == []


# --- failing once, and telling the user what the token can read -----------------------------


@pytest.fixture
def api_env(sim, db, monkeypatch):
    """The simulator as the deployment's connections (environment variables)."""
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", sim.url)
    monkeypatch.setenv("FACEBOOK_GRAPH_TOKEN", sim.fb_token)
    monkeypatch.setenv("X_API_URL", sim.url)
    monkeypatch.setenv("X_API_TOKEN", sim.x_token)
    monkeypatch.setenv("WAREHOUSE_URL", db.libpq())
    return monkeypatch


def test_an_expired_token_fails_the_task_once_without_retries(sim, api_env):
    from airflow.sdk.exceptions import AirflowFailException

    from social_crm.orchestration import extraction

    api_env.setenv("X_API_TOKEN", "expired-token")
    with pytest.raises(AirflowFailException, match="x_api: the API refused the credentials"):
        extraction.run_x("tweets")
    assert sim.faults.calls == 0  # refused at the door: no retried calls reach the API


def test_check_connections_reports_what_each_token_can_read(sim, api_env, capsys):
    from social_crm import cli

    sim.graph.retired_metrics.add("page_views_total")
    code = cli.main(["check-connections"])
    lines = capsys.readouterr().out.splitlines()
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert code == 1
    assert len(failed) == 1  # the retired metric, on our Page (a rival's insights: not read)
    assert all("page_views_total" in line and "valid insights metric" in line for line in failed)
    assert any("tweets/search/recent (access pay_per_use)" in line for line in lines)
    assert any(line.startswith("[ok]") and "tweets/counts/recent" in line for line in lines)
    assert any("monthly reads" in line and "of 3,000,000 Posts read" in line for line in lines)


def test_the_extract_command_lands_every_group_with_a_line_per_batch(sim, api_env, capsys, db):
    from social_crm import cli
    from social_crm.orchestration import extraction

    code = cli.main(["extract", "x"])
    out = capsys.readouterr().out
    assert code == 0, out
    started = [line.split()[2] for line in out.splitlines() if line.startswith("extract x ")]
    assert started == list(extraction.X_GROUPS)
    with psycopg.connect(db.libpq()) as conn:
        assert conn.execute("select count(*) from raw.x_tweets").fetchone()[0] > 0


def test_the_extract_command_fails_in_one_line_without_the_token(sim, api_env, capsys):
    from social_crm import cli

    api_env.setenv("X_API_TOKEN", "expired-token")
    code = cli.main(["extract", "x"])
    err = capsys.readouterr().err
    assert code == 1
    assert "x_api: the API refused the credentials" in err
    assert "expired-token" not in err
