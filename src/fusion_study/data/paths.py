"""Where the project's data and outputs live."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["project_root", "example_study_path", "figures_dir", "cache_dir", "EXAMPLE_SEED"]

logger = logging.getLogger(__name__)

#: The seed of the bundled example study (``make example``).
EXAMPLE_SEED = 20240101


def project_root() -> Path:
    """The checkout this package runs from (``src/fusion_study/../..``)."""
    return Path(__file__).resolve().parents[3]


def cache_dir() -> Path:
    """Per-user cache (``$FUSION_STUDY_CACHE``, else ``$XDG_CACHE_HOME/fusion_study``, else ``~/.cache/fusion_study``)."""
    env = os.environ.get("FUSION_STUDY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fusion_study"


def example_study_path() -> Path:
    """The bundled example study (``data/example/``), or ``$FUSION_STUDY_EXAMPLE``.

    When the checkout has no ``data/example/`` (e.g. a non-editable install),
    the example is regenerated once from the simulator (preset ``p_city``,
    seed :data:`EXAMPLE_SEED`) into :func:`cache_dir` and that folder is returned.
    """
    env = os.environ.get("FUSION_STUDY_EXAMPLE")
    if env:
        return Path(env)
    bundled = project_root() / "data" / "example"
    if (bundled / "study.json").exists():
        return bundled
    from fusion_study import __version__

    cached = cache_dir() / f"example-{__version__}-seed{EXAMPLE_SEED}"
    if not (cached / "study.json").exists():
        _generate_example(cached)
    return cached


def _generate_example(target: Path) -> None:
    from fusion_study.simulate import save_simulated_study

    logger.info("data/example not found; simulating the example study into %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".example-", dir=target.parent))
    try:
        save_simulated_study(tmp, preset="p_city", seed=EXAMPLE_SEED)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not (target / "study.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def figures_dir() -> Path:
    """Where :func:`save_figure` writes (``figures/``, or ``$FUSION_STUDY_FIGURES``)."""
    env = os.environ.get("FUSION_STUDY_FIGURES")
    return Path(env) if env else project_root() / "figures"
