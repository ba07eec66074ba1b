"""``build_report``: one self-contained HTML report from every registered section.

The report folder holds ``report.html`` (CSS inline, figures embedded as
base64 PNG, a table of contents), ``report.docx`` (the same sections as one Word
document: headings, paragraphs, three-line tables and figures in order),
``figures/*.png`` and ``tables/*.docx|xlsx``. Tables and figures are numbered
through the whole report (表1…/图1… in Chinese, Table 1…/Figure 1… in English)
in front of the caption each section gives.
Sections come from :func:`fusion_study.reporting.sections.discover_sections`,
in order. The study is screened once, first
(:func:`fusion_study.ingest.screen_study`): every section receives the screened
study, and the screening ledger as ``ctx.extra["screening_ledger"]``. A section
whose tables the study does not have (its ``needs``), or that raises
:class:`~fusion_study.reporting.sections.SectionSkipped`, is replaced by one
plain sentence saying what is missing and what was therefore not done
(:attr:`ReportResult.skipped`). A section that fails otherwise does not stop the
report: it is shown as an error box with a one-line message, listed in
:attr:`ReportResult.failed`, and its traceback goes to ``report.log`` in the
output folder (never to the console); the command line exits with status 1 in
that case (the report is still written).

The HTML and the Word document hold no absolute paths and no clock times, so
the same study and seed give the same bytes.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fusion_study import __version__
from fusion_study.reporting.figures import save_figure
from fusion_study.reporting.labels import check_lang, label
from fusion_study.reporting.sections import (
    Figure,
    ReportContext,
    Section,
    SectionSkipped,
    Table,
    Text,
    discover_sections,
)
from fusion_study.reporting.tables import format_table, to_html, write_table

__all__ = ["build_report", "render_report", "ReportResult"]

logger = logging.getLogger(__name__)

_ABS_PATH = re.compile(r"(?:[A-Za-z]:\\|(?<![\w.])/)(?:[^\s'\"<>:]+[/\\])+([^\s'\"<>/\\]*)")


@dataclass
class ReportResult:
    """Where the report went (``path``: report.html, ``docx``: report.docx), which sections failed
    (``key: message``) and which were skipped (``key: reason``)."""

    path: Path
    docx: Path | None = None
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def _scrub(text: str) -> str:
    """Replace absolute paths in a message by their last component."""
    return _ABS_PATH.sub(lambda m: m.group(1) or "…", str(text))


def _progress(iterable, *, total: int, desc: str, enabled: bool | None):
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, leave=False)


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;
 max-width:60rem;margin:2rem auto;padding:0 1.2rem;color:#222;line-height:1.6}
h1{font-size:1.7rem;border-bottom:2px solid #0072B2;padding-bottom:.3rem}
h2{font-size:1.3rem;margin-top:2.4rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
nav.toc{background:#f6f8fa;padding:.6rem 1.2rem;border-radius:4px}
nav.toc ol{margin:.2rem 0}
figure{margin:1.4rem 0;text-align:center}
figure img{max-width:100%;height:auto}
code{overflow-wrap:anywhere}
figcaption{font-size:.92rem;color:#444;margin-top:.3rem}
div.table-wrap{width:fit-content;max-width:100%;overflow-x:auto;margin:1.4rem auto}
table.three-line{border-collapse:collapse;margin:0 0 .3rem 0;font-size:.92rem;
 border-top:2px solid #000;border-bottom:2px solid #000}
table.three-line caption{font-weight:bold;padding-bottom:.4rem}
table.three-line th{border-bottom:1px solid #000;padding:.25rem .8rem;font-weight:bold}
table.three-line td{padding:.2rem .8rem;text-align:center}
table.three-line td:first-child,table.three-line th:first-child{text-align:left}
p.table-notes{font-size:.85rem;color:#444;margin:0 0 1.2rem 0}
div.error{border:2px solid #D55E00;background:#fff4ee;padding:.6rem 1rem;border-radius:4px}
div.error code{white-space:pre-wrap}
p.skipped{color:#555;font-style:italic}
footer{margin-top:3rem;font-size:.8rem;color:#777;border-top:1px solid #ddd;padding-top:.5rem}
"""


