"""Notebook setup: one call at the top of every notebook makes its outputs reproducible."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "notebook_setup",
    "run_notebooks",
    "inject_parameters",
    "notebook_paths",
    "PARAMETERS",
    "describe_estimate",
    "plain_warnings",
    "missing_sentence",
]

#: third-party packages whose DeprecationWarning/FutureWarning are noise in a notebook (about their
#: own future, not about the analysis); fusion_study's own warnings stay visible
NOISY_PACKAGES = (
    "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "sklearn", "patsy", "IPython",
    "ipykernel", "jupyter_client", "zmq", "traitlets", "nbformat", "nbclient", "openpyxl", "docx",
    "pyarrow", "linearmodels", "dateutil", "jupytext",
)


def notebook_setup(seed: int = 20240101, *, lang: str = "zh") -> np.random.Generator:
    """Fix everything that shapes a notebook's stored outputs; return the notebook's RNG.

    * pandas and numpy display: fixed width, 4 significant decimals, so tables
      print the same on every machine;
    * matplotlib: the house style (Chinese fonts, fixed DPI, PNG inline output);
    * logging: fusion_study logs warnings only; warnings: DeprecationWarning and
      FutureWarning raised by third-party packages (:data:`NOISY_PACKAGES`) are
      hidden; every other warning, and all of fusion_study's own, stays visible.

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
    _ignore_third_party_noise()
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


# --- plain-language helpers for notebooks (sentences computed from results) ---------------------------

def _ignore_third_party_noise() -> None:
    """Hide DeprecationWarning/FutureWarning attributed to :data:`NOISY_PACKAGES` (nothing else)."""
    pattern = r"(%s)(\..*)?$" % "|".join(NOISY_PACKAGES)
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=pattern)


