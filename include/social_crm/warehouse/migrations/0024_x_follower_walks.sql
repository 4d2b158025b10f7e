-- When each X account's followers were last walked: an hourly run walks only the accounts
-- never walked or due again (every `follower_walk_days` on average), not every author's list
-- every hour. Written in the transaction that lands the walked follows: a failed batch leaves
-- the account to be walked again. Erasure deletes an erased person's row.
create table meta.x_follower_walks (
    account_id text primary key,
    walked_at timestamptz not null
);
