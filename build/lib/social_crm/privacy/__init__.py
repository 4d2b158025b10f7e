"""Privacy: erasure requests applied to raw and the merged tables, redaction of secrets in
logs and errors. Consent (opted-out people in aggregates only) is a dbt rule."""
