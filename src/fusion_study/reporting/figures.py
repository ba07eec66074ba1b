"""Saving figures: the one place the library writes image files, byte-identically run to run.

Matplotlib stamps files with things that change between runs: the PNG
``Software`` text chunk (its version), the PDF ``CreationDate``, the SVG
``Date`` and random element ids. :func:`save_figure` fixes all of them, so the
same figure gives the same bytes on every run (on one machine with one font).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib as mpl

__all__ = ["save_figure", "figure_bytes", "FIGURE_FORMATS"]

FIGURE_FORMATS = ("png", "pdf", "svg")

_METADATA = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": "fusion_study"},
    "svg": {"Date": None, "Creator": "fusion_study"},
}
_NAME = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$")


def _check_format(fmt: str) -> str:
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {FIGURE_FORMATS}, got {fmt!r}")
    return fmt


def figure_bytes(fig, fmt: str = "png", *, dpi: float | None = None) -> bytes:
    """The bytes :func:`save_figure` would write for ``fig`` in format ``fmt``."""
    _check_format(fmt)
    buf = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "fusion_study"}):
        fig.savefig(
            buf,
            format=fmt,
            dpi=dpi if dpi is not None else mpl.rcParams["savefig.dpi"],
            metadata=_METADATA[fmt],
            bbox_inches="tight",
            facecolor="white",
        )
    return buf.getvalue()


def save_figure(fig, name: str, *, formats=("png",), folder=None, dpi: float | None = None) -> list[Path]:
    """Write ``fig`` as ``FOLDER/NAME.png`` (and ``.pdf`` / ``.svg`` on request).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File name without suffix (letters, digits, ``_``, ``-``, ``.``, Chinese).
    formats : iterable of {"png", "pdf", "svg"}
    folder : path, optional
        Default :func:`fusion_study.data.paths.figures_dir` (``figures/``).
    dpi : float, optional
        Raster resolution (default ``savefig.dpi`` of the house style, 150).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Validated against: byte comparison of two saves of the same figure (tests).
    """
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(_check_format(f) for f in formats)
    if not formats:
        raise ValueError(f"formats is empty; give one or more of {FIGURE_FORMATS}")
    name = str(name)
    if not _NAME.match(name) or ".." in name:
        raise ValueError(
            f"figure name {name!r} is not a plain file name; use letters, digits, '_' or '-' "
            "(no folders, no suffix)"
        )
    if folder is None:
        from fusion_study.data.paths import figures_dir

        folder = figures_dir()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        data = figure_bytes(fig, fmt, dpi=dpi)
        if not (path.exists() and path.read_bytes() == data):
            path.write_bytes(data)
        written.append(path)
    return written
