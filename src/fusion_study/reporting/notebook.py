"""Notebook setup: one call at the top of every notebook makes its outputs reproducible."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

__all__ = ["notebook_setup"]


def notebook_setup(seed: int = 20240101, *, lang: str = "zh") -> np.random.Generator:
    """Fix everything that shapes a notebook's stored outputs; return the notebook's RNG.

    * pandas and numpy display: fixed width, 4 significant decimals, so tables
      print the same on every machine;
    * matplotlib: the house style (Chinese fonts, fixed DPI, PNG inline output);
    * logging and warnings: quiet, so only the analysis shows.

    Pass the returned generator (or ``seed``) to every function that draws
    random numbers; the global numpy seed is never touched.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    pd.set_option("display.width", 120)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.precision", 4)
    pd.set_option("display.unicode.east_asian_width", True)
    np.set_printoptions(precision=4, suppress=True, linewidth=120)
    logging.getLogger("fusion_study").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        from fusion_study.reporting.style import use_house_style
    except ImportError:  # pragma: no cover - reporting layer not installed
        pass
    else:
        use_house_style(lang=lang)
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover
        ip = None
    if ip is not None:
        ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
        ip.run_line_magic("config", "InlineBackend.rc = {'figure.dpi': 100, 'savefig.dpi': 100}")
    return np.random.default_rng(seed)
