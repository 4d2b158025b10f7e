"""dbt glue: running dbt in-process, the manifest Cosmos renders from, the Cosmos task groups,
the docs site, the model selections of the nightly, and pruning the incremental merge log."""
