-- Instagram media whose insights the API refuses for that media alone (#100 subcode 2108006,
-- "Media posted before business account conversion"): recorded per media, so the daily
-- insights read does not ask them again; no metric is rejected for the others.
create table meta.instagram_media_without_insights (
    media_id text primary key,
    error text not null,
    recorded_at timestamptz not null default now()
);

grant select on meta.instagram_media_without_insights to transformer;
