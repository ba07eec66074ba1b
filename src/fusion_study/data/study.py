"""The :class:`Study`: a folder of canonical tables, a codebook and a ledger.

A study folder holds one file per table, named after the table
(``units.csv``, ``customer_survey.parquet``, ``tickets.xlsx`` …), a
``codebook`` file, and optionally ``study.json`` (name, description, rows read)
and ``ledger.csv`` (rows excluded or flagged during import and screening).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from fusion_study.data.lazy import LAZY_THRESHOLD_BYTES, LOG_TABLES, LazyTable, is_lazy, parquet_files
from fusion_study.data.ledger import Ledger
from fusion_study.data.privacy import assert_no_pii, neutralise_formulas
from fusion_study.data.readers import TABLE_SUFFIXES, TableReadError, coerce_to_schema, read_table_file
from fusion_study.data.schema import CODEBOOK, TABLES
from fusion_study.data.template import canonical_header
from fusion_study.data.xlsxio import fix_zip_times as _fix_zip_times  # noqa: F401 (kept for callers of the old name)
from fusion_study.data.xlsxio import write_xlsx_deterministic as _write_xlsx_deterministic
from fusion_study.data.validation import ProblemLog, StudyValidationError, ValidationReport, check_study

__all__ = ["Study", "load_study", "StudyFolderError", "write_frame"]

FORMAT_VERSION = 1


class StudyFolderError(ValueError):
    """The study folder itself is unusable (missing, ambiguous files, unreadable)."""


class Study:
    """A study's tables (canonical names, English snake_case columns) and codebook.

    Tables are available as ``study.tables["units"]`` and as attributes
    (``study.units``). Each table's index is the source row of the file it came
    from, so problems and ledger entries can name the row a user sees. Large
    Parquet tables loaded lazily are :class:`~fusion_study.data.lazy.LazyTable`
    objects (queried through DuckDB; ``.to_pandas()`` reads them), see
    :func:`load_study`.
    """

    def __init__(
        self,
        tables: dict[str, pd.DataFrame] | None = None,
        codebook: pd.DataFrame | None = None,
        *,
        name: str = "study",
        files: dict[str, str] | None = None,
        ledger: Ledger | None = None,
        meta: dict | None = None,
        load_problems: ProblemLog | None = None,
    ) -> None:
        tables = dict(tables or {})
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; known tables: {sorted(TABLES)}")
        self.tables: dict[str, pd.DataFrame] = tables
        self.codebook = codebook
        self.name = name
        self.files = dict(files or {})
        self.ledger = ledger if ledger is not None else Ledger()
        self.meta = dict(meta or {})
        self._load_problems = load_problems or ProblemLog()
        #: encoding detected for each CSV table when the study was loaded
        self.encodings: dict[str, str] = {}
        for t, df in tables.items():
            if t not in self.ledger.rows_read:
                self.ledger.record_read(t, len(df) + self.ledger.n_excluded(t))

    # -- access ---------------------------------------------------------------
    def __getattr__(self, item: str) -> "pd.DataFrame | LazyTable":
        if item.startswith("_") or item not in TABLES:
            raise AttributeError(item)
        tables = self.__dict__.get("tables", {})
        if item not in tables:
            raise AttributeError(f"this study has no {item!r} table; it has {sorted(tables)}")
        return tables[item]

    def __contains__(self, table: str) -> bool:
        return table in self.tables

    def __repr__(self) -> str:
        parts = ", ".join(f"{t}={len(df)}" for t, df in self.tables.items())
        return f"Study({self.name!r}: {parts})"

    def summary(self) -> pd.DataFrame:
        """One row per table: ``table, table_zh, rows, columns, file``."""
        rows = [
            {
                "table": t,
                "table_zh": TABLES[t].text_zh,
                "rows": len(df),
                "columns": df.shape[1],
                "file": self.files.get(t, ""),
            }
            for t, df in self.tables.items()
        ]
        return pd.DataFrame(rows, columns=["table", "table_zh", "rows", "columns", "file"])

    # -- validation -----------------------------------------------------------
    def validate(self, *, raise_on_error: bool = False) -> ValidationReport:
        """Check every rule and return all problems at once.

        With ``raise_on_error=True`` a :class:`StudyValidationError` carrying
        the report is raised when there is at least one error.
        """
        report = check_study(self.tables, self.codebook, self.files, prior=self._load_problems)
        if raise_on_error:
            report.raise_if_errors()
        return report

    def exclude_invalid(self, report: ValidationReport | None = None) -> "Study":
        """A copy without the rows that have row-level errors; each goes to the ledger.

        Problems that are not tied to a row (a missing column, a missing table)
        cannot be fixed by excluding rows: they raise :class:`StudyValidationError`.
        """
        report = report if report is not None else self.validate()
        errors = report.errors
        structural = errors[errors["row"].isna() & (errors["table"] != "codebook")]
        if not structural.empty:
            raise StudyValidationError(ValidationReport(structural))
        ledger = Ledger()
        ledger.extend(self.ledger)
        tables = {}
        for name, df in self.tables.items():
            errs = errors[(errors["table"] == name) & errors["row"].notna()]
            if errs.empty:
                tables[name] = df
                continue
            if is_lazy(df):  # rows are (partition file, row) pairs; the lazy table filters them out in SQL
                first = errs.drop_duplicates(["file", "row"])
                for source_file, part in first.groupby("file", sort=True):
                    ledger.record(
                        name,
                        part["row"].astype(int).to_numpy(),
                        rule="validation:" + part["rule"].astype(str),
                        detail=(part["column"].astype(str) + ": " + part["message"].astype(str)).to_numpy(),
                        source_file=source_file,
                    )
                tables[name] = df.exclude(first.rename(columns={"file": "_source_file", "row": "_source_row"}))
                continue
            first = errs.drop_duplicates("row")
            ledger.record(
                name,
                first["row"].astype(int).to_numpy(),
                rule="validation:" + first["rule"].astype(str),
                detail=(first["column"].astype(str) + ": " + first["message"].astype(str)).to_numpy(),
                source_file=self.files.get(name, ""),
            )
            tables[name] = df.drop(index=pd.Index(first["row"].astype(int).unique()), errors="ignore")
        return Study(
            tables, self.codebook, name=self.name, files=self.files, ledger=ledger, meta=self.meta
        )

    # -- persistence ------------------------------------------------------------
    def save(self, path: str | Path, *, format: str = "csv") -> Path:
        """Write the study folder (tables, codebook, ledger, ``study.json``).

        ``format`` is ``"csv"`` (UTF-8 with BOM, which Excel on Chinese Windows
        opens correctly), ``"parquet"`` or ``"xlsx"``. Text cells that a
        spreadsheet would run as formulas are neutralised in CSV and XLSX.
        Output bytes depend only on the study's contents.
        """
        if format not in ("csv", "parquet", "xlsx"):
            raise ValueError(f"format must be 'csv', 'parquet' or 'xlsx', got {format!r}")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        # the codebook is the user's own file: it keeps its format (a codebook.xlsx stays .xlsx)
        cb_format = Path(self.files.get("codebook", f"codebook.{format}")).suffix.lstrip(".") or format
        cb_format = cb_format if cb_format in ("csv", "parquet", "xlsx") else format
        for old in out.iterdir():
            if old.suffix in TABLE_SUFFIXES and (old.stem in TABLES or old.stem == "codebook"):
                old.unlink()
        for name in self.tables:
            if (out / name).is_dir():
                raise StudyFolderError(f"{out}: table {name!r} is a folder of Parquet parts there; save into "
                                       "another folder (a table is either one file or one folder)")
        frames = dict(self.tables)
        if self.codebook is not None:
            frames["codebook"] = self.codebook
        for name, df in frames.items():
            if is_lazy(df):
                if format == "parquet":  # streamed by DuckDB, never held in memory
                    df.write_parquet(out / f"{name}.parquet")
                    continue
                df = df.to_pandas()
            assert_no_pii(df, where=f"saving table {name}")
            fmt = cb_format if name == "codebook" else format
            _write_frame(df.reset_index(drop=True), out / f"{name}.{fmt}", fmt)
        ledger = self.ledger.to_frame()
        ledger_path = out / "ledger.csv"
        if len(ledger):
            neutralise_formulas(ledger).to_csv(ledger_path, index=False, encoding="utf-8-sig", lineterminator="\n")
        elif ledger_path.exists():
            ledger_path.unlink()
        meta = dict(self.meta)
        meta.update(
            {
                "format_version": FORMAT_VERSION,
                "name": self.name,
                "rows_read": dict(sorted(self.ledger.rows_read.items())),
            }
        )
        (out / "study.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        return out


def write_frame(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as ``.csv`` (UTF-8 with BOM), ``.xlsx`` or ``.parquet``, by the path's suffix.

    The one way tables leave the library: dates as ``YYYY-MM-DD[ HH:MM:SS]``,
    formula-looking text cells neutralised in CSV and XLSX
    (:func:`~fusion_study.data.privacy.neutralise_formulas`), bytes that depend
    only on the contents. The index is not written.
    """
    path = Path(path)
    format = path.suffix.lower().lstrip(".")
    if format not in ("csv", "xlsx", "parquet"):
        raise ValueError(f"{path.name}: write a .csv, .xlsx or .parquet file, not {path.suffix!r}")
    _write_frame(df.reset_index(drop=True), path, format)
    return path


