-- The X user a connection's token belongs to, asked of X (`GET /2/users/me`) once per UTC day
-- (the API's clock): the extra owner_user_id is trusted for Owned Reads only when it is that
-- user. user_id null: the token authenticates no user (an app-only Bearer token).
create table meta.x_token_owner (
    connection_id text not null,
    day date not null,
    user_id text,
    checked_at timestamptz not null default now(),
    primary key (connection_id, day)
);
