"""Developer tooling: simulator, benchmark, demo, embedded warehouse, in-process DAG runs."""
