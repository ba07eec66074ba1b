"""Publication tables from tidy DataFrames: Word three-line tables (三线表), Excel, LaTeX, Markdown, HTML.

:func:`format_table` turns a tidy frame into a :class:`FormattedTable` (display
strings, bilingual headers, notes): per-column decimals, p-value stars and their
note, and **small-cell suppression** — every figure in a row computed from fewer
than ``min_cell`` respondents (``n_column``) is replaced by "—" and footnoted.
The writers (:func:`to_docx`, :func:`to_xlsx`, :func:`to_csv`, :func:`to_latex`,
:func:`to_markdown`, :func:`to_html`) never export a PII column
(:func:`fusion_study.data.privacy.assert_no_pii`) and neutralise spreadsheet
formulas in text cells (:func:`fusion_study.data.privacy.neutralise_formulas`).
Word and Excel files have fixed timestamps, so the same table gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.data.privacy import assert_no_pii, neutralise_formulas
from fusion_study.reporting.labels import check_lang, label

__all__ = [
    "FormattedTable",
    "format_table",
    "stars",
    "to_docx",
    "to_docx_tables",
    "to_xlsx",
    "to_xlsx_tables",
    "to_csv",
    "to_latex",
    "to_markdown",
    "to_html",
    "write_table",
    "SUPPRESSED",
]

SUPPRESSED = "—"
_FIXED_TIME = _dt.datetime(2000, 1, 1)
_TOP_BOTTOM_SZ = 12  # eighths of a point: 1.5 pt
_HEADER_SZ = 6  # 0.75 pt


def stars(p) -> str:
    """Significance stars: ``*`` p<.05, ``**`` p<.01, ``***`` p<.001.

    >>> [stars(p) for p in (0.2, 0.04, 0.009, 0.0001, float("nan"))]
    ['', '*', '**', '***', '']
    """
    if p is None or pd.isna(p):
        return ""
    p = float(p)
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


@dataclass
class FormattedTable:
    """A table ready to publish.

    ``display`` holds strings (what docx/LaTeX/Markdown/HTML show); ``values``
    holds the same cells with numbers kept as numbers and suppressed cells as
    "—" (what xlsx/csv store); ``headers`` are the labelled column names.
    """

    display: pd.DataFrame
    values: pd.DataFrame
    headers: list[str]
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    decimals: dict[str, int] = field(default_factory=dict)
    n_suppressed: int = 0

    def notes_text(self, lang: str = "zh") -> str:
        prefix = label("note", lang) + ("：" if lang == "zh" else ": ")
        return prefix + " ".join(self.notes) if self.notes else ""


def _fmt_number(v, decimals: int) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)) and decimals == 0:
        return f"{int(v):d}"
    return f"{float(v):.{decimals}f}"


def _fmt_p(v) -> str:
    if v is None or pd.isna(v):
        return ""
    return "<.001" if float(v) < 0.001 else f"{float(v):.3f}"


def format_table(
    data: pd.DataFrame,
    *,
    lang: str = "zh",
    decimals: dict[str, int] | None = None,
    p_column: str | None = None,
    star_column: str | None = None,
    n_column: str | None = None,
    min_cell: int = 5,
    caption: str = "",
    notes: str = "",
    codebook: pd.DataFrame | None = None,
    group_column: str | None = None,
) -> FormattedTable:
    """Format a tidy frame for publication.

    Parameters
    ----------
    data : DataFrame
        One row per table row; columns in display order. Headers are labelled
        from the catalogue (:func:`fusion_study.reporting.labels.label`).
    lang : {"zh", "en"}
    decimals : dict, optional
        Display decimals per column (default 0 for integer columns, 2 for floats).
    p_column : str, optional
        Column of p-values: shown as ``.012`` / ``<.001``; stars are added to
        ``star_column`` (default the p column itself) and their note added.
    n_column : str, optional
        Respondent count of each row. Rows with ``n < min_cell`` have every
        numeric cell (the count shown as ``<k``) suppressed and footnoted.
    min_cell : int
        Smallest publishable count (default 5).
    caption, notes : str
        Caption (above the table) and notes (below it).
    codebook : DataFrame, optional
        Labels item-id headers with the items' text.
    group_column : str, optional
        A grouping column whose repeats are shown once (blank below the first
        row of each run), as in a sample-profile table.

    Returns
    -------
    FormattedTable

    Raises
    ------
    fusion_study.data.privacy.PrivacyError
        If ``data`` has a column holding personal data.
    """
    check_lang(lang)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"format_table needs a DataFrame, got {type(data).__name__}")
    assert_no_pii(data, where="table export")
    for opt, col in (("p_column", p_column), ("star_column", star_column), ("n_column", n_column),
                     ("group_column", group_column)):
        if col is not None and col not in data.columns:
            raise ValueError(f"{opt}={col!r} is not a column of the table; columns: {list(data.columns)}")
    if decimals:
        unknown = sorted(set(decimals) - set(map(str, data.columns)))
        if unknown:
            raise ValueError(f"decimals names unknown columns {unknown}; columns: {list(data.columns)}")
    if int(min_cell) < 1:
        raise ValueError(f"min_cell must be at least 1, got {min_cell}")
    data = data.reset_index(drop=True)
    dec: dict[str, int] = {}
    numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])]
    for c in numeric:
        dec[c] = (decimals or {}).get(c, 0 if pd.api.types.is_integer_dtype(data[c]) else 2)
    if n_column is not None:
        n = pd.to_numeric(data[n_column], errors="coerce")
        small = (n < min_cell).fillna(False).to_numpy()
    else:
        small = np.zeros(len(data), dtype=bool)
    display = pd.DataFrame(index=data.index)
    values = pd.DataFrame(index=data.index)
    n_supp = 0
    for c in data.columns:
        s = data[c]
        if c in numeric:
            if c == p_column:
                shown = s.map(_fmt_p)
            else:
                shown = s.map(lambda v, d=dec[c]: _fmt_number(v, d))
            vals = s.astype("object").where(s.notna(), None)
            if small.any():
                repl = f"<{min_cell}" if c == n_column else SUPPRESSED
                shown = shown.where(~small, repl)
                vals = vals.where(~small, repl)
                n_supp += int(small.sum())
        else:
            shown = s.astype("object").map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
            vals = s.astype("object").where(s.notna(), None)
        display[c] = shown.astype("object")
        values[c] = vals.astype("object")
    note_parts = [notes] if notes else []
    if p_column is not None:
        target = star_column or p_column
        st = data[p_column].map(stars)
        display[target] = [d if d in ("", SUPPRESSED) else d + s_ for d, s_ in zip(display[target], st)]
        note_parts.append(label("stars_note", lang))
    if small.any():
        note_parts.append(label("suppressed_note", lang).format(k=min_cell))
    if group_column is not None:
        g = display[group_column]
        display[group_column] = g.where(g.ne(g.shift()), "")
    headers = [label(c, lang, codebook=codebook) for c in data.columns]
    return FormattedTable(
        display=display, values=values, headers=headers, caption=caption, notes=note_parts,
        decimals=dec, n_suppressed=n_supp,
    )


# ---------------------------------------------------------------------------
# Word three-line table
# ---------------------------------------------------------------------------
def _set_run_fonts(run, *, size_pt: float, east_asia: str = "宋体", latin: str = "Times New Roman") -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = latin
    run.font.size = Pt(size_pt)
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:  # pragma: no cover - font.name creates it
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr, val in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        rfonts.set(qn(attr), val)


def _border_el(parent, tag: str, *, sz: int | None):
    from docx.oxml.ns import qn

    el = parent.makeelement(qn(f"w:{tag}"), {})
    if sz is None:
        el.set(qn("w:val"), "nil")
    else:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(sz))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    parent.append(el)
    return el


def _add_three_line_table(doc, table: FormattedTable, *, font_pt: float = 10.5) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    nrows, ncols = len(table.display) + 1, len(table.headers)
    t = doc.add_table(rows=nrows, cols=ncols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    tblPr = t._tbl.tblPr
    for old in tblPr.findall(qn("w:tblStyle")) + tblPr.findall(qn("w:tblBorders")):
        tblPr.remove(old)
    borders = tblPr.makeelement(qn("w:tblBorders"), {})
    _border_el(borders, "top", sz=_TOP_BOTTOM_SZ)
    _border_el(borders, "left", sz=None)
    _border_el(borders, "bottom", sz=_TOP_BOTTOM_SZ)
    _border_el(borders, "right", sz=None)
    _border_el(borders, "insideH", sz=None)
    _border_el(borders, "insideV", sz=None)
    tblPr.append(borders)
    rows = [table.headers] + table.display.astype(str).values.tolist()
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            cell = t.cell(i, j)
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            _set_run_fonts(para.add_run(str(text)), size_pt=font_pt)
            if i == 0:
                tcPr = cell._tc.get_or_add_tcPr()
                tcb = tcPr.makeelement(qn("w:tcBorders"), {})
                _border_el(tcb, "bottom", sz=_HEADER_SZ)
                tcPr.append(tcb)


def to_docx(table: FormattedTable, path, *, lang: str = "zh") -> Path:
    """Write a Word document holding the caption, the three-line table and its notes.

    Rules: 1.5 pt above and below the table, 0.75 pt under the header, no
    vertical or inside lines. Text: 宋体 (SimSun, ``w:eastAsia``) with Times New
    Roman for Latin letters and numbers; caption above (bold), notes below (9 pt).
    """
    doc = _new_document()
    _add_table_block(doc, table, lang)
    return _save_document(doc, path, title=table.caption)


def to_docx_tables(tables, path, *, lang: str = "zh", title: str = "") -> Path:
    """Write several three-line tables (each with its caption and notes) into one Word document.

    ``title`` (optional) is a heading above the first table. Same styling and fixed
    timestamps as :func:`to_docx`.
    """
    tables = list(tables)
    if not tables or not all(isinstance(t, FormattedTable) for t in tables):
        raise TypeError("to_docx_tables needs a non-empty list of FormattedTable (see format_table)")
    doc = _new_document()
    if title:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        r = p.add_run(title)
        r.bold = True
        _set_run_fonts(r, size_pt=14, east_asia="黑体")
    for i, table in enumerate(tables):
        if i:
            doc.add_paragraph()
        _add_table_block(doc, table, lang)
    return _save_document(doc, path, title=title or tables[0].caption)


def _new_document():
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    return doc


def _add_table_block(doc, table: FormattedTable, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if table.caption:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        r = p.add_run(table.caption)
        r.bold = True
        _set_run_fonts(r, size_pt=10.5, east_asia="黑体")
    _add_three_line_table(doc, table)
    if table.notes:
        p = doc.add_paragraph()
        _set_run_fonts(p.add_run(table.notes_text(lang)), size_pt=9)


def _save_document(doc, path, *, title: str) -> Path:
    cp = doc.core_properties
    cp.created = _FIXED_TIME
    cp.modified = _FIXED_TIME
    cp.last_printed = _FIXED_TIME
    cp.author = "fusion_study"
    cp.last_modified_by = "fusion_study"
    cp.revision = 1
    cp.title = title
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    _fix_zip_times(path)
    return path


def _fix_zip_times(path: Path) -> None:
    from fusion_study.data.xlsxio import fix_zip_times

    fix_zip_times(path)


# ---------------------------------------------------------------------------
# Spreadsheets
# ---------------------------------------------------------------------------
def _safe_values(table: FormattedTable) -> pd.DataFrame:
    """Values with text cells neutralised (numbers stay numbers)."""
    out = table.values.copy()
    for c in out.columns:
        s = out[c]
        is_text = s.map(lambda v: isinstance(v, str))
        if is_text.any():
            fixed = neutralise_formulas(pd.DataFrame({"v": s[is_text].astype(str)}))["v"]
            out.loc[is_text, c] = fixed.astype(object).to_numpy()
    return out


def to_xlsx(table: FormattedTable, path, *, lang: str = "zh") -> Path:
    """Write an Excel sheet: caption row, header row, data (numbers as numbers), notes."""
    wb = _new_workbook()
    ws = wb.active
    ws.title = "table"
    _write_sheet(ws, table, lang)
    return _save_workbook(wb, path)


def to_xlsx_tables(tables, path, *, lang: str = "zh", sheet_names=None) -> Path:
    """Write several tables into one workbook, one sheet each (as :func:`to_xlsx`).

    ``sheet_names`` defaults to ``table1, table2, ...``; names are cut to Excel's 31 characters.
    """
    tables = list(tables)
    if not tables or not all(isinstance(t, FormattedTable) for t in tables):
        raise TypeError("to_xlsx_tables needs a non-empty list of FormattedTable (see format_table)")
    names = list(sheet_names) if sheet_names is not None else [f"table{i + 1}" for i in range(len(tables))]
    if len(names) != len(tables) or len({str(n)[:31] for n in names}) != len(names):
        raise ValueError(f"sheet_names must give {len(tables)} distinct names (31 characters at most), got {names}")
    bad = [n for n in names if any(ch in str(n) for ch in "[]:*?/\\")]
    if bad:
        raise ValueError(f"sheet names {bad} contain a character Excel forbids ([ ] : * ? / \\)")
    wb = _new_workbook()
    for i, (table, name) in enumerate(zip(tables, names)):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = str(name)[:31]
        _write_sheet(ws, table, lang)
    return _save_workbook(wb, path)


def _new_workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "fusion_study"
    return wb


def _save_workbook(wb, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    _fix_zip_times(path)
    return path


def _write_sheet(ws, table: FormattedTable, lang: str) -> None:
    from openpyxl.styles import Border, Font, Side

    vals = _safe_values(table)
    r = 1
    if table.caption:
        ws.cell(row=1, column=1, value=neutralise_formulas(pd.DataFrame({"v": [table.caption]}))["v"][0])
        ws.cell(row=1, column=1).font = Font(bold=True)
        r = 2
    thick, thin = Side(style="medium"), Side(style="thin")
    safe_headers = neutralise_formulas(pd.DataFrame({"v": table.headers}))["v"].tolist()
    for j, h in enumerate(safe_headers, start=1):
        cell = ws.cell(row=r, column=j, value=h)
        cell.border = Border(top=thick, bottom=thin)
        cell.font = Font(bold=True)
    for i, row in enumerate(vals.itertuples(index=False), start=r + 1):
        for j, (col, v) in enumerate(zip(vals.columns, row), start=1):
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (np.floating,)):
                v = float(v)
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, float) and col in table.decimals:
                d = table.decimals[col]
                cell.number_format = "0" if d == 0 else "0." + "0" * d
            if i == r + len(vals):
                cell.border = Border(bottom=thick)
    if table.notes:
        ws.cell(row=r + len(vals) + 1, column=1,
                value=neutralise_formulas(pd.DataFrame({"v": [table.notes_text(lang)]}))["v"][0])


def to_csv(table: FormattedTable, path) -> Path:
    """Write the values as UTF-8 CSV with BOM (Excel-safe: formulas neutralised)."""
    vals = _safe_values(table)
    vals.columns = table.headers
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    vals.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


# ---------------------------------------------------------------------------
# Text formats
# ---------------------------------------------------------------------------
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(table: FormattedTable, *, lang: str = "zh") -> str:
    r"""A booktabs table (``\toprule``, ``\midrule``, ``\bottomrule``; no vertical rules)."""
    ncols = len(table.headers)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if table.caption:
        lines.append(rf"\caption{{{_latex_escape(table.caption)}}}")
    lines.append(r"\begin{tabular}{l" + "c" * (ncols - 1) + "}")
    lines.append(r"\toprule")
    lines.append(" & ".join(_latex_escape(h) for h in table.headers) + r" \\")
    lines.append(r"\midrule")
    for row in table.display.astype(str).values.tolist():
        lines.append(" & ".join(_latex_escape(v) for v in row) + r" \\")
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}")
    if table.notes:
        lines.append(r"\par\smallskip{\footnotesize " + _latex_escape(table.notes_text(lang)) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_markdown(table: FormattedTable, *, lang: str = "zh") -> str:
    """A Markdown pipe table with the caption above and notes below."""

    def esc(v) -> str:
        return str(v).replace("|", r"\|").replace("\n", " ")

    out = []
    if table.caption:
        out += [f"**{esc(table.caption)}**", ""]
    out.append("| " + " | ".join(esc(h) for h in table.headers) + " |")
    out.append("|" + "|".join([":---"] + ["---:"] * (len(table.headers) - 1)) + "|")
    for row in table.display.astype(str).values.tolist():
        out.append("| " + " | ".join(esc(v) for v in row) + " |")
    if table.notes:
        out += ["", esc(table.notes_text(lang))]
    return "\n".join(out) + "\n"


def to_html(table: FormattedTable, *, lang: str = "zh") -> str:
    """An HTML three-line table (class ``three-line``) with caption and notes."""
    e = html.escape
    parts = ['<div class="table-wrap">', '<table class="three-line">']
    if table.caption:
        parts.append(f"<caption>{e(table.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in table.headers) + "</tr></thead><tbody>")
    for row in table.display.astype(str).values.tolist():
        parts.append("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>")
    parts.append("</tbody></table>")
    if table.notes:
        parts.append(f'<p class="table-notes">{e(table.notes_text(lang))}</p>')
    parts.append("</div>")
    return "\n".join(parts)


_WRITERS = ("docx", "xlsx", "csv", "tex", "md")


def write_table(table: FormattedTable, name: str, folder, *, formats=("docx", "xlsx"), lang: str = "zh") -> list[Path]:
    """Write ``FOLDER/NAME.<fmt>`` for each of ``formats`` (docx, xlsx, csv, tex, md)."""
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in _WRITERS]
    if bad:
        raise ValueError(f"unknown table format(s) {bad}; allowed: {_WRITERS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        if fmt == "docx":
            to_docx(table, path, lang=lang)
        elif fmt == "xlsx":
            to_xlsx(table, path, lang=lang)
        elif fmt == "csv":
            to_csv(table, path)
        elif fmt == "tex":
            path.write_text(to_latex(table, lang=lang), encoding="utf-8")
        else:
            path.write_text(to_markdown(table, lang=lang), encoding="utf-8")
        out.append(path)
    return out
