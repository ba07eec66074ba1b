"""The 0.1 import paths keep working for one release, each with a DeprecationWarning naming the new home."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from fusion_study._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_warns_and_is_the_new_module(old):
    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} has moved to {MOVED[old]}"):
        module = importlib.import_module(old)
    if hasattr(new, "__path__"):  # an old package keeps its own path, so its old submodules resolve to shims
        assert module.__name__ == old
    else:
        assert module is new
        assert sys.modules[old] is new


def test_old_attribute_import_still_works_in_a_fresh_interpreter():
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n"
        "    from fusion_study.survival import cox_clustered\n"
        "except DeprecationWarning as w:\n"
        "    print('warned', w)\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        "from fusion_study.survival import cox_clustered\n"
        "from fusion_study.problems.survival import cox_clustered as new\n"
        "print(cox_clustered is new)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "warned fusion_study.survival has moved to fusion_study.problems.survival" in out
    assert out.strip().endswith("True")


def test_every_shim_file_is_listed():
    """A module file that calls ``alias`` must have an entry, or it would fail at import."""
    from pathlib import Path

    import fusion_study

    root = Path(fusion_study.__file__).parent
    shims = {
        "fusion_study." + ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for p in root.rglob("*.py")
        if "alias(__name__" in p.read_text(encoding="utf-8")
    }
    assert shims == set(MOVED)


def test_public_entry_points_at_the_top_level():
    import fusion_study

    for name in fusion_study.__all__:
        assert getattr(fusion_study, name) is not None, name
    from fusion_study.effects import evaluate_interventions  # the README lists it there

    assert fusion_study.evaluate_interventions is evaluate_interventions
