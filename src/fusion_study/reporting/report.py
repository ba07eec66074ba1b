"""``build_report``: one self-contained HTML report from every registered section.

The report folder holds ``report.html`` (CSS inline, figures embedded as
base64 PNG, a table of contents), ``figures/*.png`` and ``tables/*.docx|xlsx``.
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

The HTML holds no absolute paths and no clock times, so the same study and
seed give the same bytes.
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
    """Where the report went, which sections failed (``key: message``) and which were skipped (``key: reason``)."""

    path: Path
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


def _unique(name: str, used: set[str]) -> str:
    base, k = name, 2
    while name in used:
        name = f"{base}-{k}"
        k += 1
    used.add(name)
    return name


def _render_section(section: Section, study, ctx: ReportContext, out_dir: Path, used: set[str], result: ReportResult):
    """HTML of one section's blocks; raises whatever the builder raises (but :class:`SectionSkipped`)."""
    lang = ctx.lang
    parts: list[str] = []
    reason = section.skip_reason(study)
    try:
        if reason is not None:
            raise reason
        _render_blocks(section, study, ctx, out_dir, used, result, parts)
    except SectionSkipped as skip:
        result.skipped[section.key] = skip.text(lang)
        parts.append(f'<p class="skipped">{html.escape(skip.text(lang))}</p>')
    return "\n".join(parts)


def _render_blocks(section, study, ctx, out_dir, used, result, parts) -> None:
    import matplotlib.pyplot as plt

    lang = ctx.lang
    for block in section.build(study, ctx):
        if isinstance(block, Text):
            for para in block.text(lang).split("\n\n"):
                if para.strip():
                    parts.append(f"<p>{html.escape(para.strip())}</p>")
        elif isinstance(block, Table):
            ft = format_table(
                block.frame, lang=lang, decimals=block.decimals or None, p_column=block.p_column,
                n_column=block.n_column, min_cell=ctx.min_cell, caption=block.caption(lang),
                notes=block.notes(lang), codebook=getattr(study, "codebook", None),
                group_column=getattr(block, "group_column", None),
            )
            name = _unique(block.name, used)
            write_table(ft, name, out_dir / "tables", formats=("docx", "xlsx"), lang=lang)
            result.tables.append(name)
            parts.append(to_html(ft, lang=lang))
        elif isinstance(block, Figure):
            name = _unique(block.name, used)
            try:
                (png,) = save_figure(block.figure, name, folder=out_dir / "figures")
            finally:
                plt.close(block.figure)
            result.figures.append(name)
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            cap = html.escape(block.caption(lang))
            parts.append(
                f'<figure id="fig-{html.escape(name)}"><img alt="{cap}" src="data:image/png;base64,{data}">'
                f"<figcaption>{cap}</figcaption></figure>"
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
) -> Path:
    """Build the HTML report of ``study`` into ``out_dir``; return the path of ``report.html``.

    See :func:`render_report` (which also returns the failed sections).
    """
    return render_report(
        study, out_dir, lang=lang, seed=seed, min_cell=min_cell, sections=sections, progress=progress
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
        Receives ``report.html``, ``figures/`` and ``tables/``.
    lang : {"zh", "en"}
    seed : int
        Passed to every section (same seed → same report).
    min_cell : int
        Small-cell threshold: published figures from fewer respondents are suppressed.
    sections : list of Section, optional
        Default: every discovered section.
    progress : bool, optional
        Show a progress bar (default: only when stderr is a terminal).
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
    result = ReportResult(path=out_dir / "report.html")
    ctx_args = dict(lang=lang, seed=seed, min_cell=int(min_cell))
    used: set[str] = set()
    bodies = []
    log_path = out_dir / "report.log"
    log_path.unlink(missing_ok=True)
    with mpl.rc_context(), _section_log(log_path):
        study, screening = _screen_once(study, result)
        use_house_style(lang=lang)
        for section in _progress(sections, total=len(sections), desc="report", enabled=progress):
            title = html.escape(section.title(lang))
            try:
                ctx = ReportContext(**ctx_args, extra={"screening_ledger": screening})
                body = _render_section(section, study, ctx, out_dir, used, result)
            except Exception as exc:  # a section's bug must not sink the report
                import matplotlib.pyplot as plt

                plt.close("all")
                msg = _scrub(f"{type(exc).__name__}: {exc}")
                result.failed[section.key] = msg
                _SECTION_LOG.error("report section %r failed: %s", section.key, msg, exc_info=True)
                body = (
                    f'<div class="error"><strong>{html.escape(label("section_failed", lang))}</strong>'
                    f"<br><code>{html.escape(msg)}</code></div>"
                )
            bodies.append(f'<section id="sec-{html.escape(section.key)}"><h2>{title}</h2>\n{body}\n</section>')
    toc = "".join(
        f'<li><a href="#sec-{html.escape(s.key)}">{html.escape(s.title(lang))}</a></li>' for s in sections
    )
    title = f"{label('report_title', lang)} — {html.escape(str(study.name))}"
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
    return result
