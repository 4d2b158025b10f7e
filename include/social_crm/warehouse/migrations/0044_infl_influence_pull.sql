-- Influence is estimated by empirical Bayes (customer_value/influence.py): each profile's pull
-- (interactions a message of theirs draws, 1.0 the platform's average, shrunk toward a prior)
-- and its recency-weighted messages are kept beside the influence they give.
alter table scoring.influence
    add column pull double precision,
    add column messages double precision not null default 0;
