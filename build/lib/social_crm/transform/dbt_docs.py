"""The dbt docs site: `dbt docs generate --static`, skipped when neither the dbt project nor
the warehouse it documents has changed since the site was made. The catalog holds the tables'
columns and types (on PostgreSQL no statistics), which only the project decides; regenerating
it every night costs seconds of dbt start-up and catalog queries for the same pages."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from social_crm import warehouse
from social_crm.paths import dbt_project_dir
from social_crm.transform import dbt_runner

log = logging.getLogger(__name__)

FINGERPRINT_FILE = ".source_fingerprint"
# what dbt writes or fetches into the project folder, not the project's source
NOT_SOURCE = ("target", "logs", "dbt_packages")


def fingerprint(project: Path, warehouse_identity: str) -> str:
    """A hash of every source file of the dbt project (path and content) and of the warehouse
    (host, port, database; never credentials)."""
    digest = hashlib.sha256(warehouse_identity.encode())
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and relative.parts[0] not in NOT_SOURCE:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def generate(target: Path) -> Path:
    """Generate the static docs site into `target` unless it is up to date; returns the path of
    `static_index.html`."""
    server = warehouse.resolve()
    current = fingerprint(dbt_project_dir(), f"{server.host}:{server.port}/{server.database}")
    site = target / "static_index.html"
    stamp = target / FINGERPRINT_FILE
    if site.exists() and stamp.exists() and stamp.read_text() == current:
        log.info("dbt docs: up to date (project and warehouse unchanged), %s", site)
        return site
    dbt_runner.run("docs", "generate", "--static", "--target-path", str(target))
    stamp.write_text(current)
    return site
