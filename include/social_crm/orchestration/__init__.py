"""Airflow glue: each pipeline's step table (pipelines.py, steps.py) that its DAG renders
(dag_tasks.py) and the command line runs, the steps' work (extraction, nightly, live), the
as-of rule (transform/as_of.py), the Assets that connect the DAGs, failure notifications and the
pool definitions."""
