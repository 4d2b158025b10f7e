"""dbt's partial parse kept across the tests' scratch databases.

dbt 1.11 reuses its saved parse (partial_parse.msgpack) only when a hash of the profile's
connection keys (host, port, user, database, ...) is the one it was saved with
(`ManifestLoader.build_manifest_state_check`), because the parse names the database: every node
holds it, and the SQL dbt writes reads `"database"."schema"."table"`. Every test database has a
new name, so every build in a new one parsed the whole project again (about 13 s, where a
partial parse takes about 1.5 s).

`install()` makes dbt, in this process, read a saved parse made for another test database as if
made for the current one, when that database's name is the only difference: the connection
keys of the saved parse hash the same with the current database's name put back, and both
names are test names of the same length (tests/databases.py), so the saved bytes take the new
name in place of the old, every occurrence, and the new profile hash. dbt then makes every
other check it makes (its version, vars, the project's files and their hashes): a change of
the project's files is parsed again as before. When no parse was saved in the current target
folder, the last one this process saved is the starting point.
"""

from __future__ import annotations

import hashlib
import os
import pprint
import re
import shutil
from pathlib import Path

PARSE_FILE = "partial_parse.msgpack"
TEST_DATABASE = re.compile(r"test_[0-9a-f]{12}")  # tests/databases.py's names

_last_saved: list[Path] = []  # the last parse dbt saved in this process


def profile_checksum(connection_keys: list[tuple]) -> str:
    """The checksum dbt gives these connection keys (its state check's profile hash)."""
    return hashlib.sha256(pprint.pformat(sorted(connection_keys)).encode("utf-8")).hexdigest()


def retarget(saved: bytes, connection_keys: list[tuple]) -> bytes | None:
    """`saved` (a partial_parse.msgpack) made for the connection keys `connection_keys` with
    another test database's name in place of theirs, or None when anything else differs (or
    nothing does)."""
    import msgpack

    current = dict(connection_keys).get("database")
    manifest = msgpack.unpackb(saved, strict_map_key=False)
    old_checksum = manifest["state_check"]["profile_hash"]["checksum"]
    databases = {node.get("database") for node in manifest.get("nodes", {}).values()}
    if len(databases) != 1 or current is None:
        return None
    (old,) = databases
    if old == current or not (TEST_DATABASE.fullmatch(old) and TEST_DATABASE.fullmatch(current)):
        return None
    as_saved = [(key, old if key == "database" else value) for key, value in connection_keys]
    if profile_checksum(as_saved) != old_checksum:
        return None
    new_checksum = profile_checksum(connection_keys)
    return saved.replace(old.encode(), current.encode()).replace(
        old_checksum.encode(), new_checksum.encode()
    )


def install() -> None:
    """Make dbt's ManifestLoader, in this process, start from the saved parse of another test
    database (see the module's docstring). Idempotent."""
    from dbt.flags import get_flags
    from dbt.parser.manifest import ManifestLoader

    if getattr(ManifestLoader, "_kept_across_test_databases", False):
        return
    read, write = (
        ManifestLoader.read_manifest_for_partial_parse,
        ManifestLoader.write_manifest_for_partial_parse,
    )

    def read_saved_parse(self):
        flags = get_flags()
        target = Path(self.root_project.project_target_path)
        path = Path(flags.PARTIAL_PARSE_FILE_PATH or target / PARSE_FILE)
        if flags.PARTIAL_PARSE:
            if not path.is_file() and _last_saved and _last_saved[0].is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(_last_saved[0], path)
            if path.is_file():
                keys = list(self.root_project.credentials.connection_info())
                moved = retarget(path.read_bytes(), keys)
                if moved is not None:
                    partial = path.with_suffix(".retargeted")
                    partial.write_bytes(moved)
                    os.replace(partial, path)
        return read(self)

    def write_saved_parse(self):
        write(self)
        _last_saved[:] = [Path(self.root_project.project_target_path) / PARSE_FILE]

    ManifestLoader.read_manifest_for_partial_parse = read_saved_parse
    ManifestLoader.write_manifest_for_partial_parse = write_saved_parse
    ManifestLoader._kept_across_test_databases = True
