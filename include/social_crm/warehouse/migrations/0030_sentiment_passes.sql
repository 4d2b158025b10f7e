-- Each pass of the sentiment step. A pass of the same scorer version over the same
-- int_messages_answered table reads only the messages merged from the previous pass's
-- `reads_from` on, and drops the scores of the messages the merge log says were deleted since;
-- a new scorer, a rebuilt messages table, a previous pass that did not finish or the first
-- pass reads every message.
create table meta.sentiment_passes (
    pass_id bigserial primary key,
    started_at timestamptz not null default now(),
    -- the start of the oldest transaction open when the pass read: what the pass could not
    -- see was merged by a transaction that started then or later
    reads_from timestamptz not null,
    scorer_version text not null,
    -- the oid of intermediate.int_messages_answered when the pass read it
    messages_table oid not null,
    read_whole boolean not null,
    -- null until the pass finished
    finished_at timestamptz,
    scored integer,
    removed integer
);
