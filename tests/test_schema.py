"""The schema has one home (archive.schema) and its migrations run in version order."""
import sqlite3

from archive import schema
from archive.db import open_db


def test_migrations_are_numbered_in_ascending_order():
    # numbers are assigned ahead to features landing in parallel: one may land before a lower
    # one (a gap for a while), never out of order
    versions = [v for v, _ in schema.MIGRATIONS]
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert schema.SCHEMA_VERSION == versions[-1]


def test_every_migration_applied_one_at_a_time_gives_the_same_schema_as_a_fresh_file(tmp_path):
    fresh = open_db(tmp_path / "fresh.db")
    stepwise = open_db(tmp_path / "step.db", migrate_schema=False)
    for version, step in schema.MIGRATIONS:
        step(stepwise)
        stepwise.execute(f"PRAGMA user_version = {version}")
        assert schema.schema_version(stepwise) == version
    ddl = lambda db: sorted(r for r in db.execute(  # noqa: E731
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall())
    assert ddl(stepwise) == ddl(fresh)
    assert schema.migrate(stepwise) == schema.SCHEMA_VERSION  # nothing left to do


def test_no_module_but_the_schema_creates_or_alters_a_table():
    from pathlib import Path

    root = Path(schema.__file__).resolve().parent.parent
    offenders = []
    for path in [*root.glob("archive/**/*.py"), *root.glob("crawler/**/*.py"), *root.glob("pipelines/*.py"),
                 root / "scheduler.py"]:
        if path.name == "schema.py":
            continue
        text = path.read_text("utf-8")
        if any(k in text for k in ("CREATE TABLE", "ALTER TABLE", "CREATE TRIGGER", "CREATE VIRTUAL TABLE")):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_a_file_newer_than_the_program_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    try:
        open_db(path)
    except RuntimeError as exc:
        assert "newer" in str(exc)
    else:
        raise AssertionError("a newer schema was opened")
