"""True intervention effects for the surveyed retailers (the ATT estimands).

For a genuine response of retailer ``r`` (served by branch ``b``) in wave ``t``
and intervention ``i`` adopted by ``b`` at ``start_bi`` (event time
``e = t - start_bi >= 0``), the *individual effect* on latent satisfaction is

``tau_i(r, t) = direct + indirect + ticket``
  * ``direct = m(segment_r) * effect_i * a_bi * g(e)``,
  * ``indirect = fusion_on_satisfaction * fusion_lift * a_bi * g(e)`` (through the four fusions),
  * ``ticket = K_rt - K0_rt`` for the problem mechanism (the realised change of
    the ticket term caused by faster resolution; 0 for other interventions),

and on the observed satisfaction index (0–100, the mean of sat1–sat3 each
rescaled to 0–100, see :func:`.measurement.satisfaction_index`)
``I(S_rt) - I(S_rt - tau_i(r, t))`` with ``I`` the index's expectation given
latent satisfaction. ``programme`` is the sum over the six interventions, with
event time counted from the branch's first adoption.

ATT(i, e) averages the individual effects over the genuine responses (speeders
and straight-liners excluded) of retailers in branches that adopted ``i``, at
event time ``e``; the overall ATT (``event_time`` missing) averages over all
such responses with ``e >= 0`` (each response weighs equally); by segment it
averages over that segment's responses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.outcomes import segment_multiplier
from fusion_study.simulate.presets import INTERVENTIONS, SEGMENTS, SimulationConfig

__all__ = ["true_att", "ATT_COLUMNS"]

ATT_COLUMNS = [
    "intervention",
    "segment",
    "event_time",
    "att_latent",
    "direct",
    "indirect",
    "ticket_channel",
    "att_index",
    "n",
]


def _components(cfg, bgrowth, b, seg, t, K_diff):
    mult = segment_multiplier(cfg, seg)
    theta_lift = cfg.fusion_on_satisfaction * cfg.fusion_lift
    out = {}
    for i, name in enumerate(INTERVENTIONS):
        g = bgrowth[b, i, t]
        direct = mult * cfg.effect(name) * g
        indirect = theta_lift * g
        ticket = K_diff if name == "problem_mechanism" else np.zeros_like(g)
        out[name] = (direct, indirect, ticket)
    return out


def _summarise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = []
    value_cols = ["att_latent", "direct", "indirect", "ticket_channel", "att_index"]
    for seg_name, part in [("all", frame), *((s, frame[frame["segment"] == s]) for s in SEGMENTS)]:
        if part.empty:
            continue
        overall = part[value_cols].mean()
        rows.append({"intervention": name, "segment": seg_name, "event_time": pd.NA, **overall, "n": len(part)})
        grouped = part.groupby("event_time", sort=True)
        means = grouped[value_cols].mean()
        sizes = grouped.size()
        for e, vals in means.iterrows():
            rows.append({"intervention": name, "segment": seg_name, "event_time": int(e), **vals, "n": int(sizes[e])})
    return pd.DataFrame(rows, columns=ATT_COLUMNS)


def true_att(
    cfg: SimulationConfig,
    *,
    r_idx: np.ndarray,
    t_idx: np.ndarray,
    genuine: np.ndarray,
    cust_branch: np.ndarray,
    cust_segment: np.ndarray,
    start: np.ndarray,
    event: np.ndarray,
    bgrowth: np.ndarray,
    S: np.ndarray,
    K: np.ndarray,
    K0: np.ndarray,
) -> pd.DataFrame:
    """The ATT table (columns :data:`ATT_COLUMNS`), for each intervention and ``programme``."""
    r, t = r_idx[genuine], t_idx[genuine]
    b, seg = cust_branch[r], cust_segment[r]
    s = S[r, t]
    comps = _components(cfg, bgrowth, b, seg, t, K[r, t] - K0[r, t])
    seg_names = np.asarray(SEGMENTS, dtype=object)[seg]
    index_now = satisfaction_index(s)
    frames = []
    total_all = np.zeros_like(s)
    parts_all = [np.zeros_like(s) for _ in range(3)]
    for i, name in enumerate(INTERVENTIONS):
        direct, indirect, ticket = comps[name]
        total = direct + indirect + ticket
        total_all += total
        for k, x in enumerate((direct, indirect, ticket)):
            parts_all[k] += x
        e = event[b, i, t]
        keep = e >= 0
        frames.append(
            _summarise(
                pd.DataFrame(
                    {
                        "segment": seg_names[keep],
                        "event_time": e[keep],
                        "att_latent": total[keep],
                        "direct": direct[keep],
                        "indirect": indirect[keep],
                        "ticket_channel": ticket[keep],
                        "att_index": index_now[keep] - satisfaction_index(s[keep] - total[keep]),
                    }
                ),
                name,
            )
        )
    first = np.where(start > 0, start, np.iinfo(np.int64).max).min(axis=1)
    adopted = first < np.iinfo(np.int64).max
    e_prog = np.where(adopted[b], t + 1 - first[b], -1)
    keep = e_prog >= 0
    frames.append(
        _summarise(
            pd.DataFrame(
                {
                    "segment": seg_names[keep],
                    "event_time": e_prog[keep],
                    "att_latent": total_all[keep],
                    "direct": parts_all[0][keep],
                    "indirect": parts_all[1][keep],
                    "ticket_channel": parts_all[2][keep],
                    "att_index": index_now[keep] - satisfaction_index(s[keep] - total_all[keep]),
                }
            ),
            "programme",
        )
    )
    out = pd.concat(frames, ignore_index=True)
    out["event_time"] = out["event_time"].astype("Int64")
    out["n"] = out["n"].astype("int64")
    for c in ("intervention", "segment"):
        out[c] = out[c].astype(object)
    return out
