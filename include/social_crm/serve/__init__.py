"""Serving: publishing the gated marts to the schema BI reads, the BI login, Superset."""
