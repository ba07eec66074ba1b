"""Domain layer: themes of a study's open answers (意见和建议), by branch and wave, and their link to tickets.

:class:`StudyThemes` / :func:`study_themes` find the free-text column(s) of the
screened customer survey through the codebook (rows of type ``text``, see
:func:`fusion_study.data.validation.item_types`), fit
:class:`fusion_study.survey.themes.Themes` to the answers (personal data masked
first) and tabulate:

* ``by_branch_`` / ``by_wave_`` — each theme's share of the answers with a theme;
* ``ticket_link_`` — for every theme × 急难愁盼 ticket category, whether branches
  whose retailers write more about the theme also log more tickets of the category:
  the Pearson correlation across branches between the theme's share of the branch's
  answers and the branch's tickets of that category per retailer, with a Fisher-z
  confidence interval, a two-sided permutation p-value (ticket rates shuffled across
  branches, ``n_permutations`` times, seeded) and Holm-adjusted p-values over all
  pairs. An association across branches, not a causal effect.

>>> from fusion_study import load_study, example_study_path
>>> st = study_themes(load_study(example_study_path()), n_themes=6, seed=1)
>>> st.ticket_link_.columns.tolist()[:5]
['theme', 'label', 'category', 'estimate', 'se']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, require_columns
from fusion_study.survey.themes import Themes

__all__ = ["StudyThemes", "study_themes", "study_text_columns", "choose_n_themes"]

_LINK_COLUMNS = ["theme", "label", "category", "estimate", "se", "ci_lower", "ci_upper", "p_value", "p_adjusted",
                 "n_branches"]


def study_text_columns(study) -> list[str]:
    """Free-text columns of the customer survey: codebook rows of type text that the table holds.

    >>> from fusion_study import load_study, example_study_path
    >>> study_text_columns(load_study(example_study_path()))
    ['suggestion']
    """
    from fusion_study.data.validation import item_types

    cb = study.codebook
    if cb is None or "customer_survey" not in study.tables:
        return []
    items = cb[cb["instrument"] == "customer_survey"] if "instrument" in cb.columns else cb
    text = items["item_id"][item_types(items).eq("text").to_numpy()].astype(str)
    return [c for c in text if c in study.tables["customer_survey"].columns]


def choose_n_themes(texts, *, seed=None, candidates=range(2, 11), min_df: int | float = 2, lang: str = "zh",
                    max_overlap: float = 0.1) -> int:
    """The largest number of themes before two themes start to share their words.

    For k = 2, 3, … the themes are fitted and the cosine similarity of every two
    themes' word weights computed; the answer is the last k whose largest
    similarity is at most ``max_overlap`` (more themes then split one theme into
    overlapping halves). A heuristic: read the themes it gives, and pass
    ``n_themes`` when the survey has a coding frame. It can find sub-themes: on the
    screened ``data/example`` (six true content themes, some with two kinds of
    phrase) it gives 9, splitting delivery (配送 / 到货), platform (积分平台 / 小程序)
    and supply/price (货源 / 利润) in two.
    """
    best = None
    prep = Themes(2, seed=seed, min_df=min_df, lang=lang)._prepare(texts)  # segmented once
    for k in candidates:
        try:
            m = Themes(k, seed=seed, min_df=min_df, lang=lang)._fit_prepared(prep)
        except ValueError:
            break
        H = m.components_ / np.maximum(np.linalg.norm(m.components_, axis=1, keepdims=True), 1e-300)
        C = H @ H.T
        np.fill_diagonal(C, 0.0)
        if k > 1 and C.max() > max_overlap:
            break
        best = k
    if best is None:
        raise ValueError("choose_n_themes: too few answers with content words for two themes; pass n_themes")
    return best


def _holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


class StudyThemes:
    """Themes of a study's open answers, by branch and wave, and their link to ticket categories.

    Parameters
    ----------
    n_themes : int or None (None: :func:`choose_n_themes`).
    seed : int, Generator or None (NMF start and the permutations).
    column : the free-text column (default: the first of :func:`study_text_columns`).
    alpha : for the correlation intervals.
    n_permutations : permutations for the ticket-link p-values.
    min_df : passed to :class:`~fusion_study.survey.themes.Themes`.

    Attributes (after :meth:`fit`)
    ------------------------------
    model_ : the fitted :class:`~fusion_study.survey.themes.Themes`.
    themes_ : ``theme, label, top_words, n, share``.
    answers_ : one row per screened response: ``response_id, customer_id, branch_id,
        wave, theme, label, weight, reason`` (reason <NA> when the answer has a theme).
    excluded_ : ``reason, n`` — answers without a theme.
    by_branch_, by_wave_ : ``branch_id, branch_name`` / ``wave``, ``theme, label, n, n_answers, share``
        (share = n / answers with a theme in the branch or wave; every theme listed).
    ticket_link_ : one row per theme × ticket category: ``theme, label, category,
        estimate`` (Pearson r across branches), ``se`` (Fisher-z scale, 1/sqrt(k-3)),
        ``ci_lower, ci_upper`` (Fisher z back-transformed), ``p_value`` (two-sided
        permutation), ``p_adjusted`` (Holm over all pairs), ``n_branches``. Empty when
        the study has no tickets table.

    Notes
    -----
    Validated against: scipy 1.17 ``pearsonr`` (estimate and Fisher-z interval, 1e-10;
    permutation p within 0.05 of its t-test p) and the simulator's truth on
    ``data/example`` (learned themes matched to the true ones; the linked pairs
    delivery↔urgent, supply/price↔difficult, platform↔worry, policy↔expectation have
    r > 0.3 and p < 0.05; see ``tests/survey/test_study_themes.py``).
    """

    def __init__(self, n_themes: int | None = None, *, seed=None, column: str | None = None, alpha: float = 0.05,
                 n_permutations: int = 2000, min_df: int | float = 2) -> None:
        self.n_themes = n_themes
        self.seed = seed
        self.column = column
        self.alpha = alpha
        self.n_permutations = n_permutations
        self.min_df = min_df

    def __repr__(self) -> str:
        return f"StudyThemes(n_themes={self.n_themes!r}, column={self.column!r})"

    def fit(self, study) -> "StudyThemes":
        from fusion_study.survey.study import _responses

        check_alpha(self.alpha)
        columns = study_text_columns(study)
        if not columns:
            raise ValueError(
                "study_themes: the customer_survey (零售客户满意度调查) table has no free-text column; a free-text "
                "question is a codebook row of type text (意见和建议: no min, max or options) whose item_id is a "
                "column of customer_survey"
            )
        column = self.column or columns[0]
        if column not in columns:
            raise ValueError(f"study_themes: column {column!r} is not a free-text column of customer_survey; "
                             f"those are {columns}")
        resp, screened = _responses(study, what="study_themes")
        rng = np.random.default_rng(self.seed)
        seed_nmf = int(rng.integers(2**32 - 1))
        texts = resp[column].reset_index(drop=True)
        k = self.n_themes if self.n_themes is not None else choose_n_themes(texts, seed=seed_nmf, min_df=self.min_df)
        model = Themes(k, seed=seed_nmf, min_df=self.min_df).fit(texts)
        self.model_, self.column_ = model, column
        self.themes_ = model.themes_.copy()
        self.excluded_ = model.excluded_.copy()
        at = model.answer_theme_
        labels = dict(zip(self.themes_["theme"], self.themes_["label"]))
        self.answers_ = pd.DataFrame({
            "response_id": resp["response_id"].to_numpy() if "response_id" in resp.columns else np.arange(len(resp)),
            "customer_id": resp["customer_id"].to_numpy(),
            "branch_id": resp["branch_id"].to_numpy(),
            "wave": resp["wave"].astype("string").to_numpy(),
            "theme": at["theme"].to_numpy(),
            "label": pd.array([labels.get(t) if pd.notna(t) else pd.NA for t in at["theme"]], dtype="string"),
            "weight": at["weight"].to_numpy(),
            "reason": at["reason"].to_numpy(),
        })
        self.by_branch_ = self._shares("branch_id")
        names = {}
        if "units" in screened.tables and {"unit_id", "name"} <= set(screened.tables["units"].columns):
            units = screened.tables["units"]
            names = dict(zip(units["unit_id"].astype(str), units["name"]))
        self.by_branch_.insert(1, "branch_name", [str(names[b]) if pd.notna(names.get(b)) else str(b)
                                                  for b in self.by_branch_["branch_id"]])
        self.by_wave_ = self._shares("wave")
        self.ticket_link_ = self._ticket_link(screened, rng)
        return self

    def _shares(self, by: str) -> pd.DataFrame:
        a = self.answers_[self.answers_["theme"].notna()]
        groups = sorted(a[by].dropna().astype(str).unique())
        counts = pd.crosstab(a[by].astype(str), a["theme"].astype("int64")).reindex(
            index=groups, columns=self.themes_["theme"].tolist(), fill_value=0)
        total = counts.sum(axis=1)
        out = counts.stack().rename("n").reset_index()
        out.columns = [by, "theme", "n"]
        out["n_answers"] = total.reindex(out[by]).to_numpy()
        out["share"] = out["n"] / out["n_answers"]
        out.insert(2, "label", out["theme"].map(dict(zip(self.themes_["theme"], self.themes_["label"]))))
        return out.astype({"n": "int64", "n_answers": "int64", "theme": "int64"})

    def _ticket_link(self, study, rng) -> pd.DataFrame:
        from scipy.stats import norm

        if "tickets" not in study.tables or study.tables["tickets"].empty:
            return pd.DataFrame(columns=_LINK_COLUMNS)
        tickets = study.tables["tickets"]
        require_columns(tickets, ["branch_id", "category"], what="study_themes", table="tickets")
        customers = study.tables["customers"]
        share = self.by_branch_.pivot(index="branch_id", columns="theme", values="share")
        branches = share.index.tolist()
        retailers = customers.groupby(customers["branch_id"].astype(str)).size().reindex(branches)
        cats = sorted(tickets["category"].dropna().astype(str).unique())
        tcount = pd.crosstab(tickets["branch_id"].astype(str), tickets["category"].astype(str)).reindex(
            index=branches, columns=cats, fill_value=0)
        rate = tcount.div(retailers, axis=0)
        kb = len(branches)
        z_crit = norm.ppf(1 - self.alpha / 2)
        S = share.to_numpy(dtype=float)
        R = rate.to_numpy(dtype=float)
        rows = []
        if kb >= 4:
            Sz = (S - S.mean(0)) / np.where(S.std(0) > 0, S.std(0), np.nan)
            Rz = (R - R.mean(0)) / np.where(R.std(0) > 0, R.std(0), np.nan)
            r_obs = Sz.T @ Rz / kb  # themes × categories
            perms = np.stack([rng.permutation(kb) for _ in range(self.n_permutations)])
            r_perm = np.einsum("bt,pbc->ptc", Sz, Rz[perms]) / kb
            p = (1 + (np.abs(r_perm) >= np.abs(r_obs)[None] - 1e-12).sum(0)) / (self.n_permutations + 1)
            se = 1 / np.sqrt(kb - 3)
            z = np.arctanh(np.clip(r_obs, -0.999999, 0.999999))
            for i, theme in enumerate(share.columns):
                for j, cat in enumerate(cats):
                    rows.append({"theme": int(theme), "category": cat, "estimate": r_obs[i, j], "se": se,
                                 "ci_lower": np.tanh(z[i, j] - z_crit * se), "ci_upper": np.tanh(z[i, j] + z_crit * se),
                                 "p_value": p[i, j], "n_branches": kb})
        out = pd.DataFrame(rows, columns=[c for c in _LINK_COLUMNS if c not in ("label", "p_adjusted")])
        ok = out["p_value"].notna().to_numpy()
        out["p_adjusted"] = np.nan
        if ok.any():
            out.loc[ok, "p_adjusted"] = _holm(out.loc[ok, "p_value"].to_numpy(dtype=float))
        out.insert(1, "label", out["theme"].map(dict(zip(self.themes_["theme"], self.themes_["label"]))))
        return out[_LINK_COLUMNS]

    def _fitted(self) -> None:
        if not hasattr(self, "themes_"):
            raise RuntimeError("StudyThemes is not fitted yet: call fit(study) first")

    def to_frame(self) -> pd.DataFrame:
        """The theme × ticket-category associations (:attr:`ticket_link_`)."""
        self._fitted()
        return self.ticket_link_.copy()

    def summary(self, decimals: int = 3) -> pd.DataFrame:
        """The themes (:attr:`themes_`), share rounded."""
        self._fitted()
        return self.themes_.round({"share": decimals})

    def __str__(self) -> str:
        if not hasattr(self, "themes_"):
            return repr(self)
        excl = ", ".join(f"{r}: {n}" for r, n in zip(self.excluded_["reason"], self.excluded_["n"]))
        return f"{self!r}: {len(self.answers_)} answers in {self.column_!r} ({excl})\n" + \
            self.summary().to_string(index=False)


def study_themes(study, *, n_themes: int | None = None, seed=None, column: str | None = None, alpha: float = 0.05,
                 n_permutations: int = 2000) -> StudyThemes:
    """Fit :class:`StudyThemes` to ``study`` (its screened customer survey) and return it.

    Returned frames: ``themes_`` (``theme, label, top_words, n, share``), ``answers_``,
    ``by_branch_``, ``by_wave_`` (``…, theme, label, n, n_answers, share``), ``ticket_link_``
    (``theme, label, category, estimate, se, ci_lower, ci_upper, p_value, p_adjusted,
    n_branches``) and ``excluded_`` (``reason, n``: reasons :data:`~fusion_study.survey.themes.EXCLUSION_REASONS`).

    Validated against: the simulator's true answer themes and theme ↔ ticket links.
    """
    return StudyThemes(n_themes, seed=seed, column=column, alpha=alpha, n_permutations=n_permutations).fit(study)

