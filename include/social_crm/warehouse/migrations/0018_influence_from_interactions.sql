-- Influence now comes from the interactions between people (who answered whose message) and
-- the public follower count; the follow graph only where the follower walk is enabled.
alter table scoring.influence
    add column interactions_received integer not null default 0,
    add column followers_count bigint;
