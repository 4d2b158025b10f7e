"""Loading: landing records into the append-only raw tables in batches (COPY, dedup by payload
hash, tombstones, watermarks, quarantine of bad records)."""
