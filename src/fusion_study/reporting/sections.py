"""Report sections: analysis modules register them; the report builder renders them.

An analysis package adds its part of ``fusion-study report`` without touching
the report code: it holds a module named ``report`` (for example
``fusion_study/index/report.py`` or ``fusion_study/members/report.py``) that
registers a builder::

    from fusion_study.reporting.sections import Figure, Section, Table, Text, register_section

    @register_section("index", order=40, title_zh="党业融合指数", title_en="Integration index")
    def build(study, ctx):
        yield Text(zh="……", en="…")
        yield Table("index_scores", frame, caption_zh="…", caption_en="…", notes_zh="…", notes_en="…")
        yield Figure("index_ranks", fig, caption_zh="…", caption_en="…")

:func:`discover_sections` imports every such module. The builder receives the
study — already screened once by the report (:func:`fusion_study.ingest.screen_study`) —
and a :class:`ReportContext` (language, seed, small-cell threshold, the screening
ledger) and yields blocks; it must be deterministic for a given study and seed.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pandas as pd

__all__ = [
    "Text",
    "Table",
    "Figure",
    "Section",
    "SectionSkipped",
    "ReportContext",
    "missing_needs",
    "register_section",
    "registered_sections",
    "discover_sections",
]


@dataclass
class Text:
    """A paragraph (plain text; blank lines separate paragraphs)."""

    zh: str
    en: str = ""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" or not self.en else self.en


@dataclass
class Table:
    """A publication table from a tidy DataFrame.

    ``n_column`` names the column holding each row's respondent count, for
    small-cell suppression; ``decimals`` maps columns to display decimals;
    ``p_column`` holds p-values (formatted, starred, note added);
    ``group_column`` is shown once per run of equal values.
    """

    name: str
    frame: pd.DataFrame
    caption_zh: str = ""
    caption_en: str = ""
    notes_zh: str = ""
    notes_en: str = ""
    n_column: str | None = None
    decimals: dict[str, int] = field(default_factory=dict)
    p_column: str | None = None
    group_column: str | None = None

    def caption(self, lang: str) -> str:
        return self.caption_zh if lang == "zh" or not self.caption_en else self.caption_en

    def notes(self, lang: str) -> str:
        return self.notes_zh if lang == "zh" or not self.notes_en else self.notes_en


@dataclass
class Figure:
    """A matplotlib figure with a caption; the builder closes it after saving."""

    name: str
    figure: Any
    caption_zh: str = ""
    caption_en: str = ""

    def caption(self, lang: str) -> str:
        return self.caption_zh if lang == "zh" or not self.caption_en else self.caption_en


@dataclass
class ReportContext:
    """What every section builder may use.

    ``extra["screening_ledger"]``: the ledger of the report's one screening step
    (:func:`fusion_study.ingest.screen_study`); the study a section receives is
    already screened, so sections never screen again. ``weights``: the study-level
    weighting switch (:data:`fusion_study.survey.study.WEIGHTINGS`): ``"rake"`` weights
    the customer-survey descriptives and means to the customers table, ``None`` leaves
    every response weight 1.
    """

    lang: str = "zh"
    seed: int = 20240101
    min_cell: int = 5
    quick: bool = False
    weights: str | None = "rake"
    extra: dict = field(default_factory=dict)


Block = Text | Table | Figure
Builder = Callable[[Any, ReportContext], Iterable[Block]]


class SectionSkipped(Exception):
    """Raised by a builder when the study cannot support the section (not a failure).

    The report shows the sentence (in the report's language) in place of the
    section, without an error box; the command line does not count it as failed.
    """

    def __init__(self, zh: str, en: str = ""):
        super().__init__(en or zh)
        self.zh = zh
        self.en = en or zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Section:
    """A registered report section.

    ``needs`` maps each study table the section cannot do without to the columns
    it needs there (an empty tuple: any columns); ``what_zh``/``what_en`` say what
    is not done without them ("估计干预效应" / "intervention effects were not
    estimated"), for the sentence shown when something is missing.
    """

    key: str
    order: int
    title_zh: str
    title_en: str
    build: Builder
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    what_zh: str = "生成本节"
    what_en: str = "this section was not produced"

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def skip_reason(self, study) -> SectionSkipped | None:
        """The plain-language reason this study cannot support the section, or ``None``."""
        missing = missing_needs(study, self.needs)
        if not missing:
            return None
        from fusion_study.reporting.labels import label

        tables = [t for t, cols in missing.items() if cols is None]
        if tables:
            zh_t = "、".join(f"{label(t, 'zh')}表 {t}" for t in tables)
            en_t = ", ".join(f"the {t} table ({label(t, 'en')})" for t in tables)
            return SectionSkipped(
                zh=f"本节需要{zh_t}，本研究未提供，因此未{self.what_zh}。",
                en=f"This section needs {en_t}, which this study does not provide, so {self.what_en}.",
            )
        parts_zh, parts_en = [], []
        for t, cols in missing.items():
            parts_zh.append(f"{label(t, 'zh')}表 {t} 中的列 {'、'.join(cols)}")
            parts_en.append(f"column(s) {', '.join(cols)} of the {t} table")
        return SectionSkipped(
            zh=f"本节需要{'；'.join(parts_zh)}，本研究未提供，因此未{self.what_zh}。",
            en=f"This section needs {'; '.join(parts_en)}, which this study does not provide, so {self.what_en}.",
        )


def missing_needs(study, needs: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...] | None]:
    """What ``study`` lacks of ``needs``: table -> ``None`` (table absent or empty) or the missing columns."""
    out: dict[str, tuple[str, ...] | None] = {}
    for table, cols in needs.items():
        frame = study.tables.get(table) if hasattr(study, "tables") else None
        if frame is None or len(frame) == 0:
            out[table] = None
            continue
        lacking = tuple(c for c in cols if c not in frame.columns or _all_missing(frame, c))
        if lacking:
            out[table] = lacking
    return out


def _all_missing(frame, column: str) -> bool:
    from fusion_study.data.lazy import is_lazy

    return frame.all_missing(column) if is_lazy(frame) else bool(frame[column].isna().all())


_REGISTRY: dict[str, Section] = {}


def register_section(
    key: str,
    *,
    order: int,
    title_zh: str,
    title_en: str,
    needs: dict[str, tuple[str, ...]] | None = None,
    what_zh: str = "生成本节",
    what_en: str = "this section was not produced",
) -> Callable[[Builder], Builder]:
    """Decorator: register ``build(study, ctx) -> iterable of blocks`` as a report section.

    ``needs`` declares the tables (and their columns) without which the section is
    skipped with one plain sentence instead of being built (see :class:`Section`);
    a builder may also raise :class:`SectionSkipped` for conditions that are not
    about presence (e.g. no treatment varies within units).
    """

    def deco(func: Builder) -> Builder:
        _REGISTRY[key] = Section(key, order, title_zh, title_en, func, dict(needs or {}), what_zh, what_en)
        return func

    return deco


def registered_sections() -> list[Section]:
    """Registered sections, in report order."""
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


def discover_sections() -> list[Section]:
    """Import the overview and every analysis package's ``report`` module; return the sections.

    An analysis package ``fusion_study.<package>`` contributes a section by holding a
    ``report.py``; nothing else is searched (old import paths kept for one release are skipped).
    """
    import importlib.util

    import fusion_study
    from fusion_study._moved import MOVED

    importlib.import_module("fusion_study.reporting.overview")
    for info in pkgutil.iter_modules(fusion_study.__path__, prefix="fusion_study."):
        if not info.ispkg or info.name in MOVED:
            continue
        if importlib.util.find_spec(f"{info.name}.report") is not None:
            importlib.import_module(f"{info.name}.report")
    return registered_sections()
