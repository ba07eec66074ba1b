"""Adding an import to a study folder: append rows, merge the ledger and codebook, save."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fusion_study.data.ledger import Ledger
from fusion_study.data.privacy import assert_no_pii
from fusion_study.data.study import Study, load_study
from fusion_study.data.validation import item_types
from fusion_study.ingest.importer import ImportResult

__all__ = ["add_to_study", "DuplicateImportError"]


class DuplicateImportError(ValueError):
    """The import's response ids are already in the study (the same export imported twice?)."""


def _merge_codebook(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    # text and id questions are not study columns: the study's codebook keeps the scored items
    new = new[item_types(new).eq("scale").to_numpy()].drop(columns=["type"], errors="ignore")
    if existing is None:
        return new.reset_index(drop=True)
    missing = new[~new["item_id"].isin(existing["item_id"])]
    if missing.empty:
        return existing
    return pd.concat([existing.reset_index(drop=True), missing.reset_index(drop=True)], ignore_index=True)


def _screen_against_study(result: ImportResult, new: pd.DataFrame, old: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """Responses whose respondent already answered this wave in the study are duplicates too."""
    respondent = next(c for c in ("customer_id", "staff_id") if c in new.columns)
    if respondent not in old.columns or "wave" not in old.columns:
        return new
    first = old.drop_duplicates([respondent, "wave"]).set_index([respondent, "wave"])["response_id"]
    keys = pd.MultiIndex.from_frame(new[[respondent, "wave"]])
    hit = keys.isin(first.index)
    if not hit.any():
        return new
    detail = ("same " + respondent + " and wave as response " + first.reindex(keys[hit]).astype(str)
              + " already in the study").to_numpy()
    action = "flagged" if result.policy == "flag" else "excluded"
    ledger.record(result.table, new.index[hit], rule="screening:duplicate", action=action, detail=detail,
                  source_file=result.file)
    if action == "flagged":
        out = new.copy()
        if "flag_duplicate" in out.columns:
            out.loc[hit, "flag_duplicate"] = True
        return out
    return new.loc[~hit]


def add_to_study(result: ImportResult, study: str | Path, codebook: pd.DataFrame, *, format: str | None = None) -> Study:
    """Append an :class:`ImportResult` to the study folder ``study`` and save it.

    The folder is created when it does not exist. The survey table gains the
    kept rows (response ids must be new: otherwise :class:`DuplicateImportError`
    names them); a response whose respondent already answered the same wave in
    the study is a duplicate submission (ledger rule ``screening:duplicate``,
    excluded or, under the import's ``"flag"`` policy, flagged). The ledger
    gains the import's entries and rows read, and the codebook gains the
    instrument's scale items it lacks (text and id questions are not study
    columns; their answers stay in ``result.free_text``). ``format`` defaults to the format of the
    study's existing survey table, else CSV. A study marked as screened
    (:func:`~fusion_study.ingest.screen_study`) loses the mark, since the new
    rows have not been screened with the study's other responses.

    Returns the saved :class:`~fusion_study.data.study.Study`.
    """
    folder = Path(study)
    has_tables = folder.is_dir() and any(
        p.suffix in (".csv", ".parquet", ".xlsx") and p.stem != "codebook" for p in folder.iterdir()
    )
    if has_tables:
        current = load_study(folder)
    else:  # a new study; a codebook the user already put there keeps its file and format
        own = sorted(p.name for p in folder.glob("codebook.*") if p.suffix in (".csv", ".parquet", ".xlsx")) \
            if folder.is_dir() else []
        current = Study({}, None, name=folder.name, files={"codebook": own[0]} if own else None)
    table = result.table
    new_rows = result.responses
    assert_no_pii(new_rows, where=f"adding {result.file} to {folder}")
    ledger = Ledger()
    ledger.extend(current.ledger)
    ledger.extend(result.ledger)
    if table in current.tables:
        old = current.tables[table]
        clash = new_rows["response_id"][new_rows["response_id"].isin(old["response_id"])]
        if len(clash):
            examples = ", ".join(clash.head(5).astype(str))
            raise DuplicateImportError(
                f"{result.file}: {len(clash)} response id(s) are already in {folder / current.files.get(table, table)} "
                f"(e.g. {examples}); was this export imported before? Use id_prefix= to import a different "
                "export of the same wave"
            )
        new_rows = _screen_against_study(result, new_rows, old, ledger)
        combined = pd.concat([old.reset_index(drop=True), new_rows.reset_index(drop=True)], ignore_index=True)
    else:
        combined = new_rows.reset_index(drop=True)
    tables = dict(current.tables)
    tables[table] = combined
    if format is None:
        suffix = Path(current.files.get(table, current.files.get("units", "x.csv"))).suffix.lstrip(".")
        format = suffix if suffix in ("csv", "parquet", "xlsx") else "csv"
    merged = Study(
        tables,
        _merge_codebook(current.codebook, codebook),
        name=current.name,
        files=current.files,
        ledger=ledger,
        # the new rows have not been through screen_study: drop its mark so that it runs again
        meta={k: v for k, v in current.meta.items() if k != "screening"},
    )
    merged.save(folder, format=format)
    return merged
