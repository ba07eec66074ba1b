"""Reference numbers from diff-diff 3.13 (MIT) ``ImputationDiD`` (Borusyak–Jaravel–Spiess 2024).

For the one-intervention case :func:`fusion_study.effects.several_interventions` is the BJS
imputation estimator. On the mpdta panel (``lemp``, county × year, cohorts ``first.treat``) this
writes diff-diff's overall ATT and event-time effects with their Theorem-3 SEs for:

* ``base`` — clusters = counties (diff-diff's default);
* ``anticipation1`` — ``anticipation=1`` (event time -1 counts as treated);
* ``cluster_coarse`` — clusters ``cl = countyreal % 37`` (37 clusters of ~13 counties).

With ``anticipation=1`` diff-diff's overall ATT averages over event times ``e >= -1`` (the
anticipation periods included); ours over ``e >= 0`` (the simulator's truth), so only the
event-time effects are compared there. Each case with ``aux_partition="horizon"`` (the auxiliary model whose residuals coincide with ours:
``τ̂`` minus its mean at the same event time) and with the default ``"cohort_horizon"`` (kept to
document the difference). diff-diff applies no small-cluster factor: our SEs are theirs times
``sqrt(G / (G - 1))``.

Run from the repo root: ``.venv/bin/python tests/reference/effects/diffdiff_imputation.py``
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pandas as pd
from diff_diff import ImputationDiD, __version__

HERE = Path(__file__).parent
mp = pd.read_csv(HERE / "mpdta.csv").rename(columns={"first.treat": "first_treat"})
mp["cl"] = mp["countyreal"] % 37



def _num(x):
    """A float, or None (JSON null) where diff-diff reports NaN (an event time it cannot impute)."""
    x = float(x)
    return None if math.isnan(x) else x


CASES = {"base": {}, "anticipation1": {"anticipation": 1}, "cluster_coarse": {"cluster": "cl"}}
out = {"diff_diff_version": __version__, "data": "mpdta.csv", "outcome": "lemp", "unit": "countyreal",
       "time": "year", "cohort": "first.treat", "cases": {}}
for name, kw in CASES.items():
    for part in ("horizon", "cohort_horizon"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ImputationDiD(aux_partition=part, **kw).fit(mp, outcome="lemp", unit="countyreal", time="year",
                                                               first_treat="first_treat")
            es = res.aggregate("event_study").to_dataframe()
        es = es[~es["is_reference"]]
        cl = kw.get("cluster", "countyreal")
        out["cases"].setdefault(name, {"options": kw, "n_clusters": int(mp[cl].nunique())})[part] = {
            "overall": {"estimate": _num(res.att), "se": _num(res.se)},
            "event_time": {str(int(e)): {"estimate": _num(a), "se": _num(s)}
                           for e, a, s in zip(es["event_time"], es["att"], es["se"])},
        }
(HERE / "diffdiff_imputation.json").write_text(json.dumps(out, indent=1, sort_keys=True, allow_nan=False) + "\n")
