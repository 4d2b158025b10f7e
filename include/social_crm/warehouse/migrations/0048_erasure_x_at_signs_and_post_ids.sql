-- What erasure finds of a person in other people's X Posts, widened (privacy/erasure.py).

-- X reads the full-width at sign (U+FF20) as `@`: `＠anna` is a mention of @anna (twitter-text,
-- js/src/regexp/atSigns.js: `atSigns = /[@＠]/`). The names a text @mentions now hold those
-- after either sign; the indexes built on them are rebuilt (an expression index keeps what
-- the function returned when each row was indexed).
create or replace function meta.text_mentions(body text) returns text[]
language sql immutable strict parallel safe
return array(
    select distinct lower(v.name)
    from regexp_matches(body, '[@\uFF20]([A-Za-z0-9_]+)', 'g') as m (found),
        lateral (values (m.found[1]), (left(m.found[1], 15))) as v (name)
);

do $$
declare
    built record;
begin
    for built in
        select distinct d.objid::regclass as index_name
        from pg_depend as d
        inner join pg_class as c on d.objid = c.oid and c.relkind = 'i'
        where d.refobjid = 'meta.text_mentions(text)'::regprocedure
    loop
        execute format('reindex index %s', built.index_name);
    end loop;
end
$$;

-- The Posts an X Post names by id: those it replies to or quotes (`referenced_tweets`) and the
-- first Post of its conversation (`conversation_id`). A Post's id gives its author at one
-- look-up (GET /2/tweets/:id), so another person's Post naming theirs is found by these.
create function meta.x_post_references(payload jsonb) returns text[]
language sql immutable strict parallel safe
return array(
    select r.value ->> 'id'
    from jsonb_array_elements(
        case jsonb_typeof(payload -> 'referenced_tweets')
            when 'array' then payload -> 'referenced_tweets' else '[]'::jsonb
        end
    ) as r (value)
    where r.value ->> 'id' is not null
    union
    select payload ->> 'conversation_id'
    where payload ->> 'conversation_id' is not null
);

grant execute on function meta.x_post_references(jsonb) to public;

create index x_tweets_post_references_idx on raw.x_tweets
using gin (meta.x_post_references(payload));

-- staged X Posts: by the first Post of their conversation (the replied-to one is indexed)
do $$
begin
    if to_regclass('staging.stg_x__tweets') is not null then
        create index on staging.stg_x__tweets (conversation_id);
    end if;
end
$$;
