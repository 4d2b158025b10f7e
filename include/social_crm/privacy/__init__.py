"""Privacy: erasure requests applied to raw, the merged tables and the files a run writes
(erasure.py, traces.py). Consent (opted-out people in aggregates only) is a dbt rule; the
identifiers a request names are read when it lands (extract/erasure_identifiers.py), and
secrets are kept out of logs by `social_crm.redact`."""
