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
    "ReportContext",
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
    already screened, so sections never screen again.
    """

    lang: str = "zh"
    seed: int = 20240101
    min_cell: int = 5
    quick: bool = False
    extra: dict = field(default_factory=dict)


Block = Text | Table | Figure
Builder = Callable[[Any, ReportContext], Iterable[Block]]


@dataclass
class Section:
    key: str
    order: int
    title_zh: str
    title_en: str
    build: Builder

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


_REGISTRY: dict[str, Section] = {}


def register_section(key: str, *, order: int, title_zh: str, title_en: str) -> Callable[[Builder], Builder]:
    """Decorator: register ``build(study, ctx) -> iterable of blocks`` as a report section."""

    def deco(func: Builder) -> Builder:
        _REGISTRY[key] = Section(key, order, title_zh, title_en, func)
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
