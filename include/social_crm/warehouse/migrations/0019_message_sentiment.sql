-- Sentiment and intent of customer messages, scored in Python by the nightly sentiment step
-- (include/social_crm/sentiment) instead of a dbt lexicon model; and the corrections CRM staff
-- make to it, landed from the drop folder.
create table scoring.message_sentiment (
    message_id text primary key,
    platform text not null,
    lang text not null,
    sentiment text not null check (sentiment in ('negative', 'neutral', 'positive')),
    score double precision not null check (score between -1 and 1),
    intent text not null,
    -- what was scored: a message is scored again when its text or the scorer changes
    text_hash text not null,
    scorer_version text not null,
    scored_at timestamptz not null
);
create index message_sentiment_scored_at on scoring.message_sentiment (scored_at);

grant select, insert, update, delete, truncate on scoring.message_sentiment to transformer;

create table raw.crm_sentiment_overrides (like raw.crm_orders including all);
alter table raw.crm_sentiment_overrides
    add constraint crm_sentiment_overrides_batch_fk foreign key (batch_id)
    references meta.load_batches (batch_id);

