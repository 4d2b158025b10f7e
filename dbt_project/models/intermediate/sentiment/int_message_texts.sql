{{ config(materialized='view') }}

-- Every customer message's text as the sentiment step scores it: with a hash of the text (a
-- message is scored again when its text changes) and the language the platform tagged it with
-- (X's lang; Facebook gives none), and when the message was last merged (the step reads the
-- messages merged since its previous pass).

select
    m.message_id,
    m.platform,
    m.message_text,
    t.lang as platform_lang,
    md5(coalesce(m.message_text, '')) as text_hash,
    m.merged_at
from {{ ref('int_messages_answered') }} as m
left join {{ ref('stg_x__tweets') }} as t
    on m.platform = 'x' and m.message_id = t.tweet_id
