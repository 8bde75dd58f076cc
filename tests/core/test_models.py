"""The asset tables are the kinds' fields: one column per field (plus `id` and `updated_at`), same types."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tui_editor.core import models as m
from tui_editor.core.kinds import KINDS, AssetKind, FieldType

PYTHON_TYPE_OF_FIELD: dict[FieldType, type] = {
    "text": str,
    "str": str,
    "choice": str,
    "int": int,
    "float": float,
}


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_asset_table_columns_are_the_kinds_fields(kind: AssetKind) -> None:
    table = m.ASSET_TABLES[kind.name]
    assert table.name == kind.table_name
    assert SQLModel.metadata.tables[kind.table_name] is table
    assert [c.name for c in table.columns] == ["id", *kind.field_names, "updated_at"]
    assert [c.name for c in table.primary_key.columns] == ["id"]
    for spec in kind.fields:
        column = table.c[spec.name]
        assert column.type.python_type is PYTHON_TYPE_OF_FIELD[spec.type], spec.name
        assert column.nullable is spec.nullable, spec.name
        default = column.default.arg if isinstance(column.default, sa.ColumnDefault) else None
        assert default == spec.column_default, spec.name


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_a_row_inserted_with_only_the_required_columns_gets_the_column_defaults(kind: AssetKind) -> None:
    engine = sa.create_engine("sqlite://")
    table = m.ASSET_TABLES[kind.name]
    table.create(engine)
    without_default = {spec.name: "x" for spec in kind.fields if spec.column_default is None}
    with engine.begin() as conn:
        conn.execute(table.insert().values(id="a", **without_default))
        # The database's own defaults too (an old row written by plain SQL relies on them).
        conn.execute(
            sa.text(
                f"INSERT INTO {table.name} (id, {', '.join(without_default)}, updated_at) "
                f"VALUES ('b', {', '.join(repr(v) for v in without_default.values())}, "
                "CURRENT_TIMESTAMP)"
            )
        )
        rows = {row.id: row._mapping for row in conn.execute(sa.select(table))}
    for spec in kind.fields:
        if spec.column_default is not None:
            assert rows["a"][spec.name] == spec.column_default == rows["b"][spec.name], spec.name
    assert rows["a"]["updated_at"].tzinfo is not None
    engine.dispose()


def test_every_column_of_every_asset_table_is_not_null_today() -> None:
    """The migrations made every asset column NOT NULL; a nullable field would need a migration."""
    assert not any(spec.nullable for kind in KINDS.values() for spec in kind.fields)
    assert all(not c.nullable for table in m.ASSET_TABLES.values() for c in table.columns)
