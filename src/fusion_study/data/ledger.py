"""The exclusion ledger: every row that leaves a table, with its reason.

Invariant (tested): for every table, ``rows read = rows kept + rows excluded``.
Rows that are only *flagged* (keep-and-flag policies) are recorded too, with
``action="flagged"``; they stay in the table and do not count as excluded.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["Ledger", "LEDGER_COLUMNS"]

LEDGER_COLUMNS = ["table", "source_file", "source_row", "rule", "action", "detail"]
_ACTIONS = ("excluded", "flagged")


class Ledger:
    """Record of excluded and flagged rows, plus how many rows each table read."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self.rows_read: dict[str, int] = {}

    def __repr__(self) -> str:
        n = len(self.to_frame())
        return f"Ledger({n} entries, tables read: {len(self.rows_read)})"

    def record_read(self, table: str, n_rows: int) -> None:
        """Note that ``n_rows`` rows of ``table`` were read from its source."""
        self.rows_read[table] = self.rows_read.get(table, 0) + int(n_rows)

    def record(
        self,
        table: str,
        rows,
        *,
        rule: str,
        action: str = "excluded",
        detail=None,
        source_file: str = "",
    ) -> None:
        """Record rows (their source row numbers) leaving or flagged in ``table``.

        ``detail`` may be one string or one per row.
        """
        if action not in _ACTIONS:
            raise ValueError(f"action must be one of {_ACTIONS}, got {action!r}")
        rows = pd.Index(rows)
        if len(rows) == 0:
            return
        part = pd.DataFrame(
            {
                "table": table,
                "source_file": source_file,
                "source_row": rows.to_numpy(),
                "rule": rule,
                "action": action,
                "detail": "" if detail is None else detail,
            }
        )
        self._parts.append(part)

    def extend(self, other: "Ledger") -> None:
        """Append another ledger's entries and read counts."""
        self._parts.extend(other._parts)
        for table, n in other.rows_read.items():
            self.record_read(table, n)

    def to_frame(self) -> pd.DataFrame:
        """All entries, one row per (row, rule), in the order recorded."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in LEDGER_COLUMNS})
        return pd.concat(self._parts, ignore_index=True)[LEDGER_COLUMNS]

    def summary(self) -> pd.DataFrame:
        """Counts by table, rule and action (columns ``table, rule, action, n_rows``)."""
        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["table", "rule", "action", "n_rows"])
        return (
            df.groupby(["table", "rule", "action"], sort=True)
            .size()
            .rename("n_rows")
            .reset_index()
        )

    def excluded_rows(self, table: str) -> pd.Index:
        """Distinct source rows of ``table`` that were excluded."""
        df = self.to_frame()
        mask = (df["table"] == table) & (df["action"] == "excluded")
        return pd.Index(pd.unique(df.loc[mask, "source_row"]))

    def n_excluded(self, table: str) -> int:
        """How many distinct rows of ``table`` were excluded.

        A row is its source row number, or (source file, row) for a table read from several
        Parquet parts.
        """
        df = self.to_frame()
        part = df.loc[(df["table"] == table) & (df["action"] == "excluded"), ["source_file", "source_row"]]
        if part["source_file"].replace("", pd.NA).dropna().nunique() <= 1:  # one file: rows name themselves
            return int(part["source_row"].nunique())
        return int(len(part.drop_duplicates()))

    def balance(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Check rows read = rows kept + rows excluded, per table.

        Columns: ``table, rows_read, rows_kept, rows_excluded, balanced``.
        """
        rows = []
        for name, n_read in sorted(self.rows_read.items()):
            kept = len(tables[name]) if name in tables else 0
            excluded = self.n_excluded(name)
            rows.append(
                {
                    "table": name,
                    "rows_read": n_read,
                    "rows_kept": kept,
                    "rows_excluded": excluded,
                    "balanced": n_read == kept + excluded,
                }
            )
        return pd.DataFrame(rows, columns=["table", "rows_read", "rows_kept", "rows_excluded", "balanced"])
