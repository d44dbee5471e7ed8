"""The schema is ready to be distributed by tenant on Citus (docs/scaling.md), read from the
PostgreSQL catalog of the migrated test database:

- every table holds tenant rows (tenant_id uuid NOT NULL) unless it is named in UNTENANTED;
- every primary key, unique constraint, unique index and exclusion constraint of a tenant table
  includes tenant_id (Citus can only enforce uniqueness within one shard);
- every foreign key between tenant tables pairs tenant_id with tenant_id (the two rows are then
  always on the same node), and no untenanted table refers to a tenant table (a reference table
  cannot point into a distributed one);
- scripts/citus/distribute.sql places every table exactly once, the untenanted ones as reference
  tables and the others distributed by tenant_id and colocated, each after the tables it refers to.
  Citus itself is not available here: the script runs against stand-ins of its two functions that
  record the calls, in a transaction that is rolled back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

DISTRIBUTE_SQL = Path(__file__).parents[1] / "scripts" / "citus" / "distribute.sql"
# Tables without tenant_id, and what Citus makes of them.
UNTENANTED = {
    "tenants": "reference",  # the registry: a copy on every node, referenced by every tenant table
    "benchmark_taxonomy_versions": "reference",  # the national taxonomy, the same for every tenant
    "benchmark_taxonomy_terms": "reference",
    "benchmark_refreshes": "local",  # the platform's refresh runs, read through the door only
    "alembic_version": "local",  # Alembic's bookkeeping, on the coordinator only
}


@pytest.fixture(scope="module")
def catalog(pg):
    engine = create_engine(pg.owner)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _tables(catalog) -> dict[str, dict]:
    """name -> {tenant_id type, nullable}, for the ordinary and partitioned tables (not partitions)."""
    rows = catalog.execute(
        text(
            """
            select c.relname, t.typname, a.attnotnull
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            left join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
            left join pg_type t on t.oid = a.atttypid
            where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
            """
        )
    ).all()
    return {name: {"type": typ, "not_null": not_null} for name, typ, not_null in rows}


def _tenant_tables(catalog) -> set[str]:
    return {name for name, column in _tables(catalog).items() if column["type"] is not None}


def _foreign_keys(catalog) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """(table, constraint, referenced table, [(column, referenced column), …])"""
    rows = catalog.execute(
        text(
            """
            select c.conrelid::regclass::text, c.conname, c.confrelid::regclass::text,
                   array_agg(a.attname::text order by k.i), array_agg(fa.attname::text order by k.i)
            from pg_constraint c
            join pg_namespace n on n.oid = c.connamespace
            cross join lateral unnest(c.conkey, c.confkey) with ordinality as k(attnum, fattnum, i)
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
            join pg_attribute fa on fa.attrelid = c.confrelid and fa.attnum = k.fattnum
            where c.contype = 'f' and n.nspname = 'public'
            group by 1, 2, 3
            """
        )
    ).all()
    return [(table, name, ref, list(zip(cols, fcols, strict=True))) for table, name, ref, cols, fcols in rows]


def test_every_table_but_the_registry_holds_tenant_rows(catalog):
    tables = _tables(catalog)
    untenanted = {name for name, column in tables.items() if column["type"] is None}
    assert untenanted == set(UNTENANTED), (
        "tables without tenant_id; add tenant_id, or name the table in UNTENANTED (a national reference "
        f"table) and place it in scripts/citus/distribute.sql: {sorted(untenanted - set(UNTENANTED))}"
    )
    expected = {"type": "uuid", "not_null": True}
    wrong = {name: column for name, column in tables.items() if column["type"] and column != expected}
    assert wrong == {}, "tenant_id must be uuid NOT NULL everywhere (one colocation group)"


def test_every_key_and_unique_index_of_a_tenant_table_includes_tenant_id(catalog):
    tenant_tables = _tenant_tables(catalog)
    rows = catalog.execute(
        text(
            """
            select c.relname, i.relname, x.indisprimary,
                   exists (select 1 from unnest(x.indkey) k
                           join pg_attribute a on a.attrelid = c.oid and a.attnum = k
                           where a.attname = 'tenant_id')
            from pg_index x
            join pg_class i on i.oid = x.indexrelid
            join pg_class c on c.oid = x.indrelid
            join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and (x.indisunique or x.indisexclusion)
            """
        )
    ).all()
    checked = [(table, index, primary) for table, index, primary, _ in rows if table in tenant_tables]
    missing = sorted(f"{table}.{index}" for table, index, _, has in rows if table in tenant_tables and not has)
    assert missing == [], "unique indexes and keys of tenant tables without tenant_id (Citus cannot enforce them)"
    assert {table for table, _, primary in checked if primary} == tenant_tables, "every tenant table has a primary key"
    assert any(index == "uq_job_descriptions_tenant_wide" for _, index, _ in checked), "partial unique indexes count"


def test_every_foreign_key_between_tenant_tables_pairs_tenant_id(catalog):
    tenant_tables = _tenant_tables(catalog)
    wrong, to_registry = [], 0
    for table, name, referenced, pairs in _foreign_keys(catalog):
        if table in tenant_tables and referenced in tenant_tables:
            if ("tenant_id", "tenant_id") not in pairs:
                wrong.append(f"{table}.{name} -> {referenced} {pairs}")
        elif table in tenant_tables:
            assert UNTENANTED.get(referenced) == "reference", f"{table}.{name} refers to {referenced}, a local table"
            to_registry += 1
        else:
            assert referenced not in tenant_tables, f"{table}.{name}: a reference table cannot refer to a tenant table"
    assert wrong == [], "foreign keys between tenant tables must pair tenant_id with tenant_id"
    assert to_registry >= len(tenant_tables), "every tenant table refers to the registry"


def _placements(catalog) -> list[tuple[str, str, str | None, str | None]]:
    """Run distribute.sql against recording stand-ins of create_reference_table and
    create_distributed_table; return the calls in order, (kind, table, column, colocate_with)."""
    script = DISTRIBUTE_SQL.read_text(encoding="utf-8")
    savepoint = catalog.begin_nested()
    try:
        catalog.execute(text("create schema citus_standin"))
        catalog.execute(
            text(
                """
                create table citus_standin.calls (n serial, kind text, tbl regclass, col text, colocate text);
                create function citus_standin.create_reference_table(t regclass) returns void
                  language sql as $$ insert into citus_standin.calls (kind, tbl) values ('reference', t) $$;
                create function citus_standin.create_distributed_table(
                  t regclass, col text, colocate_with text = 'default'
                ) returns void language sql as $$
                  insert into citus_standin.calls (kind, tbl, col, colocate)
                  values ('distributed', t, col, colocate_with)
                $$;
                set local search_path = citus_standin, public;
                """
            )
        )
        catalog.exec_driver_sql(script)
        calls = catalog.execute(text("select kind, tbl::text, col, colocate from citus_standin.calls order by n")).all()
    finally:
        savepoint.rollback()
    return [tuple(call) for call in calls]


def test_distribute_sql_places_every_table_once_after_what_it_refers_to(catalog):
    calls = _placements(catalog)
    tables = _tables(catalog)
    tenant_tables = _tenant_tables(catalog)
    placed = [table for _, table, _, _ in calls]
    assert len(placed) == len(set(placed)), "a table is placed twice"
    expected = (tenant_tables | {t for t, kind in UNTENANTED.items() if kind == "reference"}) & set(tables)
    assert set(placed) == expected, (
        f"add to scripts/citus/distribute.sql: {sorted(expected - set(placed))}; "
        f"not tables here: {sorted(set(placed) - expected)}"
    )
    for kind, table, column, colocate in calls:
        if table in tenant_tables:
            assert (kind, column) == ("distributed", "tenant_id"), table
        else:
            assert kind == "reference", table
    distributed = [call for call in calls if call[0] == "distributed"]
    anchor = distributed[0][1]
    assert distributed[0][3] == "default"
    assert all(colocate == anchor for _, _, _, colocate in distributed[1:]), "one colocation group"

    position = {table: i for i, table in enumerate(placed)}
    too_early = [
        f"{table} ({name}) before {referenced}"
        for table, name, referenced, _ in _foreign_keys(catalog)
        if referenced != table and referenced in position and position[table] < position[referenced]
    ]
    assert too_early == [], "a table must be placed after the tables it refers to"


def test_distribute_sql_is_documented():
    script = DISTRIBUTE_SQL.read_text(encoding="utf-8")
    assert re.search(r"^-- Run once on the coordinator", script, re.M)
    docs = (Path(__file__).parents[1] / "docs" / "scaling.md").read_text(encoding="utf-8")
    assert "scripts/citus/distribute.sql" in docs and "propagate_set_commands" in docs
