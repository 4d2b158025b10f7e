-- Landing, quarantine and bookkeeping schemas (dbt creates its own schemas).
create schema if not exists raw;
create schema if not exists raw_quarantine;
create schema if not exists meta;
