{{ config(materialized='view') }}

-- Sentiment and intent of every customer message: the scorer's (the nightly sentiment step,
-- include/social_crm/sentiment), unless CRM staff corrected it (sentiment_overrides.csv in the
-- CRM drop folder), which wins; an override without an intent keeps the scorer's. A staff
-- correction is certain: probability 1 for the class chosen, 0 for the others.
-- merged_at moves when either changes, so the incremental marts merge the message again.

select
    s.message_id,
    s.platform,
    s.lang,
    coalesce(o.sentiment, s.sentiment) as sentiment,
    case
        when o.sentiment is null then s.sentiment_score
        when o.sentiment = 'positive' then 1.0
        when o.sentiment = 'negative' then -1.0
        else 0.0
    end as sentiment_score,
    case
        when o.sentiment is null then s.p_negative
        when o.sentiment = 'negative' then 1.0
        else 0.0
    end as p_negative,
    case
        when o.sentiment is null then s.p_neutral
        when o.sentiment = 'neutral' then 1.0
        else 0.0
    end as p_neutral,
    case
        when o.sentiment is null then s.p_positive
        when o.sentiment = 'positive' then 1.0
        else 0.0
    end as p_positive,
    coalesce(o.intent, s.intent) as intent,
    case when o.message_id is null then 'scorer' else 'override' end as sentiment_source,
    s.scorer_version,
    o.decided_by as overridden_by,
    greatest(s.scored_at, o.landed_at) as merged_at
from {{ ref('stg_scoring__message_sentiment') }} as s
left join {{ ref('stg_crm__sentiment_overrides') }} as o on s.message_id = o.message_id
