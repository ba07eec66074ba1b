"""Where the project's data and outputs live."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "example_study_path", "figures_dir"]


def project_root() -> Path:
    """The checkout this package runs from (``src/fusion_study/../..``)."""
    return Path(__file__).resolve().parents[2]


def example_study_path() -> Path:
    """The bundled example study (``data/example/``), or ``$FUSION_STUDY_EXAMPLE``."""
    env = os.environ.get("FUSION_STUDY_EXAMPLE")
    if env:
        return Path(env)
    return project_root() / "data" / "example"


def figures_dir() -> Path:
    """Where :func:`save_figure` writes (``figures/``, or ``$FUSION_STUDY_FIGURES``)."""
    env = os.environ.get("FUSION_STUDY_FIGURES")
    return Path(env) if env else project_root() / "figures"
