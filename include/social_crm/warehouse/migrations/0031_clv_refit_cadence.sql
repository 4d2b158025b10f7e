-- The CLV models are fitted again once the observation end moved SOCIAL_CRM_CLV_REFIT_DAYS past
-- the last fit's, or when the fitting code or the CLV settings changed; in between, the nightly
-- scores every customer with the last fit's parameters. A fit records what it was fitted with
-- (a digest of the fitting code and the settings): a fit of earlier code (null) is not kept.
alter table scoring.clv_fits add column model_digest text;
-- what the scores were last made from: between fits, a scoring without a fit
alter table scoring.clv_fit_input rename column fitted_at to scored_at;
alter table scoring.clv_fit_input add column observed_until timestamptz;