#: section failures with their tracebacks: written to ``report.log`` only, not to the console
_SECTION_LOG = logging.getLogger(__name__ + ".sections")
_SECTION_LOG.propagate = False


class _section_log:
    """Send section failures (with traceback) to ``path`` while the report is built; the file exists only if one failed."""

    def __init__(self, path: Path):
        self.path = path
        self.handler: logging.Handler | None = None

    def __enter__(self):
        self.handler = logging.FileHandler(self.path, encoding="utf-8", delay=True)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        _SECTION_LOG.addHandler(self.handler)
        _SECTION_LOG.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        _SECTION_LOG.removeHandler(self.handler)
        self.handler.close()
        return False


_TYPED_NUMBER = re.compile(r"^\s*(?:(?:表|图)\s*\d*\s*[：:.、]?|(?:Table|Figure)\s*\d*\s*[.:]?)\s*")


class _Numbering:
    """Running table and figure numbers of the report: 表1…/图1… (zh), Table 1…/Figure 1… (en)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.tables = 0
        self.figures = 0

    def caption(self, kind: str, text: str) -> str:
        """``text`` (a number typed in by a section is dropped) behind the next number of ``kind``."""
        if kind == "table":
            self.tables += 1
            k, zh, en = self.tables, "表", "Table"
        else:
            self.figures += 1
            k, zh, en = self.figures, "图", "Figure"
        text = _TYPED_NUMBER.sub("", str(text or ""), count=1)
        if self.lang == "zh":
            return f"{zh}{k} {text}".rstrip()
        return f"{en} {k}. {text}" if text else f"{en} {k}."


class _WordReport:
    """The report as one Word document, built block by block beside the HTML."""

    def __init__(self, title: str):
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        from fusion_study.reporting.tables import _new_document, _set_run_fonts

        self.doc = _new_document()
        self.title = title
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_fonts(p.add_run(title), size_pt=18, east_asia="黑体")
        p.runs[0].bold = True

    def heading(self, text: str) -> None:
        from fusion_study.reporting.tables import _set_run_fonts

        h = self.doc.add_heading(level=1)
        _set_run_fonts(h.add_run(text), size_pt=15, east_asia="黑体")

    def paragraph(self, text: str, italic: bool = False) -> None:
        from fusion_study.reporting.tables import _set_run_fonts

        run = self.doc.add_paragraph().add_run(text)
        run.italic = italic
        _set_run_fonts(run, size_pt=11)

    def table(self, table, lang: str) -> None:
        from fusion_study.reporting.tables import _add_table_block

        _add_table_block(self.doc, table, lang)

    def figure(self, png: Path, caption: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        from fusion_study.reporting.tables import _set_run_fonts

        self.doc.add_picture(str(png), width=Cm(15))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_fonts(p.add_run(caption), size_pt=10.5)

    def save(self, path: Path) -> Path:
        from fusion_study.reporting.tables import _save_document

        return _save_document(self.doc, path, title=self.title)


def _unique(name: str, used: set[str]) -> str:
    base, k = name, 2
    while name in used:
        name = f"{base}-{k}"
        k += 1
    used.add(name)
    return name


class _Rendered:
    """One section's output: HTML parts and the Word calls to replay (only once the section has finished)."""

    def __init__(self):
        self.html: list[str] = []
        self.word: list[tuple] = []

    def add(self, html_part: str, *word_call) -> None:
        self.html.append(html_part)
        if word_call:
            self.word.append(word_call)


