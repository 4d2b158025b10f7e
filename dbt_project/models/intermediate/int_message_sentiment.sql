-- Sentiment and intent of every customer message by lexicon: the languages' sentiment words
-- (seeds/sentiment_lexicon.csv) and intent words (seeds/intent_lexicon.csv). Language is the
-- one whose words match most (X also reports lang).
with

messages as (

    select
        message_id,
        platform,
        lower(message_text) as lowered_text
    from {{ ref('int_messages_answered') }}

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
    ) as intent
from messages as m
left join scored as s on m.message_id = s.message_id
left join intents as i on m.message_id = i.message_id
