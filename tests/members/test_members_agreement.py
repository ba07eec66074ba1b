"""ICC against R psych::ICC (tests/reference/members/icc_psych.R) and rwg by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.members import icc_table, rater_agreement, rwg

REF = Path(__file__).parents[1] / "reference" / "members"


@pytest.mark.parametrize("name", ["sf", "sim"])
def test_icc_matches_psych(name):
    data = pd.read_csv(REF / f"icc_{name}_data.csv")
    ref = pd.read_csv(REF / f"icc_{name}_psych.csv")
    mine = icc_table(data.to_numpy())
    assert mine["type"].tolist() == ref["type"].tolist()
    for col, theirs in [("estimate", "ICC"), ("F", "F"), ("df1", "df1"), ("df2", "df2"), ("p_value", "p"),
                        ("ci_lower", "lower"), ("ci_upper", "upper")]:
        np.testing.assert_allclose(mine[col].to_numpy(float), ref[theirs].to_numpy(float), rtol=1e-6, atol=1e-12,
                                   err_msg=col)


def test_icc_published_shrout_fleiss_values():
    # Shrout & Fleiss (1979) Table 4: ICC(1,1)=.17, ICC(2,1)=.29, ICC(3,1)=.71, ICC(1,4)=.44, ICC(2,4)=.62, ICC(3,4)=.91
    data = pd.read_csv(REF / "icc_sf_data.csv")
    got = icc_table(data).set_index("type")["estimate"].round(2)
    assert got.tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_icc_rejects_incomplete():
    with pytest.raises(ValueError, match="complete matrix"):
        icc_table(np.array([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]]))


def test_rwg_hand_worked():
    d = pd.DataFrame({"m": ["a"] * 3 + ["b"] * 3 + ["c"], "score": [4, 4, 5, 1, 3, 5, 2]})
    r = rwg(d, by="m", n_options=5).set_index("m")
    # a: var = 1/3, sigma_EU^2 = (25-1)/12 = 2 -> 1 - 1/6
    assert r.loc["a", "rwg"] == pytest.approx(1 - (1 / 3) / 2, abs=1e-12)
    assert r.loc["b", "rwg"] == 0.0  # var 4 > 2, truncated
    assert np.isnan(r.loc["c", "rwg"])
    assert rwg(d, by="m", n_options=5, truncate=False).set_index("m").loc["b", "rwg"] == pytest.approx(-1.0)
    with pytest.warns(DeprecationWarning, match="use by="):
        old = rwg(d, group="m", n_options=5)
    pd.testing.assert_frame_equal(old, rwg(d, by="m", n_options=5))


def _sim_evaluations(rng, n=150, lenient=None):
    lenient = lenient or {"customer": 4.0, "peer": 1.0, "leader": -5.0}
    rows = []
    for i in range(n):
        truth = rng.normal(75, 8)
        for dim in ["attitude", "dedication", "policy", "skill"]:
            t = truth + rng.normal(0, 3)
            for rt, b in lenient.items():
                for j in range(2):
                    rows.append((f"E{len(rows)}", f"M{i:03d}", rt, f"{rt}{j}", dim, float(np.clip(round(t + b + rng.normal(0, 5)), 0, 100)), "2024Q2"))
    return pd.DataFrame(rows, columns=["evaluation_id", "member_id", "rater_type", "rater_id", "dimension", "score", "wave"])


def test_rater_agreement_shape_and_consistency():
    rng = np.random.default_rng(5)
    ev = _sim_evaluations(rng)
    ra = rater_agreement(ev)
    assert set(ra["dimension"]) == {"attitude", "dedication", "policy", "skill"}
    assert len(ra) == 4 * 6
    a = ra[ra.dimension == "skill"].set_index("type")
    # leniency hurts absolute agreement (ICC1) more than consistency (ICC3)
    assert a.loc["ICC3", "estimate"] > a.loc["ICC1", "estimate"]
    assert 0 <= a.loc["ICC1", "rwg_mean"] <= 1
    assert a.loc["ICC1", "n_excluded"] == 0
    # a member without leader ratings is left out of the ICC and counted
    ra2 = rater_agreement(ev[~((ev.member_id == "M000") & (ev.rater_type == "leader"))])
    assert (ra2["n_excluded"] == 1).all() and (ra2["n_subjects"] == 149).all()
    with pytest.raises(ValueError, match="lacks column"):
        rater_agreement(ev.drop(columns="score"))