def _render_section(section: Section, study, ctx: ReportContext, out_dir: Path, used: set[str],
                    result: ReportResult, numbers: _Numbering) -> _Rendered:
    """One section's blocks; raises whatever the builder raises (but :class:`SectionSkipped`)."""
    lang = ctx.lang
    out = _Rendered()
    reason = section.skip_reason(study)
    try:
        if reason is not None:
            raise reason
        _render_blocks(section, study, ctx, out_dir, used, result, out, numbers)
    except SectionSkipped as skip:
        result.skipped[section.key] = skip.text(lang)
        out.add(f'<p class="skipped">{html.escape(skip.text(lang))}</p>', "paragraph", skip.text(lang), True)
    return out


def _render_blocks(section, study, ctx, out_dir, used, result, out: _Rendered, numbers: _Numbering) -> None:
    import matplotlib.pyplot as plt

    lang = ctx.lang
    for block in section.build(study, ctx):
        if isinstance(block, Text):
            for para in block.text(lang).split("\n\n"):
                if para.strip():
                    out.add(f"<p>{html.escape(para.strip())}</p>", "paragraph", para.strip(), False)
        elif isinstance(block, Table):
            ft = format_table(
                block.frame, lang=lang, decimals=block.decimals or None, p_column=block.p_column,
                n_column=block.n_column, min_cell=ctx.min_cell, caption=numbers.caption("table", block.caption(lang)),
                notes=block.notes(lang), codebook=getattr(study, "codebook", None),
                group_column=getattr(block, "group_column", None),
            )
            name = _unique(block.name, used)
            write_table(ft, name, out_dir / "tables", formats=("docx", "xlsx"), lang=lang)
            result.tables.append(name)
            out.add(to_html(ft, lang=lang), "table", ft, lang)
        elif isinstance(block, Figure):
            name = _unique(block.name, used)
            try:
                (png,) = save_figure(block.figure, name, folder=out_dir / "figures")
            finally:
                plt.close(block.figure)
            result.figures.append(name)
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            caption = numbers.caption("figure", block.caption(lang))
            cap = html.escape(caption)
            out.add(
                f'<figure id="fig-{html.escape(name)}"><img alt="{cap}" src="data:image/png;base64,{data}">'
                f"<figcaption>{cap}</figcaption></figure>",
                "figure", png, caption,
            )
        else:
            raise TypeError(
                f"section {section.key!r} yielded a {type(block).__name__}; yield Text, Table or Figure blocks"
            )


def _screen_once(study, result: ReportResult):
    """The screened study and its screening ledger; a screening error is reported, not raised."""
    from fusion_study.ingest.screen import screen_study

    try:
        return screen_study(study)
    except Exception as exc:  # bad survey tables: the sections report what they can
        msg = _scrub(f"{type(exc).__name__}: {exc}")
        result.failed["screening"] = msg
        _SECTION_LOG.error("screening the study for the report failed: %s", msg, exc_info=True)
        return study, None


def build_report(
    study,
    out_dir,
    *,
    lang: str = "zh",
    seed: int = 20240101,
    min_cell: int = 5,
    sections: list[Section] | None = None,
    progress: bool | None = None,
    quick: bool = False,
    weights: str | None = "rake",
) -> Path:
    """Build the report of ``study`` into ``out_dir``; return the path of ``report.html``.

    See :func:`render_report` (which also returns the failed sections and the Word document).
    """
    return render_report(
        study, out_dir, lang=lang, seed=seed, min_cell=min_cell, sections=sections, progress=progress, quick=quick,
        weights=weights,
    ).path


