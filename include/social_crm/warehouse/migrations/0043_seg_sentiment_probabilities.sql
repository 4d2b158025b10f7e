-- The scorer's probabilities of each message's sentiment, P(negative), P(neutral), P(positive):
-- what segments count (expected counts: sums of probabilities), so one misread message moves a
-- person by its probability, not by a whole message.
-- Rows scored before are filled with their label's certainty (1 for the label, 0 otherwise) so
-- that no row is without probabilities, and marked as scored by no scorer ('' never equals a
-- version), as is every earlier pass: the next sentiment pass reads every message and scores
-- them again (include/social_crm/sentiment/run.py reads all when the last pass's scorer differs).
alter table scoring.message_sentiment
    add column p_negative double precision,
    add column p_neutral double precision,
    add column p_positive double precision;

update scoring.message_sentiment set
    p_negative = (sentiment = 'negative')::int,
    p_neutral = (sentiment = 'neutral')::int,
    p_positive = (sentiment = 'positive')::int,
    scorer_version = '';

update meta.sentiment_passes set scorer_version = '';

alter table scoring.message_sentiment
    alter column p_negative set not null,
    alter column p_neutral set not null,
    alter column p_positive set not null,
    add constraint message_sentiment_probabilities check (
        p_negative between 0 and 1
        and p_neutral between 0 and 1
        and p_positive between 0 and 1
        and abs(p_negative + p_neutral + p_positive - 1) < 1e-6
    );

-- `engagements` carries the probabilities now: the table an older build left lacks the columns
-- and cannot merge (on_schema_change: fail). It is derived, so it is dropped here and the next
-- nightly run builds it in full; `marts` keeps serving the last published build meanwhile.
drop table if exists marts_build.engagements;
