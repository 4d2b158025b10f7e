-- Instagram extraction bookkeeping (extract/instagram.py).
--
-- Every hashtag query we send, per Instagram account: the API allows 30 unique hashtags per
-- account in a rolling 7 days and refuses the 31st; a query is recorded before it is sent
-- (on a connection of its own, so a failed run still counts it), and the extractor sends a
-- hashtag only when it is already among the 7 days' or fewer than 30 are.
create table meta.instagram_hashtag_queries (
    ig_user_id text not null,
    hashtag text not null,
    queried_at timestamptz not null,
    hashtag_id text,
    primary key (ig_user_id, hashtag, queried_at)
);
create index instagram_hashtag_queries_recent_idx
    on meta.instagram_hashtag_queries (ig_user_id, queried_at);

-- Per media of ours: its comments_count and when its comments (and their replies) were last
-- walked completely: a media whose count did not move is walked again only at its re-walk
-- points (recheck.needs_walk).
create table meta.instagram_media_activity (
    media_id text primary key,
    comments_total integer,
    comments_walked_at timestamptz
);

grant select on meta.instagram_hashtag_queries, meta.instagram_media_activity to transformer;
