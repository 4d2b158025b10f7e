"""The stream engine: what it sends for a declared stream, what it lands and quarantines, and
how it fans out from parents to children. The walks against the simulator and a real
warehouse are tests/end_to_end's; these pin the engine's own rules."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from social_crm import catalog
from social_crm.extract import facebook_streams, instagram_streams, x_streams
from social_crm.extract.facebook import FacebookExtractor, FacebookSettings
from social_crm.extract.http import Page
from social_crm.extract.records import InvalidRecord, require_id
from social_crm.extract.streams import (
    GRAPH_CURSOR,
    NEXT_TOKEN,
    SINGLE,
    Engine,
    Include,
    Stream,
    listing_fields,
)
from social_crm.load.landing import RawRecord
from social_crm.paths import repo_root

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DECLARED = [
    *facebook_streams.STREAMS.values(),
    *instagram_streams.STREAMS.values(),
    *x_streams.STREAMS.values(),
    x_streams.TWEETS_ARCHIVE,
    x_streams.TWEET_LOOKUP,
]


class Client:
    """What the engine asks of an API client: page walks of each kind, recorded; every
    answer is `pages` items long, one item a page."""

    api_version = "v0"

    def __init__(self, pages: int = 3) -> None:
        self.pages = pages
        self.asked: list[tuple[str, str, dict]] = []
        self.produced: list[str] = []

    def _walk(self, path: str):
        for number in range(1, self.pages + 1):
            self.produced.append(f"{path}#{number}")
            yield Page([{"id": str(number)}], {"data": [{"id": str(number)}]}, number)

    def graph_pages(self, path, params):
        self.asked.append(("cursor", path, dict(params)))
        return self._walk(path)

    def token_pages(self, path, params, token_param):
        self.asked.append((f"token:{token_param}", path, dict(params)))
        return self._walk(path)

    def get_json(self, path, params):
        self.asked.append(("single", path, dict(params)))
        return {"id": "1", "path": path}

    def secrets_to_redact(self):
        return ()


class Batch:
    """What the engine hands records to (a landing batch's add and quarantine)."""

    def __init__(self) -> None:
        self.added: list[RawRecord] = []
        self.quarantined: list[tuple[str, str]] = []

    def add(self, record: RawRecord) -> None:
        self.added.append(record)

    def quarantine(self, raw_text: str, reason: str) -> None:
        self.quarantined.append((raw_text, reason))


def timed_record(item, scope: str) -> RawRecord:
    key = require_id(item)
    if not isinstance(item.get("minute"), int):
        raise InvalidRecord("no minute")
    return RawRecord(key, item, scope, T0 + timedelta(minutes=item["minute"]))


THINGS = Stream("test", "things", "{scope}/things", timed_record, paging=GRAPH_CURSOR)


@pytest.mark.parametrize("stream", DECLARED, ids=lambda s: f"{s.source}.{s.entity}:{s.path}")
def test_every_declared_stream_lands_in_a_raw_table_of_the_catalog(stream):
    assert stream.table in {table.relation for table in catalog.RAW_TABLES}


@pytest.mark.parametrize("stream", DECLARED, ids=lambda s: f"{s.source}.{s.entity}:{s.path}")
def test_every_declared_stream_says_what_its_key_and_scope_are_and_how_deletions_go(stream):
    described = dict(stream.describe())
    assert described["key"] and described["scope"] and described["deletions"]


@pytest.mark.parametrize(
    "stream", [s for s in DECLARED if s.parent], ids=lambda s: f"{s.source}.{s.entity}"
)
def test_a_child_stream_reads_under_its_parent_and_says_how_its_parent_counts_it(stream):
    assert "{parent}" in stream.path
    assert stream.counted_by


@pytest.mark.parametrize(
    "stream", [s for s in DECLARED if s.includes], ids=lambda s: f"{s.source}.{s.entity}"
)
def test_what_an_answer_includes_lands_in_a_declared_stream_of_the_same_source(stream):
    streams = facebook_streams.STREAMS if stream.source == "facebook" else x_streams.STREAMS
    assert all(include.stream in streams for include in stream.includes)


def test_the_page_size_goes_as_the_streams_own_parameter_and_unset_ones_are_dropped():
    client = Client()
    engine = Engine(client, lambda: None, page_size=7)
    stream = Stream(
        "test",
        "things",
        "{scope}/things",
        timed_record,
        params={"f": "a"},
        paging=NEXT_TOKEN,
        page_size_param="max_results",
    )
    list(engine.pages(stream, "42", {"since": None, "until": 5}))
    assert client.asked == [
        ("token:next_token", "42/things", {"f": "a", "max_results": 7, "until": 5})
    ]


def test_a_single_answer_is_one_page_whose_item_and_body_are_the_answer():
    client = Client()
    (page,) = Engine(client, lambda: None).pages(
        Stream("test", "things", "{scope}", timed_record, paging=SINGLE), "42"
    )
    assert page.items == [page.body] == [{"id": "1", "path": "42"}]


items = st.lists(
    st.one_of(
        st.builds(
            lambda n, minute: {"id": str(n), "minute": minute},
            st.integers(0, 10**6),
            st.integers(-(10**5), 10**5),
        ),
        st.builds(lambda n: {"id": str(n)}, st.integers(0, 10**6)),  # no minute: refused
        st.builds(lambda n, m: {"id": f"bad/{n}", "minute": m}, st.integers(), st.integers()),
        st.integers(),  # not an object
    ),
    max_size=30,
)


@given(items)
def test_landing_adds_what_the_builder_accepts_and_quarantines_the_rest_with_its_reason(items):
    batch, landed = Batch(), []
    walked = Engine(Client(), lambda: None).land(
        THINGS, items, batch, "s", on_record=lambda item, record: landed.append(item)
    )
    good = [i for i in items if isinstance(i, dict) and isinstance(i.get("minute"), int)]
    good = [i for i in good if not i["id"].startswith("bad/")]
    assert [r.payload for r in batch.added] == landed == good
    assert len(batch.quarantined) == len(items) - len(good)
    assert all(reason for _, reason in batch.quarantined)
    assert walked.read == len(good)
    assert walked.clean == (len(good) == len(items))
    assert walked.newest_at == max(
        (T0 + timedelta(minutes=i["minute"]) for i in good), default=None
    )


@given(st.lists(st.sampled_from([None, 5, -5]), max_size=10))
def test_a_stamp_is_the_event_time_only_of_records_without_their_own(minutes):
    def maybe_timed(item, scope):
        at = None if item["minute"] is None else T0 + timedelta(minutes=item["minute"])
        return RawRecord(item["id"], item, scope, at)

    stream = Stream("test", "things", "{scope}", maybe_timed)
    batch = Batch()
    stamp = T0 + timedelta(days=3)
    things = [{"id": str(n), "minute": m} for n, m in enumerate(minutes)]
    Engine(Client(), lambda: None).land(stream, things, batch, stamp=stamp)
    assert [r.event_at for r in batch.added] == [
        stamp if m is None else T0 + timedelta(minutes=m) for m in minutes
    ]


def test_a_page_lands_what_it_includes_in_the_included_streams_batch():
    def included(body):
        return body.get("includes") or []

    people = Stream("test", "people", "", lambda item, scope: RawRecord(require_id(item), item))
    stream = Stream("test", "things", "", timed_record, includes=(Include("people", included),))
    page = Page([{"id": "1", "minute": 1}], {"includes": [{"id": "7"}, {"id": "x/y"}]}, 1)
    things, folks = Batch(), Batch()
    Engine(Client(), lambda: None).land_page(
        stream, page, {"things": things, "people": folks}, streams={"people": people}
    )
    assert [r.natural_key for r in things.added] == ["1"]
    assert [r.natural_key for r in folks.added] == ["7"]
    assert len(folks.quarantined) == 1


CHILDREN = {
    "a": Stream("test", "a", "{parent}/a", timed_record, paging=GRAPH_CURSOR),
    "b": Stream("test", "b", "{parent}/b", timed_record, paging=GRAPH_CURSOR),
}
plans = st.dictionaries(
    st.text("0123456789", min_size=1, max_size=6),
    st.dictionaries(st.sampled_from(["a", "b"]), st.just(({}, None)), min_size=1),
    max_size=8,
)


@settings(deadline=None, max_examples=30)
@given(plans, st.integers(0, 4))
def test_fan_out_gives_each_parent_once_in_order_with_all_pages_of_its_planned_children(
    plans, ahead
):
    client = Client(pages=2)
    seen = []
    for parent, walks in Engine(client, lambda: None).fan_out(CHILDREN, plans, ahead):
        seen.append(
            (parent, {entity: [p.number for p in pages] for entity, pages in walks.items()})
        )
    assert seen == [(parent, {e: [1, 2] for e in plan}) for parent, plan in plans.items()]
    asked = sorted(path for _, path, _ in client.asked)
    assert asked == sorted(f"{parent}/{e}" for parent, plan in plans.items() for e in plan)


def test_fan_out_stops_the_walks_running_ahead_when_the_reader_leaves():
    client = Client(pages=10_000)
    before = threading.active_count()
    plans = {str(n): {"a": ({}, None)} for n in range(6)}
    fan_out = Engine(client, lambda: None).fan_out(CHILDREN, plans, ahead=3)
    parent, walks = next(fan_out)
    next(iter(walks["a"]))
    fan_out.close()  # the reader leaves (a failure, or the task ends)
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
    assert len(client.produced) < 100  # bounded read-ahead, and nothing after the stop


def test_a_listing_asks_for_the_counts_of_the_children_it_walks_only():
    assert listing_fields("id", [facebook_streams.COMMENTS]) == (
        "id,comments.filter(stream).limit(0).summary(true)"
    )
    assert listing_fields("id", [facebook_streams.COMMENTS, facebook_streams.REACTIONS]) == (
        "id,comments.filter(stream).limit(0).summary(true),reactions.limit(0).summary(total_count)"
    )


def test_docs_list_every_declared_entity_and_no_other():
    text = (repo_root() / "docs" / "sources.md").read_text(encoding="utf-8")
    table = text.split("## The declared entities today", 1)[1]
    listed = {
        tuple(cell.strip() for cell in line.split("|")[1:3])
        for line in table.splitlines()
        if line.startswith(("| facebook ", "| instagram ", "| x "))
    }
    assert listed == {(s.source, s.entity) for s in DECLARED}


def test_an_extractor_pages_with_its_settings_as_they_are_now():
    client = Client()
    extractor = FacebookExtractor(client, lambda: None, FacebookSettings(("1",), page_size=25))
    extractor.settings = dataclasses.replace(extractor.settings, page_size=1)
    list(extractor.engine.pages(facebook_streams.COMMENTS, parent="1_2"))
    assert client.asked[0][2]["limit"] == 1
