"""The dbt selections of the nightly build's two dbt steps, shared by the Cosmos task groups
of the DAG and by `nightly.run_all`."""

# first what erasure and scoring read: seeds, staging models and the identity links ...
STAGING_SELECT = ("path:seeds", "path:models/staging", "+int_identity_links")
# ... then, once erasures are applied and scores written, the intermediate models and marts
MARTS_SELECT = ("path:models/intermediate", "path:models/marts")
