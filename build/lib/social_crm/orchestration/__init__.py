"""Airflow glue: the Assets that connect the DAGs, the task-level steps the DAG files call
(extraction, nightly build), failure notifications and the pool definitions."""
