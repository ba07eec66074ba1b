"""Chinese fonts for figures: a system CJK font if there is one, else the bundled Noto Sans CJK SC.

Figures with Chinese labels must render on a fresh install (no empty boxes,
"tofu") on Linux, macOS and Windows. :func:`cjk_font_family` picks the first
CJK family in :data:`SYSTEM_CJK_FAMILIES` that matplotlib can see; when there is
none it registers the fallback that installs with the project itself.

The fallback
------------
``NotoSansCJK-Regular.ttc``, the Noto Sans CJK OpenType collection (Regular
weight; faces SC, TC, HK, JP, KR and their Mono variants) by Adobe and Google,
from the ``noto-cjk-sans-otc`` PyPI package, a declared dependency. That wheel
holds the font file, a three-line ``__init__.py`` and the licence, nothing else
(about 19 MB installed). The font's own licence record (OpenType ``name``
table, ID 13) reads "This Font Software is licensed under the SIL Open Font
License, Version 1.1" (checked by ``tests/test_reporting_style.py``); the OFL
allows bundling and embedding in documents. Figures use the collection's
"Noto Sans CJK SC" face (simplified-Chinese glyph forms); matplotlib reads
faces of a font collection from version 3.11 on.

If that package is missing, a system CJK font is used; with neither, the error
says what to install.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

__all__ = [
    "SYSTEM_CJK_FAMILIES",
    "BUNDLED_FAMILY",
    "INSTALL_HINT",
    "CJKFontError",
    "bundled_font_path",
    "register_bundled_font",
    "system_cjk_family",
    "cjk_font_family",
    "ensure_cjk_font",
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

#: Family name of the bundled fallback face.
BUNDLED_FAMILY = "Noto Sans CJK SC"
_BUNDLED_PACKAGE = "noto_cjk_sans_otc"
_BUNDLED_FILE = "NotoSansCJK-Regular.ttc"

#: What to install when no Chinese font can be found.
INSTALL_HINT = (
    "install the bundled font package with `pip install noto-cjk-sans-otc` (it installs with fusion_study), "
    "or a system CJK font: Debian/Ubuntu `apt install fonts-noto-cjk`, Fedora `dnf install "
    "google-noto-sans-cjk-fonts`, conda `conda install -c conda-forge font-ttf-noto-cjk`; macOS and "
    "Windows ship one (PingFang SC, Microsoft YaHei)"
)


class CJKFontError(RuntimeError):
    """No font that can draw Chinese text is available."""


def bundled_font_path() -> Path:
    """Path of the SIL OFL ``NotoSansCJK-Regular.ttc`` shipped in the ``noto-cjk-sans-otc`` package."""
    try:
        import noto_cjk_sans_otc
    except ImportError as exc:
        raise CJKFontError(
            f"the bundled Chinese font package 'noto-cjk-sans-otc' is not installed; {INSTALL_HINT}"
        ) from exc
    path = Path(noto_cjk_sans_otc.__file__).resolve().parent / _BUNDLED_FILE
    if not path.is_file():  # pragma: no cover - depends on the package release
        raise CJKFontError(
            f"noto-cjk-sans-otc is installed but has no {_BUNDLED_FILE}; reinstall it, or {INSTALL_HINT}"
        )
    return path


@lru_cache(maxsize=1)
def register_bundled_font() -> str:
    """Register the bundled Noto Sans CJK collection with matplotlib (once); return the SC family name."""
    from matplotlib import font_manager

    path = bundled_font_path()
    font_manager.fontManager.addfont(str(path))
    if BUNDLED_FAMILY not in _installed_families():  # pragma: no cover - matplotlib < 3.11 reads only face 0
        raise CJKFontError(
            f"matplotlib did not register the {BUNDLED_FAMILY!r} face of {path.name}; "
            f"matplotlib 3.11 or newer reads font collections (pip install 'matplotlib>=3.11'), or {INSTALL_HINT}"
        )
    logger.debug("registered bundled CJK font %s from %s", BUNDLED_FAMILY, path.name)
    return BUNDLED_FAMILY


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

    Raises
    ------
    CJKFontError
        ``"bundled"`` without the ``noto-cjk-sans-otc`` package, or
        ``"system"`` with neither a system CJK font nor that package; the
        message says what to install (:data:`INSTALL_HINT`).
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
