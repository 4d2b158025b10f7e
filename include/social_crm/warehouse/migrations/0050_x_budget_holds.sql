-- X pay-per-use: the money a request in flight may cost, held against the connection's monthly
-- budget (`meta.api_read_budget.budget_usd`) from before it is sent until its answer is
-- metered (x_budget.ReadBudget.hold). Brands' mapped tasks read one X project at once: each
-- reserves its next request's worst case in one transaction that locks the month's budget
-- row, so two tasks never both spend what is left.
-- One row a holder: the warehouse session (backend pid and start) of a task's budget. A hold
-- counts only while that session lives (pg_stat_activity), so a killed task's hold lapses
-- with its connection instead of holding money for the rest of the month.
create table meta.x_budget_holds (
    connection_id text not null,
    backend_pid integer not null,
    backend_start timestamptz not null,
    month date not null,
    usd numeric(14, 6) not null,
    held_at timestamptz not null default now(),
    primary key (connection_id, backend_pid)
);

grant select on meta.x_budget_holds to transformer;
