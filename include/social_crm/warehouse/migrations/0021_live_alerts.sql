-- The live queue's alerts (include/social_crm/alerts): every alert raised, once (a message past
-- its SLA is alerted once; a spike once per episode), with whether the webhook took it; and the
-- spike episodes per brand and channel, which make one crisis one alert (the cool-down).
create table meta.alerts (
    alert_id bigserial primary key,
    kind text not null check (kind in ('sla_breach', 'volume_spike', 'negative_spike')),
    brand_key text not null,
    channel text not null,
    -- an SLA breach: the message; a spike: null
    message_id text,
    -- the moment the alert describes (the run's as-of time) and when it was raised
    as_of timestamptz not null,
    raised_at timestamptz not null default now(),
    text text not null,
    details jsonb not null,
    -- when the webhook accepted it (with no webhook configured, the task log is the delivery)
    delivered_at timestamptz,
    delivery_attempts integer not null default 0
);
create unique index alerts_once_per_message on meta.alerts (kind, message_id)
where message_id is not null;
create index alerts_undelivered on meta.alerts (raised_at) where delivered_at is null;

create table meta.spike_episodes (
    brand_key text not null,
    channel text not null,
    started_at timestamptz not null,
    last_triggered_at timestamptz not null,
    alert_id bigint references meta.alerts (alert_id),
    primary key (brand_key, channel, started_at)
);
