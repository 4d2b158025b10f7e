"""Migration 0043 (sentiment probabilities) on a warehouse scored before it: no row is left
without probabilities, and the next sentiment pass scores every message again."""

import psycopg
import pytest

from social_crm import sentiment
from social_crm.sentiment import run
from social_crm.warehouse import migrations

pytestmark = pytest.mark.integration

PROBABILITIES = "0043"


@pytest.fixture
def scored_before(scratch_database, monkeypatch):
    """A warehouse migrated up to the migration before, with a message scored by the current
    scorer in a finished pass; then migrated to the end."""
    shipped = migrations.available()
    with psycopg.connect(scratch_database.libpq()) as conn:
        monkeypatch.setattr(
            migrations, "available", lambda: [m for m in shipped if m.version < PROBABILITIES]
        )
        migrations.apply(conn)
        conn.execute(
            "insert into scoring.message_sentiment (message_id, platform, lang, sentiment,"
            " score, intent, text_hash, scorer_version, scored_at)"
            " values ('m1', 'x', 'en', 'negative', -0.6, 'complaint', 'h', %s, now())",
            (sentiment.version(),),
        )
        conn.execute(
            "insert into meta.sentiment_passes (reads_from, scorer_version, messages_table,"
            " read_whole, finished_at) values (now(), %s, 1, true, now())",
            (sentiment.version(),),
        )
        conn.commit()
        monkeypatch.setattr(migrations, "available", lambda: shipped)
        migrations.apply(conn)
        yield conn


def test_rows_scored_before_get_their_labels_certainty_and_no_scorer_version(scored_before):
    assert scored_before.execute(
        "select p_negative, p_neutral, p_positive, scorer_version from scoring.message_sentiment"
    ).fetchall() == [(1.0, 0.0, 0.0, "")]


def test_the_next_sentiment_pass_after_it_reads_every_message(scored_before):
    assert run._reads_from(scored_before, sentiment.version(), 1) is None


@pytest.mark.parametrize(
    "probabilities",
    [(None, 0.5, 0.5), (0.2, 0.2, 0.2), (-0.1, 0.6, 0.5), (1.2, -0.1, -0.1)],
    ids=["missing", "not_summing_to_one", "negative", "above_one"],
)
def test_the_table_refuses_probabilities_out_of_their_rules(scored_before, probabilities):
    with pytest.raises(psycopg.errors.IntegrityError):
        scored_before.execute(
            "insert into scoring.message_sentiment (message_id, platform, lang, sentiment,"
            " score, p_negative, p_neutral, p_positive, intent, text_hash, scorer_version,"
            " scored_at) values ('m2', 'x', 'en', 'neutral', 0, %s, %s, %s, 'other', 'h', 'v',"
            " now())",
            probabilities,
        )
