"""What the Monte Carlo scripts in benchmarks/ share: their command line, the parallel runner, the footer.

Used by ``validate_brand_moderation.py``, ``validate_resolution_effect.py`` and
``diagnose_brand_contrast.py`` (replication ``r`` always simulates with seed ``seed + r``, so any
``--jobs`` gives the same rows).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

#: The 96-branch design of the brand-moderation and resolution-effect validations (P city's process, 4x the
#: branches, retailers and survey responses of the bundled example).
DESIGN = dict(n_counties=12, branches_per_county=8, n_retailers=8000, survey_per_wave=1200)
SEED = 20240101


def parser(doc: str, *, reps: int, overrides: bool = True, seed: int = SEED) -> argparse.ArgumentParser:
    """``--reps --jobs --seed [--set NAME=VALUE ...] --out`` with the script's first doc line as description."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--reps", type=int, default=reps)
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (at most 2 on the 2-core machines)")
    ap.add_argument("--seed", type=int, default=seed)
    if overrides:
        ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="override one simulator setting on top of the design, e.g. --set sat_trend=0 "
                             "(repeatable)")
    ap.add_argument("--out", type=Path, default=None)
    return ap


def simulator_overrides(settings: list[str], design: dict, preset: str = "p_city") -> dict:
    """Parse ``NAME=VALUE`` settings as ``fusion-study simulate --set`` does; bad ones fail before any work."""
    from fusion_study.cli.commands.simulate import _parse_override
    from fusion_study.simulate.presets import make_config

    overrides = dict(_parse_override(t) for t in settings)
    make_config(preset, **{**design, **overrides})
    print(f"simulator overrides: {overrides or 'none'}")
    return overrides


def run(func, reps: int, jobs: int, *args) -> list:
    """``[func(r, *args) for r in range(reps)]``, in parallel with joblib when ``jobs > 1``."""
    if jobs > 1:
        from joblib import Parallel, delayed

        return Parallel(n_jobs=min(jobs, 2))(delayed(func)(r, *args) for r in range(reps))
    return [func(r, *args) for r in range(reps)]


def footer(t0: float) -> None:
    """Print the wall time since ``t0`` and the peak resident memory."""
    print(f"seconds {time.time() - t0:.1f}; peak MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def write(out: Path | None, **frames) -> None:
    """Write each DataFrame to ``out/<name>.csv`` when ``out`` is given."""
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(out / f"{name}.csv", index=False)
