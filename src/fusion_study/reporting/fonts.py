"""Chinese fonts for figures: a system CJK font if there is one, else the bundled Noto Sans CJK SC.

Figures with Chinese labels must render on a fresh install (no empty boxes,
"tofu") on Linux, macOS and Windows. :func:`cjk_font_family` picks the first
CJK family in :data:`SYSTEM_CJK_FAMILIES` that matplotlib can see; when there is
none it registers the fallback that installs with the project itself.

The fallback
------------
``NotoSansCJKsc-Regular.otf`` (family "Noto Sans CJK SC", Adobe/Google) from the
``mplfonts`` PyPI package, a declared dependency. The font file's own licence
record (OpenType ``name`` table, IDs 13 and 14) reads "This Font Software is
licensed under the SIL Open Font License, Version 1.1" with the URL
``http://scripts.sil.org/OFL`` (checked by ``tests/test_reporting_style.py``);
the OFL allows bundling and embedding in documents. The ``mplfonts`` package
code is MIT-licensed. We use **only** that file: ``mplfonts`` also ships a
``SimHei.ttf`` whose licence is not open, and it is never registered here.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

__all__ = [
    "SYSTEM_CJK_FAMILIES",
    "BUNDLED_FAMILY",
    "bundled_font_path",
    "register_bundled_font",
    "system_cjk_family",
    "cjk_font_family",
]

logger = logging.getLogger(__name__)

#: CJK families tried in order (Linux, macOS, Windows); the first one installed wins.
SYSTEM_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Microsoft YaHei",
    "SimHei",
    "Droid Sans Fallback",
)

#: Family name of the bundled fallback font.
BUNDLED_FAMILY = "Noto Sans CJK SC"
_BUNDLED_FILE = "NotoSansCJKsc-Regular.otf"


def bundled_font_path() -> Path:
    """Path of the SIL OFL ``NotoSansCJKsc-Regular.otf`` shipped in the ``mplfonts`` package."""
    try:
        import mplfonts
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RuntimeError(
            "the fallback Chinese font comes from the 'mplfonts' package; install it with "
            "`pip install mplfonts` or install a CJK system font (e.g. fonts-noto-cjk)"
        ) from exc
    path = Path(mplfonts.__file__).resolve().parent / "fonts" / _BUNDLED_FILE
    if not path.is_file():  # pragma: no cover - depends on the mplfonts release
        raise RuntimeError(f"mplfonts is installed but has no fonts/{_BUNDLED_FILE}; reinstall mplfonts")
    return path


@lru_cache(maxsize=1)
def register_bundled_font() -> str:
    """Register the bundled Noto Sans CJK SC with matplotlib (once); return its family name."""
    from matplotlib import font_manager

    path = bundled_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    logger.debug("registered bundled CJK font %s", family)
    return family


def _installed_families() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def system_cjk_family() -> str | None:
    """The first CJK family from :data:`SYSTEM_CJK_FAMILIES` that matplotlib sees, or None."""
    installed = _installed_families()
    for family in SYSTEM_CJK_FAMILIES:
        if family in installed:
            return family
    return None


def cjk_font_family(prefer: str = "system") -> str:
    """The CJK font family figures should use.

    Parameters
    ----------
    prefer : {"system", "bundled"}
        ``"system"`` (default) uses an installed CJK font when there is one and
        the bundled Noto Sans CJK SC otherwise; ``"bundled"`` always uses the
        bundled font (identical figures on every machine).
    """
    if prefer not in ("system", "bundled"):
        raise ValueError(f"prefer must be 'system' or 'bundled', got {prefer!r}")
    if prefer == "system":
        family = system_cjk_family()
        if family is not None:
            return family
    return register_bundled_font()


def ensure_cjk_font(prefer: str = "system") -> str:
    """Make Chinese text drawable without applying the whole house style; return the family.

    Puts the CJK family (see :func:`cjk_font_family`) first in ``font.family``,
    with DejaVu Sans behind it for glyphs it lacks, unless a CJK family is
    already there. Plot functions call this when drawing with ``lang="zh"`` so a
    figure is readable even when the caller never ran
    :func:`fusion_study.reporting.style.use_house_style`. Never called at import.
    """
    import matplotlib as mpl

    family = cjk_font_family(prefer)
    current = list(mpl.rcParams["font.family"])
    if family not in current:
        rest = [f for f in current if f not in (family, "DejaVu Sans")]
        mpl.rcParams["font.family"] = [family, "DejaVu Sans", *rest]
        mpl.rcParams["axes.unicode_minus"] = False
    return family
