"""Notebook setup: one call at the top of every notebook makes its outputs reproducible."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

__all__ = ["notebook_setup", "run_notebooks", "inject_parameters", "notebook_paths", "PARAMETERS"]


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


#: the parameters every notebook declares in its cell tagged ``parameters`` (papermill's convention)
PARAMETERS = ("STUDY", "LANG", "SEED", "OUT")


def notebook_paths(folder=None) -> list:
    """The project's ``NN-topic.ipynb`` notebooks, in order (``folder`` default: ``notebooks/`` of the checkout)."""
    from pathlib import Path

    from fusion_study.data.paths import project_root

    folder = Path(folder) if folder is not None else project_root() / "notebooks"
    paths = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    if not paths:
        raise FileNotFoundError(
            f"no notebooks (NN-topic.ipynb) found in {folder}; pass the folder that holds them (--notebooks DIR)"
        )
    return paths


def inject_parameters(nb, values: dict):
    """Insert a cell tagged ``injected-parameters`` after the ``parameters`` cell (as papermill does).

    Raises ``ValueError`` naming the notebook's missing parameters cell.
    """
    import nbformat

    idx = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if idx is None:
        raise ValueError("the notebook has no cell tagged 'parameters' (STUDY, LANG, SEED, OUT)")
    source = "# Parameters injected by `fusion-study notebooks`\n" + "\n".join(
        f"{k} = {v!r}" for k, v in values.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(idx + 1, cell)
    return nb


def run_notebooks(study, out, *, lang: str = "zh", seed: int = 20240101, names=None, folder=None,
                  timeout: int = 1800, progress=None) -> "pd.DataFrame":
    """Execute the notebooks on ``study`` (a study folder) and write each executed notebook and its HTML copy.

    Each notebook runs top to bottom in a fresh kernel with ``STUDY``, ``LANG``, ``SEED``
    and ``OUT`` injected after its ``parameters`` cell; ``OUT/<name>/`` is that notebook's
    own output folder. A notebook that fails is still written (with the error in the cell
    that raised it); the run goes on with the next one.

    Returns
    -------
    DataFrame ``notebook, status, notebook_path, html_path, error`` (status ``ok`` or ``failed``).
    """
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    from fusion_study.data.checks import check_lang

    check_lang(lang)
    study = Path(study).resolve()
    if not study.is_dir():
        raise FileNotFoundError(f"study folder {study} does not exist")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    paths = notebook_paths(folder)
    if names:
        paths = [p for p in paths if any(p.stem == n or p.stem.startswith(str(n)) for n in names)]
        if not paths:
            raise ValueError(f"no notebook matches {list(names)}")
    rows = []
    exporter = HTMLExporter()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb_out = out / path.stem
        nb_out.mkdir(exist_ok=True)
        status, error = "ok", ""
        try:
            inject_parameters(nb, {"STUDY": str(study), "LANG": lang, "SEED": int(seed), "OUT": str(nb_out)})
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            client.execute()
        except CellExecutionError as exc:
            status, error = "failed", str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else "error"
        except ValueError as exc:
            status, error = "failed", str(exc)
        ipynb = out / path.name
        nbformat.write(nb, ipynb)
        body, _ = exporter.from_notebook_node(nb)
        html_path = ipynb.with_suffix(".html")
        html_path.write_text(body, encoding="utf-8")
        rows.append({"notebook": path.stem, "status": status, "notebook_path": str(ipynb),
                     "html_path": str(html_path), "error": error})
        if progress:
            progress(rows[-1])
    import pandas as pd

    return pd.DataFrame(rows, columns=["notebook", "status", "notebook_path", "html_path", "error"])