def render_report(
    study,
    out_dir,
    *,
    lang: str = "zh",
    seed: int = 20240101,
    min_cell: int = 5,
    sections: list[Section] | None = None,
    progress: bool | None = None,
    quick: bool = False,
    weights: str | None = "rake",
) -> ReportResult:
    """Build the report and return a :class:`ReportResult`.

    The study is screened once (:func:`fusion_study.ingest.screen_study`:
    speeders, straight-liners, duplicates, out-of-range answers) before any
    section runs; sections get the screened study and ``ctx.extra["screening_ledger"]``.
    If screening itself fails, the failure is listed as ``"screening"`` in
    :attr:`ReportResult.failed` and the sections get the study as it is.

    Parameters
    ----------
    study : Study
    out_dir : path
        Receives ``report.html``, ``report.docx``, ``figures/`` and ``tables/``.
    lang : {"zh", "en"}
    seed : int
        Passed to every section (same seed → same report).
    min_cell : int
        Small-cell threshold: published figures from fewer respondents are suppressed.
    sections : list of Section, optional
        Default: every discovered section.
    progress : bool, optional
        Show a progress bar (default: only when stderr is a terminal).
    quick : bool
        Fewer bootstrap and simulation draws in the sections that use them (``ctx.quick``):
        for tests and previews, not for publication.
    weights : {"rake", None}
        The study-level weighting switch (``ctx.weights``). ``"rake"`` (default): the
        customer survey is weighted to the customers table's county and segment
        distribution (the known population) in the descriptive table of the overview
        and the survey section's means; ``None``: every response counts equally. The
        overview's first paragraph and each affected table say which was used.
        Reliability and the effect estimates are unweighted either way.

    Returns
    -------
    ReportResult
        ``path`` (report.html), ``docx`` (report.docx), ``failed``, ``skipped``, ``figures``, ``tables``.
    """
    import matplotlib as mpl

    from fusion_study.reporting.style import use_house_style

    check_lang(lang)
    if int(min_cell) < 1:
        raise ValueError(f"min_cell must be at least 1, got {min_cell}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if sections is None:
        sections = discover_sections()
    result = ReportResult(path=out_dir / "report.html", docx=out_dir / "report.docx")
    from fusion_study.survey.study import check_weighting

    ctx_args = dict(lang=lang, seed=seed, min_cell=int(min_cell), quick=bool(quick), weights=check_weighting(weights))
    used: set[str] = set()
    bodies = []
    numbers = _Numbering(lang)
    title = f"{label('report_title', lang)} — {study.name}"
    word = _WordReport(title)
    log_path = out_dir / "report.log"
    log_path.unlink(missing_ok=True)
    with mpl.rc_context(), _section_log(log_path):
        study, screening = _screen_once(study, result)
        use_house_style(lang=lang)
        for section in _progress(sections, total=len(sections), desc="report", enabled=progress):
            sec_title = section.title(lang)
            saved = (numbers.tables, numbers.figures)
            try:
                ctx = ReportContext(**ctx_args, extra={"screening_ledger": screening})
                rendered = _render_section(section, study, ctx, out_dir, used, result, numbers)
            except Exception as exc:  # a section's bug must not sink the report
                import matplotlib.pyplot as plt

                plt.close("all")
                numbers.tables, numbers.figures = saved  # a failed section's blocks are not shown
                msg = _scrub(f"{type(exc).__name__}: {exc}")
                result.failed[section.key] = msg
                _SECTION_LOG.error("report section %r failed: %s", section.key, msg, exc_info=True)
                rendered = _Rendered()
                rendered.add(
                    f'<div class="error"><strong>{html.escape(label("section_failed", lang))}</strong>'
                    f"<br><code>{html.escape(msg)}</code></div>",
                    "paragraph", f"{label('section_failed', lang)}: {msg}", False,
                )
            body = "\n".join(rendered.html)
            bodies.append(
                f'<section id="sec-{html.escape(section.key)}"><h2>{html.escape(sec_title)}</h2>\n{body}\n</section>'
            )
            word.heading(sec_title)
            for kind, *args in rendered.word:
                getattr(word, kind)(*args)
    toc = "".join(
        f'<li><a href="#sec-{html.escape(s.key)}">{html.escape(s.title(lang))}</a></li>' for s in sections
    )
    title = html.escape(title)
    doc = f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{title}</h1>
<nav class="toc"><strong>{label('contents', lang)}</strong><ol>{toc}</ol></nav>
{chr(10).join(bodies)}
<footer>fusion_study {html.escape(__version__)} · seed {int(seed)} · min_cell {int(min_cell)}</footer>
</body>
</html>
"""
    result.path.write_text(doc, encoding="utf-8")
    word.save(result.docx)
    return result