def _write_frame(df: pd.DataFrame, path: Path, format: str) -> None:
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            s = df[col]
            has_time = (s.dropna() != s.dropna().dt.normalize()).any()
            fmt = "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
            df[col] = s.dt.strftime(fmt).astype("string") if format != "parquet" else s
    if format == "parquet":
        df.to_parquet(path, index=False)
        return
    df = neutralise_formulas(df)
    if format == "csv":
        df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    else:
        _write_xlsx_deterministic(df, path)


def _find_file(folder: Path, stem: str) -> Path | None:
    found = [folder / f"{stem}{suffix}" for suffix in TABLE_SUFFIXES if (folder / f"{stem}{suffix}").exists()]
    if (folder / stem).is_dir():
        found.append(folder / stem)  # a partitioned Parquet table: <stem>/part-*.parquet or <stem>/key=value/...
    if len(found) > 1:
        raise StudyFolderError(
            f"{folder}: table {stem!r} is given by more than one file ({', '.join(p.name for p in found)}); keep one"
        )
    return found[0] if found else None


def load_study(path: str | Path, *, validate: bool = False, lazy: bool | None = None) -> Study:
    """Load a study folder.

    Values that cannot be read as their column's type become missing and are
    reported by :meth:`Study.validate` (nothing is changed silently). With
    ``validate=True`` a :class:`StudyValidationError` is raised if any rule is
    broken.

    A table may be one file (``activities.csv``, ``activities.parquet`` …) or a
    folder of Parquet parts (``activities/part-0.parquet``, or hive partitions
    ``activities/county_id=C01/part-0.parquet``). ``lazy`` says which Parquet
    log tables (:data:`~fusion_study.data.lazy.LOG_TABLES`: activities, tickets,
    member points, evaluations) stay on disk as
    :class:`~fusion_study.data.lazy.LazyTable` (read through DuckDB, see
    :mod:`fusion_study.data.lazy`): ``None`` (default) those given as a folder
    or as a file of at least :data:`~fusion_study.data.lazy.LAZY_THRESHOLD_BYTES`;
    ``True`` all of them; ``False`` none. Every other table, and every table not
    kept lazy, is read into pandas (a folder's rows numbered across its parts in
    path order); CSV and Excel tables always are. Type problems of a lazy table
    are found by :meth:`Study.validate`.
    """
    if lazy not in (None, True, False):
        raise ValueError(f"lazy must be None (folders and large Parquet files), True or False, got {lazy!r}")
    folder = Path(path)
    if not folder.is_dir():
        raise StudyFolderError(f"{folder}: not a folder; a study is a folder with one file per table")
    log = ProblemLog()
    tables: dict[str, pd.DataFrame | LazyTable] = {}
    files: dict[str, str] = {}
    encodings: dict[str, str] = {}
    con = None
    for name, spec in TABLES.items():
        file = _find_file(folder, name)
        if file is None:
            continue
        if file.is_dir() or file.suffix.lower() == ".parquet":
            parts = parquet_files(file) if file.is_dir() else [file]
            big = file.is_dir() or file.stat().st_size >= LAZY_THRESHOLD_BYTES
            if name in LOG_TABLES and (lazy or (lazy is None and big)):
                try:
                    table = LazyTable(parts, spec=spec, root=folder, con=con)
                except Exception as exc:  # duckdb raises several types
                    raise StudyFolderError(f"{file}: not a readable Parquet table ({exc})") from None
                con = table._con
                tables[name], files[name] = table, table.file
                continue
            if file.is_dir():
                raw = LazyTable(parts, spec=spec, root=folder).raw_frame()
                raw.columns = [canonical_header(c, spec) for c in raw.columns]
                files[name] = file.name
                tables[name] = coerce_to_schema(raw, spec, file=file.name, log=log)
                continue
        try:
            raw, info = read_table_file(file, spec)
        except TableReadError as exc:
            raise StudyFolderError(str(exc)) from None
        files[name] = info["file"]
        if info["encoding"]:
            encodings[name] = info["encoding"]
        tables[name] = coerce_to_schema(raw, spec, file=info["file"], log=log)
    codebook = None
    cb_file = _find_file(folder, "codebook")
    if cb_file is not None:
        raw, info = read_table_file(cb_file, CODEBOOK)
        files["codebook"] = info["file"]
        codebook = coerce_to_schema(raw, CODEBOOK, file=info["file"], log=log)
    if not tables:
        raise StudyFolderError(
            f"{folder}: no table files found; expected files such as units.csv, customers.csv "
            f"(known tables: {', '.join(TABLES)})"
        )
    meta = {}
    meta_file = folder / "study.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    ledger = Ledger()
    ledger_file = folder / "ledger.csv"
    if ledger_file.exists():
        led = pd.read_csv(ledger_file, encoding="utf-8-sig", dtype={"detail": "string"}, keep_default_na=False)
        for (table, rule, action, source_file), part in led.groupby(
            ["table", "rule", "action", "source_file"], sort=False
        ):
            ledger.record(
                table, part["source_row"].to_numpy(), rule=rule, action=action,
                detail=part["detail"].to_numpy(), source_file=source_file,
            )
    for table, n in (meta.get("rows_read") or {}).items():
        ledger.record_read(table, n)
    study = Study(
        tables,
        codebook,
        name=meta.get("name", folder.name),
        files=files,
        ledger=ledger,
        meta={k: v for k, v in meta.items() if k not in ("rows_read", "name", "format_version")},
        load_problems=log,
    )
    study.encodings = encodings
    if validate:
        study.validate(raise_on_error=True)
    return study
