"""The house figure style: seaborn's clean grid, Chinese fonts, fixed sizes and DPI.

>>> from fusion_study.reporting.style import use_house_style
>>> _ = use_house_style(lang="en")
>>> import matplotlib as mpl
>>> mpl.rcParams["axes.unicode_minus"]
False
"""

from __future__ import annotations

import matplotlib as mpl

from fusion_study.reporting.fonts import cjk_font_family

__all__ = ["use_house_style", "HOUSE_PALETTE", "house_rc"]

#: Colour-blind-safe qualitative palette (Okabe–Ito), in the order figures use it.
HOUSE_PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

_LATIN_FALLBACK = "DejaVu Sans"


def house_rc(font_family: str) -> dict:
    """The rcParams the house style sets after ``seaborn.set_theme``."""
    return {
        # Families listed directly (not via the generic "sans-serif", which
        # matplotlib resolves to one font) so glyph fallback works: the CJK font
        # first, DejaVu Sans for what it lacks (Droid Sans Fallback has no ASCII).
        "font.family": [font_family, _LATIN_FALLBACK],
        "font.sans-serif": [font_family, _LATIN_FALLBACK, *mpl.rcParamsDefault["font.sans-serif"]],
        # CJK fonts often lack U+2212 (minus sign); use the ASCII hyphen.
        "axes.unicode_minus": False,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "figure.figsize": (6.4, 4.0),
        "figure.autolayout": False,
        "axes.titleweight": "normal",  # CJK fonts here have no bold face
        "axes.titlesize": 12,
        "axes.labelsize": 10.5,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 9.5,
        "legend.frameon": False,
        # Deterministic vector output (see figures.save_figure).
        "svg.hashsalt": "fusion_study",
        "pdf.fonttype": 42,
    }


def use_house_style(lang: str = "zh", *, font: str = "system", context: str = "notebook") -> str:
    """Apply the house style to matplotlib; return the CJK font family in use.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the figures to come. Chinese fonts are set up for both, as
        English figures may still show Chinese unit names.
    font : {"system", "bundled"}
        Prefer an installed CJK font (default) or always the bundled Noto Sans
        CJK SC (see :mod:`fusion_study.reporting.fonts`).
    context : {"paper", "notebook", "talk"}
        seaborn plotting context (overall scale of text and lines).

    ``seaborn.set_theme`` resets fonts, so the font settings are applied after it.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if context not in ("paper", "notebook", "talk"):
        raise ValueError(f"context must be 'paper', 'notebook' or 'talk', got {context!r}")
    import seaborn as sns

    family = cjk_font_family(prefer=font)
    sns.set_theme(context=context, style="whitegrid", palette=HOUSE_PALETTE)
    mpl.rcParams.update(house_rc(family))
    return family
