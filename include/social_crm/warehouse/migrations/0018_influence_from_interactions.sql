-- Influence now comes from the interactions a profile's messages drew (who answered whom) and
-- the public follower count; PageRank on the follow graph is kept beside it, where the
-- follower walk is enabled.
alter table scoring.influence
    add column follow_graph_rank double precision,
    add column interactions_received integer not null default 0,
    add column followers_count bigint;
