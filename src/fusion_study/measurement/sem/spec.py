"""Turn parsed model terms into a parameter table with lavaan's default free parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

from fusion_study.measurement.sem.syntax import ModelSyntaxError, ModelTerm

__all__ = ["Param", "ModelSpec", "build_spec"]


@dataclass
class Param:
    lhs: str
    op: str
    rhs: str
    group: int
    free: bool
    value: float | None  # fixed value (or None = start value to be chosen)
    label: str | None
    user: bool
    index: int = -1  # free-parameter index (-1 when fixed)
    sample: bool = False  # fixed at the sample moment when fitted (fixed.x covariates)


@dataclass
class ModelSpec:
    observed: list[str]
    latent: list[str]
    params: list[Param]
    n_groups: int
    meanstructure: bool
    n_free: int = 0
    labels: dict = field(default_factory=dict)
    formulas: list = field(default_factory=list)  # ':=' and '==' terms, in model order
    exogenous_x: list = field(default_factory=list)  # observed exogenous covariates (lavaan's ov.x)
    fixed_x: bool = False  # their moments fixed at the sample values

    @property
    def variables(self) -> list[str]:
        return self.observed + self.latent


def build_spec(terms: list[ModelTerm], data_columns, *, n_groups: int = 1, meanstructure: bool = False,
               std_lv: bool = False, cfa: bool = True, group_equal: tuple[str, ...] = (),
               fixed_x: bool = False) -> ModelSpec:
    """Add lavaan's default parameters (cfa()/sem() conventions) and number the free ones.

    Defaults: first loading of each factor fixed to 1 (or factor variances to 1
    with ``std_lv``); residual variances of observed variables and (residual)
    variances of latent variables free; covariances among exogenous latent
    variables free; with ``cfa=False`` also covariances among endogenous
    variables that predict nothing (``auto.cov.y``). With a mean structure,
    observed intercepts are free and latent means fixed at 0 (free in groups
    2.. when intercepts are constrained equal). ``group_equal`` may contain
    ``"loadings"`` and ``"intercepts"``.

    Observed exogenous covariates (observed variables that only predict, in ``~``)
    get their variances and covariances (and means) as parameters: free, or with
    ``fixed_x`` fixed at the sample moments (``Param.sample``; lavaan's ``fixed.x``),
    filled in when the model is fitted. ``:=`` and ``==`` terms go to ``formulas``.
    """
    formulas = [t for t in terms if t.op in (":=", "==")]
    terms = [t for t in terms if t.op not in (":=", "==")]
    if not terms:
        raise ModelSyntaxError("the model has defined parameters or constraints but no relations (=~, ~, ~~)")
    latent: list[str] = []
    for t in terms:
        if t.op == "=~" and t.lhs not in latent:
            latent.append(t.lhs)
    observed: list[str] = []
    for t in terms:
        for name in (t.lhs, t.rhs):
            if name and name not in latent and name not in observed:
                observed.append(name)
    cols = set(map(str, data_columns))
    missing = [v for v in observed if v not in cols]
    if missing:
        raise KeyError(f"model variable(s) {missing} are neither latent (left of =~) nor columns of the data")
    for t in terms:
        if t.op == "=~" and t.rhs == t.lhs:
            raise ModelSyntaxError(f"factor {t.lhs!r} cannot load on itself")
    indicators = {lv: [t.rhs for t in terms if t.op == "=~" and t.lhs == lv] for lv in latent}
    for lv, ind in indicators.items():
        if len(ind) < 2 and not any(t.op == "~" and (t.lhs == lv or t.rhs == lv) for t in terms):
            raise ModelSyntaxError(f"factor {lv!r} has a single indicator {ind}; a factor needs at least 2 "
                                   "(3 for a stand-alone factor) to be identified")
    ys = {t.lhs for t in terms if t.op == "~"}
    xs = {t.rhs for t in terms if t.op == "~"}
    exo_lv = [lv for lv in latent if lv not in ys]
    indicators_all = {t.rhs for t in terms if t.op == "=~"}
    ov_x = [v for v in observed if v in xs and v not in ys and v not in indicators_all]

    params: list[Param] = []

    seen: dict = {}  # (group, op, lhs, rhs) -> first Param with that key
    n_seen = [0]

    def find(lhs, op, rhs, g):
        for p in params[n_seen[0]:]:  # index the parameters appended since the last lookup
            seen.setdefault((p.group, p.op, p.lhs, p.rhs), p)
            if p.op == "~~":
                seen.setdefault((p.group, p.op, p.rhs, p.lhs), p)
        n_seen[0] = len(params)
        return seen.get((g, op, lhs, rhs))

    for g in range(n_groups):
        for t in terms:
            free = t.fixed is None
            params.append(Param(t.lhs, t.op, t.rhs, g, free, t.fixed, t.label, True))
        # identification
        for lv in latent:
            first = next(p for p in params if p.group == g and p.op == "=~" and p.lhs == lv)
            user_first = next(t for t in terms if t.op == "=~" and t.lhs == lv)
            if not std_lv and user_first.fixed is None and not user_first.free:
                first.free, first.value = False, 1.0
        for v in observed:
            if v not in ov_x and find(v, "~~", v, g) is None:
                params.append(Param(v, "~~", v, g, True, None, None, False))
        for lv in latent:
            if find(lv, "~~", lv, g) is None:
                fixed = std_lv and lv in exo_lv
                params.append(Param(lv, "~~", lv, g, not fixed, 1.0 if fixed else None, None, False))
        for i, a in enumerate(exo_lv):
            for b in exo_lv[i + 1:]:
                if find(a, "~~", b, g) is None:
                    params.append(Param(a, "~~", b, g, True, None, None, False))
        for i, a in enumerate(ov_x):
            for b in ov_x[i:]:
                if find(a, "~~", b, g) is None:
                    params.append(Param(a, "~~", b, g, not fixed_x, None, None, False, sample=fixed_x))
        if not cfa:
            pure_y = [v for v in list(latent) + observed if v in ys and v not in xs]
            for i, a in enumerate(pure_y):
                for b in pure_y[i + 1:]:
                    if find(a, "~~", b, g) is None:
                        params.append(Param(a, "~~", b, g, True, None, None, False))
        if meanstructure:
            for v in observed:
                if find(v, "~1", "", g) is None:
                    fx = fixed_x and v in ov_x
                    params.append(Param(v, "~1", "", g, not fx, None, None, False, sample=fx))
            for lv in latent:
                if find(lv, "~1", "", g) is None:
                    free = g > 0 and "intercepts" in group_equal
                    params.append(Param(lv, "~1", "", g, free, None if free else 0.0, None, False))
    # group equality constraints through automatic labels
    if n_groups > 1:
        for p in params:
            if p.label is None and p.free:
                if p.op == "=~" and "loadings" in group_equal:
                    p.label = f".L.{p.lhs}.{p.rhs}"
                elif p.op == "~1" and p.lhs in observed and "intercepts" in group_equal:
                    p.label = f".I.{p.lhs}"
    # number free parameters; equal labels share one index
    labels: dict[str, int] = {}
    k = 0
    for p in params:
        if not p.free:
            p.index = -1
            continue
        if p.label is not None and p.label in labels:
            p.index = labels[p.label]
            continue
        p.index = k
        if p.label is not None:
            labels[p.label] = k
        k += 1
    return ModelSpec(observed, latent, params, n_groups, meanstructure, k, labels, formulas, ov_x,
                     bool(fixed_x and ov_x))
