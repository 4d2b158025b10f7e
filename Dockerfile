# Production image: Airflow 3 with the pipeline package and its pinned dependencies.
# `docker compose --profile demo` also builds the `demo` target: this image plus the developer
# tooling's API simulator (tools/), which the production image never carries.
FROM apache/airflow:3.3.2-python3.11 AS production

USER airflow
WORKDIR /opt/airflow
COPY --chown=airflow:0 requirements.lock pyproject.toml README.md /opt/airflow/project/
COPY --chown=airflow:0 include /opt/airflow/project/include
RUN pip install --no-cache-dir -r /opt/airflow/project/requirements.lock \
 && pip install --no-cache-dir --no-deps -e /opt/airflow/project
# machine-local state (dbt manifest, dbt docs, Data Docs) and the CRM drop folder: created here
# so the named volumes mounted on them belong to the airflow user
RUN mkdir -p /opt/airflow/social_crm_local /opt/airflow/crm_drop

# the demo world: the simulator and the world builder need nothing the runtime lock lacks
# (numpy, requests); pgserver, the embedded warehouse's, is not installed: compose has its own
FROM production AS demo
COPY --chown=airflow:0 tools /opt/airflow/project/tools
RUN pip install --no-cache-dir --no-deps -e /opt/airflow/project/tools
