from social_crm.warehouse import migrations


def test_migrations_are_numbered_contiguously_and_not_empty():
    found = migrations.available()
    assert [m.version for m in found] == [f"{i:04d}" for i in range(1, len(found) + 1)]
    assert all(m.sql.strip() for m in found)


def test_first_migration_creates_the_landing_schemas():
    first = migrations.available()[0].sql
    for schema in ("raw", "raw_quarantine", "meta"):
        assert f"create schema if not exists {schema};" in first
