-- What the CLV fit last read: a digest of every customer's order summary and the horizon. The
-- scoring step fits and scores again only when it differs (orders landed, changed or erased):
-- the same orders give the same parameters and the same scores, and the fit over every
-- customer takes seconds.
create table scoring.clv_fit_input (
    digest text not null,
    fitted_at timestamptz not null
);

grant select, insert, update, delete, truncate on scoring.clv_fit_input to transformer;
