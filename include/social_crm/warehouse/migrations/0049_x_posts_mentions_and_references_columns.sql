-- What erasure searches X Posts by, read once at landing instead of at every insert by an
-- expression index (load/x_posts.py; privacy/erasure.py NARROWED): the handles a Post's text
-- @mentions and the Posts it names by id. 0046's @mentions index and 0048's references index
-- cost landing about 0.16 ms a Post (the SQL functions run for every row inserted);
-- landing fills these columns from the payload it has decoded already.
--
-- Null means "not read yet": the rows landed before this migration, which
-- warehouse/x_posts_backfill.backfill fills after it (warehouse.bootstrap runs it), in batches of its own
-- transactions, not in this one; erasure reads every Post's text (the old way) while any is
-- left, and says so. A tombstone names nothing (empty arrays).
alter table raw.x_tweets
add column mentioned_handles text[],
add column referenced_post_ids text[];

drop index raw.x_tweets_mentions_idx;
drop index raw.x_tweets_post_references_idx;

create index x_tweets_mentioned_handles_idx on raw.x_tweets using gin (mentioned_handles);
create index x_tweets_referenced_post_ids_idx on raw.x_tweets using gin (referenced_post_ids);
-- the rows not read yet (none once back-filled: what erasure and the back-fill look up)
create index x_tweets_not_derived_idx on raw.x_tweets (ingest_seq)
where mentioned_handles is null or referenced_post_ids is null;