def _number(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def describe_estimate(estimate, ci_lower, ci_upper, *, unit: str = "", lang: str = "zh", alpha: float = 0.05,
                      decimals: int = 1, change: bool = True, null: float = 0.0) -> str:
    """One plain-language sentence fragment for an estimate and its confidence interval.

    The direction comes from the estimate's sign (relative to ``null``) and the
    strength of evidence from the interval: it contains ``null`` → "证据不足" /
    "the evidence is insufficient"; it excludes ``null`` → "证据较强" / "strong
    evidence", or "证据很强" / "very strong evidence" when the estimate is at least
    ``critical_value(0.001)`` (3.29) standard errors from ``null`` (a two-sided
    p-value below 0.001; the standard error is read from the interval's half-width
    divided by ``critical_value(alpha)``).

    Parameters
    ----------
    estimate, ci_lower, ci_upper : float
        The estimate and its ``1 - alpha`` confidence interval.
    unit : str
        Unit written after the numbers, in the sentence's language ("分", "points"; "" for none).
    lang : {"zh", "en"}
    alpha : float
        The interval's level is ``1 - alpha`` (0.05: "95%").
    decimals : int
        Decimals shown.
    change : bool
        ``True``: the estimate is a change ("提高了 2.3 分" / "rose by 2.3 points");
        ``False``: a value ("为 0.42" / "is 0.42"), described as clearly positive/negative
        (above/below ``null`` when it is not 0).
    null : float
        The value of "no effect" (0; 1 for ratios).

    Returns
    -------
    str

    Examples
    --------
    >>> describe_estimate(2.3, 0.8, 3.8, unit="分")
    '提高了 2.3 分（95%置信区间 0.8 至 3.8），证据较强'
    >>> describe_estimate(-0.4, -1.5, 0.7, unit="points", lang="en")
    'fell by 0.4 points (95% CI -1.5 to 0.7); the interval includes 0, so the evidence is insufficient'
    >>> describe_estimate(0.42, 0.30, 0.54, decimals=2, change=False)
    '为 0.42（95%置信区间 0.30 至 0.54），明显为正，证据很强'
    """
    from fusion_study.data.checks import check_alpha, check_lang, critical_value

    check_lang(lang)
    z_crit = critical_value(check_alpha(alpha))
    est, lo, hi = (float(v) if v is not None else float("nan") for v in (estimate, ci_lower, ci_upper))
    u = f" {unit}" if unit else ""
    if np.isnan(est):
        return "无法估计" if lang == "zh" else "could not be estimated"
    level = f"{100 * (1 - alpha):g}%"
    nul = _number(null, decimals) if null != int(null) else str(int(null))
    if np.isnan(lo) or np.isnan(hi):
        interval = ""
        strength = "（无置信区间，无法判断证据强弱）" if lang == "zh" else " (no confidence interval, so the strength of the evidence is unknown)"
    else:
        if lang == "zh":
            interval = f"（{level}置信区间 {_number(lo, decimals)} 至 {_number(hi, decimals)}）"
        else:
            interval = f" ({level} CI {_number(lo, decimals)} to {_number(hi, decimals)})"
        half = (hi - lo) / 2
        z = abs(est - null) / (half / z_crit) if half > 0 else np.inf
        if lo <= null <= hi:
            strength = f"，区间包含 {nul}，证据不足" if lang == "zh" else f"; the interval includes {nul}, so the evidence is insufficient"
        else:
            very = z >= critical_value(0.001)
            if null == 0:
                side_zh, side_en = ("明显为正", "clearly positive") if est > null else ("明显为负", "clearly negative")
            else:
                side_zh, side_en = (f"明显大于 {nul}", f"clearly above {nul}") if est > null else (
                    f"明显小于 {nul}", f"clearly below {nul}")
            if lang == "zh":
                strength = "，" + ("" if change else side_zh + "，") + ("证据很强" if very else "证据较强")
            else:
                strength = "; " + ("" if change else side_en + ", ") + (
                    "very strong evidence" if very else "strong evidence")
    if change:
        size = _number(abs(est - null), decimals)
        if lang == "zh":
            verb = "提高了" if est > null else "降低了" if est < null else "变化了"
            return f"{verb} {size}{u}{interval}{strength}"
        verb = "rose by" if est > null else "fell by" if est < null else "changed by"
        return f"{verb} {size}{u}{interval}{strength}"
    if lang == "zh":
        return f"为 {_number(est, decimals)}{u}{interval}{strength}"
    return f"is {_number(est, decimals)}{u}{interval}{strength}"


class plain_warnings:  # noqa: N801 - used like a function: ``with plain_warnings(lang=LANG):``
    """Collect the warnings raised inside the block and print each once, as a plain sentence, after it.

    A reader must see warnings such as "few clusters", "the model did not
    converge" or "a 1-item scale has no internal consistency", but not a file
    name, line number and source line. Third-party DeprecationWarning and
    FutureWarning (:data:`NOISY_PACKAGES`) are left out; the caught warnings are
    kept in ``.caught`` (a list of ``warnings.WarningMessage``).

    >>> import warnings
    >>> with plain_warnings(lang="en") as w:
    ...     warnings.warn("only 4 clusters; standard errors are unreliable", UserWarning)
    Note: only 4 clusters; standard errors are unreliable
    >>> len(w.caught)
    1
    """

    def __init__(self, *, lang: str = "zh"):
        from fusion_study.data.checks import check_lang

        self.lang = check_lang(lang)
        self.caught: list = []

    def __enter__(self):
        self._ctx = warnings.catch_warnings(record=True)
        self.caught = self._ctx.__enter__()
        warnings.simplefilter("always")
        _ignore_third_party_noise()
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from (current )?font")
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        prefix = "注意：" if self.lang == "zh" else "Note: "
        for message in dict.fromkeys(" ".join(str(w.message).split()) for w in self.caught):
            print(prefix + message)
        return False


def missing_sentence(study, needs: dict, *, what_zh: str, what_en: str, lang: str = "zh") -> str | None:
    """The one plain sentence a notebook prints when ``study`` lacks tables or columns of ``needs``.

    The same sentence as a skipped report section (see
    :meth:`fusion_study.reporting.sections.Section.skip_reason`); ``None`` when
    nothing is missing.

    >>> from fusion_study.data.study import Study
    >>> import pandas as pd
    >>> s = Study({"units": pd.DataFrame({"unit_id": ["C"], "level": ["city"]})})
    >>> missing_sentence(s, {"interventions": ()}, what_zh="估计干预效应",
    ...                  what_en="intervention effects were not estimated")
    '本节需要干预措施表 interventions，本研究未提供，因此未估计干预效应。'
    >>> missing_sentence(s, {"units": ("unit_id",)}, what_zh="x", what_en="x") is None
    True
    """
    from fusion_study.data.checks import check_lang
    from fusion_study.reporting.sections import Section

    check_lang(lang)
    reason = Section("notebook", 0, "", "", lambda *_: (), dict(needs), what_zh, what_en).skip_reason(study)
    return None if reason is None else reason.text(lang)
