"""Old import paths of the 0.1 layout, kept for one release.

Each old module is a three-line file that calls :func:`alias`: importing it warns
with a :class:`DeprecationWarning` naming the new path and returns the new module
itself (same object, so attributes, private names and monkeypatching behave as before).
"""

from __future__ import annotations

import importlib
import sys
import warnings

#: old module path -> new module path
MOVED = {
    **{f"fusion_study.{m}": f"fusion_study.data.{m}"
       for m in "schema codebook instruments periods study readers validation ledger privacy xlsxio paths".split()},
    **{f"fusion_study.measurement.{m}": f"fusion_study.measurement.sem.{m}"
       for m in "estimation spec syntax formulas ordinal polychoric invariance".split()},
    "fusion_study.satisfaction": "fusion_study.measurement.pls",
    "fusion_study.survey_scores": "fusion_study.measurement.scores",
    "fusion_study.effects.domain": "fusion_study.effects.study",
    "fusion_study.report_members": "fusion_study.members.report",
    "fusion_study.brand_moderation": "fusion_study.brands.moderation",
    "fusion_study.report_brands": "fusion_study.brands.report",
    "fusion_study.survival": "fusion_study.problems.survival",
    "fusion_study.problem_resolution": "fusion_study.problems.resolution",
    "fusion_study.report_problems": "fusion_study.problems.report",
    "fusion_study.report_participation": "fusion_study.participation.report",
    "fusion_study.reporting.report_overview": "fusion_study.reporting.overview",
    "fusion_study.notebook": "fusion_study.reporting.notebook",
    "fusion_study.simulate.figures": "fusion_study.simulate.plots",
    "fusion_study.commands": "fusion_study.cli.commands",
    **{f"fusion_study.commands.{m}": f"fusion_study.cli.commands.{m}"
       for m in "codebook demo import_survey index report simulate validate validate_estimators validity".split()},
}


def alias(old: str, *, package: bool = False) -> None:
    """Make module ``old`` the module it moved to, with a DeprecationWarning.

    An old *package* (``package=True``) stays a package of its own, so that its
    submodules (shims too) are found on its own path; it only warns.
    """
    new = MOVED[old]
    warnings.warn(f"{old} has moved to {new}; the old import path will be removed in the next release",
                  DeprecationWarning, stacklevel=3)
    if not package:
        sys.modules[old] = importlib.import_module(new)
