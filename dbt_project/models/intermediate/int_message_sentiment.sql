{{
    config(
        materialized='incremental',
        unique_key='message_id',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['message_id'], 'unique': True},
            {'columns': ['merged_at']},
        ],
        pre_hook=["{{ delete_rows_deleted_upstream(message_staging_tables()) }}"]
    )
}}

-- depends_on: {{ message_staging_tables() | join(", ") }} (the pre-hook's deletions)

-- Sentiment and intent of every customer message by lexicon: the languages' sentiment words
-- (seeds/sentiment_lexicon.csv) and intent words (seeds/intent_lexicon.csv). Language is the
-- one whose words match most (X also reports lang).
-- Incremental: a run looks at the messages int_messages_answered merged since its last run
-- (all of them when a lexicon changed) and scores again those whose text or the lexicons
-- changed (text_hash, lexicon_hash); the pre-hook deletes messages deleted upstream, the
-- erasure step erased people's. Rows scored before these columns existed have them empty, so
-- an upgrade rescores them on its first run.
with

lexicons as (

    select
        md5(
            (
                select string_agg(lang || ':' || term || ':' || polarity, ',' order by lang, term)
                from {{ ref('sentiment_lexicon') }}
            )
            || '|'
            || (
                select string_agg(intent || ':' || term || ':' || priority, ',' order by term)
                from {{ ref('intent_lexicon') }}
            )
        ) as lexicon_hash

),

all_messages as (

    select
        a.message_id,
        a.platform,
        lower(a.message_text) as lowered_text,
        md5(coalesce(a.message_text, '')) as text_hash
    from {{ ref('int_messages_answered') }} as a
    {% if is_incremental() %}
        where
            -- rows from before merged_at existed have none: every message is looked at once
            a.merged_at > coalesce({{ max_merged_at() }}, '-infinity'::timestamptz)
            or exists (
                select 1 from {{ this }} as t
                where t.lexicon_hash is distinct from (select l.lexicon_hash from lexicons as l)
            )
    {% endif %}

),

messages as (

    select
        m.message_id,
        m.platform,
        m.lowered_text,
        m.text_hash
    from all_messages as m
    {% if is_incremental() %}
        where not exists (
            select 1 from {{ this }} as done
            where
                done.message_id = m.message_id
                and done.text_hash = m.text_hash
                and done.lexicon_hash = (select l.lexicon_hash from lexicons as l)
        )
    {% endif %}

),

hits as (

    select
        m.message_id,
        l.lang,
        sum(l.polarity) as polarity,
        count(*) as matches
    from messages as m
    inner join {{ ref('sentiment_lexicon') }} as l
        on position(l.term in m.lowered_text) > 0
    group by m.message_id, l.lang

),

scored as (

    select
        message_id,
        sum(polarity) as polarity,
        (array_agg(lang order by matches desc, lang asc))[1] as lang
    from hits
    group by message_id

),

intents as (

    select distinct on (m.message_id)
        m.message_id,
        i.intent
    from messages as m
    inner join {{ ref('intent_lexicon') }} as i
        on position(i.term in m.lowered_text) > 0
    order by m.message_id, i.priority

)

select
    m.message_id,
    m.platform,
    s.lang,
    case
        when coalesce(s.polarity, 0) > 0 then 'positive'
        when coalesce(s.polarity, 0) < 0 then 'negative'
        else 'neutral'
    end as sentiment,
    coalesce(
        i.intent,
        case
            when coalesce(s.polarity, 0) < 0 and m.lowered_text not like '%?%' then 'complaint'
            when m.lowered_text like '%?%' then 'product_question'
            when coalesce(s.polarity, 0) > 0 then 'praise'
            else 'other'
        end
    ) as intent,
    m.text_hash,
    l.lexicon_hash,
    statement_timestamp() as merged_at
from messages as m
cross join lexicons as l
left join scored as s on m.message_id = s.message_id
left join intents as i on m.message_id = i.message_id
