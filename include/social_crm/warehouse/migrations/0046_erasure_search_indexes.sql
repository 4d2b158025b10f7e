-- What erasure searches, indexed: an erasure pass reads the rows that concern the people it
-- erases, not every row (privacy/erasure.py, NARROWED). Its whole reading of a table was a
-- scan with every erased person's handles as one regular expression over every text: at 10M
-- events, 233 s of the first build (5 s at 1M: the scan grows with the data, the expression with
-- the requests). Derived in SQL from the landed payload (expression indexes: landing is
-- unchanged, and building them here fills them for the rows already landed). Erasure tests its
-- own condition again on the rows an index gives: an index finds a superset, never decides.

-- The names a text @mentions, in lower case: every run of [A-Za-z0-9_] after an `@`, whole and
-- cut to X's 15 characters. Erasure's two readings of a handle in a text (a brand's reply naming
-- them: `regexp_matches(text, '@([A-Za-z0-9_]{1,15})')`; another's Post naming them:
-- `@handle` not followed by a letter, digit or `_`) each find a handle of [a-z0-9_] only where it
-- is one of these; a handle of other characters is searched by the expression itself.
create function meta.text_mentions(body text) returns text[]
language sql immutable strict parallel safe
return array(
    select distinct lower(v.name)
    from regexp_matches(body, '@([A-Za-z0-9_]+)', 'g') as m (found),
        lateral (values (m.found[1]), (left(m.found[1], 15))) as v (name)
);

-- The names a text may hold without `@` (an Instagram caption or comment read through a media
-- the brand does not own loses the `@`), in lower case: every run of [A-Za-z0-9_.], whole and
-- cut before each of its periods (`mia.` and `mia..` name `mia`). Erasure's reading of a username
-- in a text (`@?username` not continued by another name) finds one only where it is one of these.
create function meta.text_names(body text) returns text[]
language sql immutable strict parallel safe
return array(
    select distinct lower(left(m.found[1], c.cut))
    from regexp_matches(body, '([A-Za-z0-9_.]+)', 'g') as m (found),
        lateral (
            select length(m.found[1])
            union all
            select p.at - 1
            from generate_series(1, length(m.found[1])) as p (at)
            where substr(m.found[1], p.at, 1) = '.' and p.at > 1
        ) as c (cut)
);

grant execute on function meta.text_mentions(text) to public;
grant execute on function meta.text_names(text) to public;

-- X Posts: by author (their own Posts), by the account and the Post they reply to, by the
-- handles they @mention
create index x_tweets_author_idx on raw.x_tweets ((payload ->> 'author_id'));
create index x_tweets_reply_to_user_idx on raw.x_tweets ((payload ->> 'in_reply_to_user_id'));
create index x_tweets_replied_to_idx on raw.x_tweets ((
    jsonb_path_query_first(payload, '$.referenced_tweets[*] ? (@.type == "replied_to").id')
    #>> '{}'
));
create index x_tweets_mentions_idx on raw.x_tweets
using gin (meta.text_mentions(payload ->> 'text'));

-- Instagram texts: by the names they hold, with or without `@`
create index instagram_comments_names_idx on raw.instagram_comments
using gin (meta.text_names(payload ->> 'text'));
create index instagram_media_names_idx on raw.instagram_media
using gin (meta.text_names(payload ->> 'caption'));
create index webhook_events_names_idx on raw.webhook_events
using gin (meta.text_names(payload #>> '{value,text}'));

-- The tables dbt merges from raw, where they exist (their models declare the same indexes, so
-- a table dbt builds anew has them): X Posts as staged, and every message's text as the
-- engagement and message models keep it
do $$
declare
    wanted record;
begin
    for wanted in
        select * from (values
            ('staging.stg_x__tweets', 'btree', 'author_profile_id'),
            ('staging.stg_x__tweets', 'btree', 'in_reply_to_profile_id'),
            ('staging.stg_x__tweets', 'btree', 'replied_to_tweet_id'),
            ('staging.stg_x__tweets', 'gin', 'meta.text_mentions(message_text)'),
            ('staging.stg_instagram__comments', 'gin', 'meta.text_names(comment_text)'),
            ('staging.stg_instagram__media', 'gin', 'meta.text_names(caption)'),
            ('intermediate.int_engagements_unified', 'gin', 'meta.text_names(message_text)'),
            ('intermediate.int_engagements_unified', 'gin', 'meta.text_mentions(message_text)'),
            ('intermediate.int_messages_answered', 'gin', 'meta.text_names(message_text)'),
            ('intermediate.int_messages_answered', 'gin', 'meta.text_mentions(message_text)')
        ) as w (relation, method, expression)
    loop
        if to_regclass(wanted.relation) is not null then
            execute format('create index on %s using %s ((%s))',
                           wanted.relation, wanted.method, wanted.expression);
        end if;
    end loop;
end
$$;
