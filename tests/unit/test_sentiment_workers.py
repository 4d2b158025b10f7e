"""Sentiment scored in worker processes: the same results, in the same order, as in one
process; a worker's failure reaches the caller; the number of workers is a validated setting."""

import pytest

from social_crm import sentiment, settings
from social_crm.sentiment import workers
from social_crm.settings import SettingError
from social_crm_dev import sentiment_data


def _messages() -> list[dict]:
    texts = [
        t for lang in ("en", "no", "pl", "sv") for t, _ in sentiment_data.labelled(lang, "dev")
    ]
    if not texts:  # no shared sentiment folder: everyday text of the four languages
        texts = ["Great service, thanks!", "Kjempebra levering", "Fatalna obsługa", "Helt okej"]
    texts = texts[::7][:600]
    return [
        {"id": i, "text": t, "lang": "en" if i % 5 == 0 else None, "extra": i}
        for i, t in enumerate(texts)
    ]


def test_two_workers_score_every_batch_as_one_process_does():
    messages = _messages()
    batches = [messages[i : i + 97] for i in range(0, len(messages), 97)]
    alone = [sentiment.score_messages(batch) for batch in batches]
    assert list(workers.scored_batches(iter(batches), 2)) == alone


def test_a_failing_batch_raises_in_the_caller_after_the_batches_before_it():
    batches = [[{"id": 1, "text": "fine"}], [{"id": 2, "text": 5}], [{"id": 3, "text": "fine"}]]
    got = workers.scored_batches(iter(batches), 2)
    assert next(got)[0]["id"] == 1
    with pytest.raises(TypeError):  # a text that is not a string
        next(got)


def test_sentiment_workers_default_to_the_cores_this_process_may_use():
    assert settings.load({}).sentiment_workers == settings._cores() >= 1


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_number_of_sentiment_workers_below_one_or_not_whole_is_refused_naming_it(value):
    with pytest.raises(SettingError, match="SOCIAL_CRM_SENTIMENT_WORKERS"):
        settings.load({"SOCIAL_CRM_SENTIMENT_WORKERS": value})
