-- What the Facebook walks last saw of each post's comments and reactions: the counts the post
-- listing reports (`comments.summary`, `reactions.summary`) and when each edge was last walked
-- in full. A walk asks a post for its comments (reactions) again only when its count moved or
-- its re-walk is due, so an hourly run costs what changed. Written in the transaction that
-- lands the walked comments (reactions): a failed batch leaves the post to be walked again.
create table meta.facebook_post_activity (
    post_id text primary key,
    comments_total integer,
    comments_walked_at timestamptz,
    reactions_total integer,
    reactions_walked_at timestamptz
);
