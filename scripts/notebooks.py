"""Notebook housekeeping: regenerate stored outputs, and check jupytext pairs.

    python scripts/notebooks.py regenerate [NAME ...]   # py:percent -> ipynb, execute, strip
    python scripts/notebooks.py check                   # every ipynb has an up-to-date .py twin

Authors edit ``notebooks/NN-topic.py`` (jupytext py:percent, easy to review);
``regenerate`` rebuilds ``NN-topic.ipynb`` from it, executes it top to bottom in
a fresh kernel with the environment CI uses, and strips volatile metadata with
``nbstripout --keep-output --keep-count`` (nbval needs the execution counts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
FORMAT = "py:percent"
ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _pairs(names: list[str]) -> list[Path]:
    pys = sorted(NB_DIR.glob("[0-9][0-9]-*.py"))
    if names:
        pys = [p for p in pys if any(p.stem.startswith(n) or p.stem == n for n in names)]
    return pys


def regenerate(names: list[str]) -> int:
    from nbclient import NotebookClient

    os.environ.update(ENV)
    os.environ.pop("MPLBACKEND", None)
    for py in _pairs(names):
        nb = jupytext.read(py, fmt=FORMAT)
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
        print(f"executing {py.name} ...", flush=True)
        client = NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}})
        client.execute()
        out = py.with_suffix(".ipynb")
        nbformat.write(nb, out)
        subprocess.run(
            [sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", str(out)], check=True
        )
        # nbstripout leaves the jupytext pairing metadata; keep it so jupyter keeps the pair in sync.
        print(f"  wrote {out.relative_to(ROOT)}")
    return 0


def check() -> int:
    problems = []
    ipynbs = sorted(NB_DIR.glob("[0-9][0-9]-*.ipynb"))
    for ipynb in ipynbs:
        py = ipynb.with_suffix(".py")
        if not py.exists():
            problems.append(f"{ipynb.name}: no paired {py.name}")
            continue
        from_ipynb = jupytext.writes(jupytext.read(ipynb), fmt=FORMAT)
        from_py = jupytext.writes(jupytext.read(py, fmt=FORMAT), fmt=FORMAT)
        if from_ipynb != from_py:
            problems.append(f"{ipynb.name} and {py.name} have drifted; run `make notebooks-regenerate`")
        nb = nbformat.read(ipynb, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.source.rstrip().endswith(";"):
                problems.append(f"{ipynb.name}: cell {i} ends with ';' (nbval fails it)")
            if cell.outputs and cell.execution_count is None:
                problems.append(f"{ipynb.name}: cell {i} has outputs but no execution count")
    for py in sorted(NB_DIR.glob("[0-9][0-9]-*.py")):
        if not py.with_suffix(".ipynb").exists():
            problems.append(f"{py.name}: no paired .ipynb; run `make notebooks-regenerate`")
    for p in problems:
        print(p)
    print(f"checked {len(ipynbs)} notebook pair(s): {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("regenerate", "check"):
        print(__doc__)
        return 2
    return regenerate(argv[1:]) if argv[0] == "regenerate" else check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
