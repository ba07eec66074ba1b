"""Large Parquet tables kept on disk and read through DuckDB (:class:`LazyTable`).

A study folder may hold a large log table (``activities``, ``tickets``,
``member_points`` …) as one Parquet file (``activities.parquet``) or as a
folder of Parquet files, flat (``activities/part-0.parquet``) or hive
partitioned (``activities/county_id=C01/part-0.parquet``). :func:`load_study`
keeps such tables as a :class:`LazyTable`: nothing is read until a query asks,
DuckDB scans the files in parallel and out of core, and only the (small) result
reaches pandas. Code that needs the whole table in pandas asks for it
explicitly (:meth:`LazyTable.to_pandas`, or :func:`as_frame` that accepts
either kind of table).

The lazy table shows the columns *typed* as the schema declares them, with the
same rules as :func:`~fusion_study.data.readers.coerce_to_schema` for pandas
tables: text trimmed (empty text is missing), numbers parsed, dates parsed and
bounded by :data:`~fusion_study.data.readers.DATE_RANGE`, quarters normalised.
Dates, quarters and true/false values are parsed by the very pandas code the
CSV path uses, applied to the column's *distinct* values (a year of daily logs
has a few hundred distinct dates) and joined back in SQL. Each row carries its
source: ``_source_file`` (the Parquet file, relative to the study folder) and
``_source_row`` (its row in that file counted as a spreadsheet would: the first
data row is row 2), so problems and ledger entries name the file and row.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from fusion_study.data.schema import DTYPES, Table

__all__ = ["LazyTable", "as_frame", "is_lazy", "parquet_files", "LAZY_THRESHOLD_BYTES", "LOG_TABLES",
           "SOURCE_COLUMNS"]

#: The log tables that may stay lazy (one row per event; 10^8 rows a year and more at national scale).
#: Every other table (units, customers, members, surveys, codebook …) is read into pandas.
LOG_TABLES = ("activities", "tickets", "member_points", "evaluations")

#: Parquet tables at least this large (bytes on disk, all parts together) are kept lazy by
#: ``load_study(lazy=None)``; so is every partitioned (folder) table.
LAZY_THRESHOLD_BYTES = 256 * 2**20

#: The two source columns every lazy table carries (file relative to the study folder, spreadsheet row).
SOURCE_COLUMNS = ("_source_file", "_source_row")

_WHITESPACE = " \t\n\r\x0b\x0c\u3000"
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "BOOLEAN")
_counter = itertools.count()


def _connect():
    import duckdb  # imported on use: no work at import

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def parquet_files(path: str | Path) -> list[Path]:
    """The Parquet files of a table: the file itself, or every ``*.parquet`` under a folder (sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    if not files:
        raise ValueError(f"{path}: the table folder holds no .parquet files")
    return files


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def is_lazy(table) -> bool:
    """True for a :class:`LazyTable`."""
    return isinstance(table, LazyTable)


def as_frame(table, columns=None) -> pd.DataFrame:
    """The table as a pandas DataFrame: a DataFrame as it is, a :class:`LazyTable` read (``columns`` only)."""
    if is_lazy(table):
        return table.to_pandas(columns=columns)
    return table if columns is None else table[list(columns)]


class LazyTable:
    """A study table in Parquet, queried through DuckDB instead of held in memory.

    Parameters
    ----------
    files : the table's Parquet files (one file, or the parts of a folder).
    spec : the table's schema (:data:`~fusion_study.data.schema.TABLES` entry).
    root : the study folder (source files are named relative to it).
    con : a DuckDB connection to share with the study's other lazy tables (one is opened if absent).

    Attributes
    ----------
    name : table name; ``file`` : the file or folder as named in the study;
    ``partition_columns`` : hive partition keys taken from the folder names.
    """

    def __init__(self, files, *, spec: Table, root: str | Path, con=None, _base: "LazyTable | None" = None,
                 _excluded: pd.DataFrame | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.root = Path(root).resolve()
        self.files = [Path(f).resolve() for f in files]
        self._con = con if con is not None else (_base._con if _base is not None else _connect())
        self._id = next(_counter)
        self.view = f"_lazy_{self.name}_{self._id}"
        if _base is None:
            self._define_source()
        else:  # the base table without some rows: the same typed view over a filtered source
            self._raw, self._raw_types, self.partition_columns = _base._raw, _base._raw_types, _base.partition_columns
            self._maps, self._exprs = _base._maps, _base._exprs
            self._source = f"_src_{self.name}_{self._id}"
            excl = f"_excl_{self._id}"
            self._con.register(excl, _excluded)
            self._con.execute(f"CREATE OR REPLACE TEMP VIEW {self._source} AS SELECT * FROM {_base._source} "
                              f"ANTI JOIN {excl} USING (_source_file, _source_row)")
            self._typed_select = _base._typed_select.replace(f"FROM {_base._source} src", f"FROM {self._source} src")
            self._con.execute(f"CREATE OR REPLACE TEMP VIEW {self.view} AS {self._typed_select}")
        self._len: int | None = None

    # -- construction -------------------------------------------------------------
    @property
    def file(self) -> str:
        """The table's file (single Parquet file) or folder, relative to the study folder."""
        rel = [f.relative_to(self.root) for f in self.files]
        if len(rel) == 1 and len(rel[0].parts) == 1:
            return rel[0].as_posix()
        return rel[0].parts[0]

    def _define_source(self) -> None:
        paths = ", ".join(_lit(f.as_posix()) for f in self.files)
        hive = any("=" in part for f in self.files for part in f.relative_to(self.root).parts[:-1])
        prefix = len(self.root.as_posix()) + 2
        self._source = f"_src_{self.name}_{self._id}"
        self._con.execute(
            f"CREATE OR REPLACE TEMP VIEW {self._source} AS SELECT * EXCLUDE (filename, file_row_number), "
            f"substr(filename, {prefix}) AS _source_file, file_row_number + 2 AS _source_row "
            f"FROM read_parquet([{paths}], filename = true, file_row_number = true, "
            f"hive_partitioning = {str(hive).lower()}, union_by_name = true)"
        )
        desc = self._con.execute(f"DESCRIBE {self._source}").fetchall()
        self._raw = [r[0] for r in desc if r[0] not in SOURCE_COLUMNS]
        self._raw_types = {r[0]: str(r[1]) for r in desc}
        keys = []
        for f in self.files:
            for part in f.relative_to(self.root).parts[1:-1]:
                if "=" in part and part.split("=", 1)[0] not in keys:
                    keys.append(part.split("=", 1)[0])
        self.partition_columns = keys
        self._maps: dict[str, str] = {}  # column -> registered mapping table (parsed distinct values)
        self._exprs: dict[str, str] = {}  # schema column -> its typed SQL expression over `src`
        selects = []
        for c in self._raw:
            col = self.spec.column_map.get(c)
            if col is not None:
                self._exprs[c] = self._typed_expr(c, col.dtype)
            selects.append(f"{self._exprs.get(c, 'src.' + _q(c))} AS {_q(c)}")
        joins = "".join(
            f" LEFT JOIN {m} ON CAST(src.{_q(c)} AS VARCHAR) = {m}.k" for c, m in self._maps.items()
        )
        self._typed_select = (f"SELECT {', '.join(selects)}, src._source_file, src._source_row "
                              f"FROM {self._source} src{joins}")
        self._con.execute(f"CREATE OR REPLACE TEMP VIEW {self.view} AS {self._typed_select}")

    def _typed_expr(self, c: str, dtype: str) -> str:
        raw = f"src.{_q(c)}"
        rtype = self._raw_types[c].upper()
        numeric = rtype.startswith(_NUMERIC) or rtype.startswith("DECIMAL")
        if dtype == "string":
            return f"NULLIF(trim(CAST({raw} AS VARCHAR), {_lit(_WHITESPACE)}), '')"
        if dtype in ("int", "float"):
            num = (f"CAST({raw} AS DOUBLE)" if numeric
                   else f"TRY_CAST(trim(CAST({raw} AS VARCHAR), {_lit(_WHITESPACE)}) AS DOUBLE)")
            num = f"(CASE WHEN isnan({num}) THEN NULL ELSE {num} END)"
            if dtype == "float":
                return num
            return f"TRY_CAST(CASE WHEN {num} = floor({num}) THEN {num} END AS BIGINT)"
        if dtype in ("date", "datetime") and (rtype.startswith("TIMESTAMP") or rtype == "DATE"):
            lo, hi = _date_range()
            ts = f"CAST({raw} AS TIMESTAMP)"
            ts = f"date_trunc('day', {ts})" if dtype == "date" else ts
            return f"(CASE WHEN {raw} < TIMESTAMP {_lit(lo)} OR {raw} > TIMESTAMP {_lit(hi)} THEN NULL ELSE {ts} END)"
        # dates as text, quarters, true/false: the pandas rules, applied to the distinct values
        self._maps[c] = self._map_distinct(c, dtype)
        cast = {"date": "TIMESTAMP", "datetime": "TIMESTAMP", "period": "VARCHAR", "bool": "BOOLEAN"}[dtype]
        return f"CAST({self._maps[c]}.v AS {cast})"

    def _map_distinct(self, c: str, dtype: str) -> str:
        from fusion_study.data.readers import _coerce_column

        distinct = self._con.execute(
            f"SELECT DISTINCT {_q(c)} AS raw, CAST({_q(c)} AS VARCHAR) AS k FROM {self._source} "
            f"WHERE {_q(c)} IS NOT NULL ORDER BY k"
        ).df()
        coerced, bad, oor = _coerce_column(distinct["raw"], dtype)
        bad = bad & distinct["k"].str.strip().ne("").to_numpy()  # empty text is missing, as in a CSV file
        mapping = pd.DataFrame({
            "k": distinct["k"].astype(object),
            "v": coerced.astype(object).where(coerced.notna(), None) if dtype in ("period", "bool") else coerced,
            "bad": bad.to_numpy(bool),
            "oor": (oor if oor is not None else pd.Series(False, index=distinct.index)).to_numpy(bool),
        })
        name = f"_map_{self.name}_{self._id}_{len(self._maps)}"
        self._con.register(name, mapping)
        return name

    # -- the table as a user sees it ------------------------------------------------
    @property
    def columns(self) -> pd.Index:
        """The table's columns (as in the files, source columns excluded)."""
        return pd.Index(self._raw)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), len(self._raw)

    def __len__(self) -> int:
        if self._len is None:
            self._len = int(self._con.execute(f"SELECT count(*) FROM {self.view}").fetchall()[0][0])
        return self._len

    def __repr__(self) -> str:
        return f"LazyTable({self.name!r}: {len(self)} rows, {len(self._raw)} columns, {self.file})"

    def all_missing(self, column: str) -> bool:
        """True when ``column`` has no value in any row."""
        return bool(self._con.execute(f"SELECT count({_q(column)}) = 0 FROM {self.view}").fetchall()[0][0])

    @property
    def empty(self) -> bool:
        return len(self) == 0

    @property
    def relation(self):
        """The typed table as a DuckDB relation (with ``_source_file``, ``_source_row``)."""
        return self._con.table(self.view)

    def sql(self, query: str) -> pd.DataFrame:
        """Run a query in which the table is called by its name; return the result as a DataFrame.

        >>> # activities.sql("SELECT team, count(*) AS n FROM activities GROUP BY team ORDER BY team")
        """
        return self.relation.query(self.name, query).df()

    def to_pandas(self, columns=None, where: str | None = None, *, source: bool = False) -> pd.DataFrame:
        """Read the table (or ``columns`` of the rows matching the SQL condition ``where``) into pandas.

        Columns get the schema's pandas dtypes. A table from one file keeps its source rows as the
        index (as a CSV table does); a partitioned table gets a plain 0..n-1 index, and with
        ``source=True`` the ``_source_file`` and ``_source_row`` columns.
        """
        cols = list(self._raw if columns is None else columns)
        unknown = [c for c in cols if c not in self._raw and c not in SOURCE_COLUMNS]
        if unknown:
            raise KeyError(f"table {self.name} ({self.file}) has no column(s) {unknown}; it has {self._raw}")
        cond = f" WHERE {where}" if where else ""
        sel = ", ".join(_q(c) for c in dict.fromkeys([*cols, *SOURCE_COLUMNS]))
        df = self._df(f"SELECT {sel} FROM {self.view}{cond} ORDER BY _source_file, _source_row")
        df = self._pandas_types(df)
        if len(self.files) == 1:
            df.index = pd.Index(df["_source_row"].astype("int64").to_numpy(), name="source_row")
            source = False
        keep = [*cols, *(c for c in SOURCE_COLUMNS if source and c not in cols)]
        return df[keep]

    def head(self, n: int = 5) -> pd.DataFrame:
        """The first ``n`` rows (in file order) as a DataFrame."""
        df = self._df(f"SELECT * FROM {self.view} ORDER BY _source_file, _source_row LIMIT {int(n)}")
        return self._pandas_types(df).drop(columns=list(SOURCE_COLUMNS))

    def _pandas_types(self, df: pd.DataFrame) -> pd.DataFrame:
        for c in df.columns:
            col = self.spec.column_map.get(c)
            if col is None:
                continue
            target = DTYPES[col.dtype]
            if col.dtype in ("date", "datetime"):
                df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
            else:
                df[c] = df[c].astype(target)
        return df

    def fetch(self, query: str) -> pd.DataFrame:
        """Run SQL over this study's DuckDB connection, where the table is ``{t}`` (internal helper)."""
        return self._pandas_types(self._df(query.format(t=self.view)))

    def _df(self, query: str) -> pd.DataFrame:
        # through Arrow: about twice as fast as DuckDB's own DataFrame conversion for text columns
        return self._con.sql(query).to_arrow_table().to_pandas()

    def raw_frame(self) -> pd.DataFrame:
        """The files' rows as stored (untyped) in one DataFrame, index 2..n+1 across the parts in path order."""
        df = self._con.execute(
            f"SELECT * EXCLUDE (_source_file, _source_row) FROM {self._source} ORDER BY _source_file, _source_row"
        ).df()
        df.index = pd.RangeIndex(2, len(df) + 2, name="source_row")
        return df

    def write_parquet(self, path: str | Path) -> Path:
        """Write the typed table (rows in source order) to one Parquet file, streamed by DuckDB."""
        path = Path(path)
        cols = ", ".join(_q(c) for c in self._raw)
        self._con.execute(f"COPY (SELECT {cols} FROM {self.view} ORDER BY _source_file, _source_row) "
                          f"TO {_lit(path.resolve().as_posix())} (FORMAT parquet)")
        return path

    def exclude(self, rows: pd.DataFrame) -> "LazyTable":
        """A lazy table without the rows named in ``rows`` (columns ``_source_file``, ``_source_row``)."""
        excl = pd.DataFrame({
            "_source_file": rows["_source_file"].astype(str).to_numpy(object),
            "_source_row": rows["_source_row"].astype("int64").to_numpy(),
        }).drop_duplicates()
        return LazyTable(self.files, spec=self.spec, root=self.root, _base=self, _excluded=excl)


def _date_range() -> tuple[str, str]:
    from fusion_study.data.readers import DATE_RANGE

    lo, hi = DATE_RANGE
    return f"{lo:%Y-%m-%d %H:%M:%S}", f"{hi:%Y-%m-%d %H:%M:%S}"
