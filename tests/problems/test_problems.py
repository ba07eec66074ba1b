"""Survival statistics against R survival 3.5 (tests/reference/problems/), and the ticket layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.problems import (
    branch_launch_periods,
    launch_hazard_ratio,
    next_wave_satisfaction,
    plot_resolution_curves,
    ticket_durations,
    ticket_summary,
)
from fusion_study.problems.survival import cox_clustered, kaplan_meier, km_quantile

REF = Path(__file__).parents[1] / "reference" / "problems"


def _data(name):
    if name == "veteran":
        return pd.read_csv(REF / "veteran.csv"), "trt"
    d = pd.read_csv(REF / "tickets_clustered.csv")
    return d, ("launch" if name == "tickets" else None)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize("dataset", ["veteran", "tickets", "tickets_all"])
def test_km_matches_survfit(dataset, conf_type):
    ref = pd.read_csv(REF / "km_survfit.csv")
    ref = ref[(ref.dataset == dataset) & (ref.conf_type == conf_type)]
    data, by = _data(dataset)
    km = kaplan_meier(data, time="time", event="status", by=by, conf_type=conf_type)
    assert len(km) == len(ref)
    for mine, theirs in [("time", "time"), ("n_risk", "n_risk"), ("n_event", "n_event"), ("estimate", "surv"),
                         ("se", "std_err"), ("ci_lower", "lower"), ("ci_upper", "upper")]:
        np.testing.assert_allclose(km[mine].to_numpy(float), ref[theirs].to_numpy(float), rtol=1e-6, atol=1e-10,
                                   err_msg=mine)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize("dataset", ["veteran", "tickets", "tickets_all"])
def test_km_median_matches_quantile_survfit(dataset, conf_type):
    ref = pd.read_csv(REF / "km_median.csv")
    ref = ref[(ref.dataset == dataset) & (ref.conf_type == conf_type)]
    data, by = _data(dataset)
    med = km_quantile(data, time="time", event="status", by=by, conf_type=conf_type)
    for mine, theirs in [("estimate", "median"), ("ci_lower", "lower"), ("ci_upper", "upper")]:
        np.testing.assert_allclose(med[mine].to_numpy(float), ref[theirs].to_numpy(float), atol=1e-9, err_msg=mine)


def test_cox_matches_coxph_breslow_and_cluster():
    ref = pd.read_csv(REF / "coxph.csv")
    v, _ = _data("veteran")
    m1 = cox_clustered(v, time="time", event="status", covariates=["trt", "karno", "age"])
    r1 = ref[ref.model == "m1"]
    np.testing.assert_allclose(m1["log_hr"], r1["coef"], rtol=1e-6)
    np.testing.assert_allclose(m1["estimate"], np.exp(r1["coef"]), rtol=1e-6)  # estimate = HR
    np.testing.assert_allclose(m1["se"], r1["se"], rtol=1e-6)
    tk, _ = _data("tickets")
    tk["urgent"] = (tk["category"] == "urgent").astype(float)
    for model, covs in [("m2", ["launch"]), ("m3", ["launch", "urgent"])]:
        r = ref[ref.model == model]
        m = cox_clustered(tk, time="time", event="status", covariates=covs, cluster="branch")
        np.testing.assert_allclose(m["log_hr"], r["coef"], rtol=1e-6)
        # statsmodels PHReg.fit(groups=) robust SE = R's cluster() SE: no small-sample factor to add
        np.testing.assert_allclose(m["se"], r["se"], rtol=1e-6)
        np.testing.assert_allclose(m["naive_se"], r["naive_se"], rtol=1e-6)
        assert m["n_clusters"].iloc[0] == 30


def test_km_hand_worked_and_errors():
    d = pd.DataFrame({"time": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    km = kaplan_meier(d)
    np.testing.assert_allclose(km["estimate"], [0.8, 0.6, 0.3], atol=1e-12)
    with pytest.raises(ValueError, match=r"conf_type=.logit. is not supported; use one of \[.log., .log-log., .plain.\]"):
        kaplan_meier(d, conf_type="logit")
    with pytest.raises(ValueError, match="negative 'time'"):
        kaplan_meier(pd.DataFrame({"time": [-1, 2], "event": [1, 1]}))
    # flat exactly at 0.5 until the end of follow-up: R quantile(survfit) gives the midpoint with the
    # last observed time: Surv(c(1,2,3,4), c(1,1,0,0)) -> 3 (lower 1, upper NA); survival 3.5-3
    q = km_quantile(pd.DataFrame({"time": [1, 2, 3, 4], "event": [1, 1, 0, 0]})).iloc[0]
    assert q["estimate"] == 3.0 and q["ci_lower"] == 1.0 and np.isnan(q["ci_upper"])
    # median not reached -> NaN, as R NA
    assert np.isnan(km_quantile(pd.DataFrame({"time": [1, 2, 3], "event": [1, 0, 0]}))["estimate"].iloc[0])


def _sim_tickets(rng, hr=2.0, n_branch=40, per=30):
    rows = []
    start = pd.Timestamp("2023-01-01")
    launch = {f"B{b:02d}": ("2023Q3" if b % 2 == 0 else "2024Q1") for b in range(n_branch)}
    for b in range(n_branch):
        frail = rng.normal(0, 0.3)
        for i in range(per):
            opened = start + pd.Timedelta(days=int(rng.integers(0, 540)))
            after = int(opened >= pd.Period(launch[f"B{b:02d}"], "Q").start_time)
            days = rng.exponential(20 / (hr**after * np.exp(frail)))
            closed = opened + pd.Timedelta(days=int(np.ceil(days)))
            rows.append((f"T{b}_{i}", f"R{b}_{i % 5}", f"B{b:02d}", ["urgent", "difficult", "worry", "expectation"][i % 4], opened, closed))
    t = pd.DataFrame(rows, columns=["ticket_id", "customer_id", "branch_id", "category", "opened", "closed"])
    end = pd.Timestamp("2024-06-30")
    t["status"] = np.where(t["closed"] <= end, "resolved", "open")
    t.loc[t["status"] == "open", "closed"] = pd.NaT
    return t, pd.Series(launch), end


def test_launch_hazard_ratio_covers_truth():
    rng = np.random.default_rng(7)
    t, launch, end = _sim_tickets(rng, hr=2.0)
    d = ticket_durations(t, study_end=end, launches=launch)
    assert set(d["after_launch"]) == {0, 1}
    hr = launch_hazard_ratio(d).set_index("term").loc["after_launch"]
    assert hr["ci_lower"] < 2.0 < hr["ci_upper"]
    assert hr["n_clusters"] == 40


def test_ticket_summary_and_censoring():
    t = pd.DataFrame(
        {
            "ticket_id": list("abcde"),
            "customer_id": list("vwxyz"),
            "branch_id": "B1",
            "category": ["urgent"] * 4 + ["worry"],
            "opened": pd.to_datetime(["2024-01-01"] * 5),
            "closed": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-11", None, "2024-01-02"]),
            "status": ["resolved", "resolved", "resolved", "open", "unresolved"],
        }
    )
    d = ticket_durations(t, study_end="2024-03-31")
    assert d.loc[d.ticket_id == "d", "time"].item() == 90  # censored at study end
    assert d.loc[d.ticket_id == "e", "event"].item() == 0  # closed unresolved = censored
    assert ticket_durations(t, study_end="2024-03-31", event="closed").loc[4, "event"] == 1
    s = ticket_summary(t, by="category", study_end="2024-03-31")
    u = s.set_index("category").loc["urgent"]
    assert u["n_tickets"] == 4 and u["share_open"] == 0.25 and u["resolution_rate"] == 0.75
    # KM on days 2, 4, 10 (events) and 90 (censored): S = .75, .50, .25; S sits exactly on .5 from
    # day 4 to day 10, so R reports the midpoint 7
    assert u["median_days"] == 7.0
    with pytest.raises(ValueError, match="cannot group by"):
        ticket_summary(t, by="colour", study_end="2024-03-31")
    bad = t.copy()
    bad.loc[0, "closed"] = pd.Timestamp("2023-12-01")
    with pytest.raises(ValueError, match="precedes 'opened'"):
        ticket_durations(bad)


def test_branch_launch_inherits_from_county():
    units = pd.DataFrame(
        {"unit_id": ["C", "K1", "B1", "B2"], "level": ["city", "county", "branch", "branch"], "parent_id": [None, "C", "K1", "C"]}
    )
    iv = pd.DataFrame({"unit_id": ["K1", "B2"], "intervention": ["problem_mechanism"] * 2, "start_period": ["2024Q1", "2024Q3"]})
    s = branch_launch_periods(units, iv, "problem_mechanism")
    assert s["B1"] == "2024Q1" and s["B2"] == "2024Q3"


def test_plot_resolution_curves_labels():
    rng = np.random.default_rng(3)
    t, launch, end = _sim_tickets(rng, n_branch=6, per=20)
    d = ticket_durations(t, study_end=end, launches=launch)
    ax = plot_resolution_curves(d, by="category", lang="zh")
    assert {x.get_text() for x in ax.get_legend().get_texts()} == {"急", "难", "愁", "盼"}
    assert ax.get_ylim()[0] == 0
    ax = plot_resolution_curves(d, by="after_launch", lang="en")
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["before launch", "after launch"]


def test_next_wave_satisfaction_recovers_effect():
    rng = np.random.default_rng(11)
    n = 600
    cust = pd.DataFrame({"customer_id": [f"R{i}" for i in range(n)], "branch_id": [f"B{i % 20}" for i in range(n)]})
    base = rng.normal(60, 10, n)
    raised = rng.random(n) < 0.5
    in_time = raised & (rng.random(n) < 0.6)
    late = raised & ~in_time & (rng.random(n) < 0.5)  # resolved, but only after the next quarter began
    s1 = base + rng.normal(0, 5, n)
    s2 = base - 3 * raised + 5 * in_time + rng.normal(0, 5, n)
    survey = pd.DataFrame(
        {"customer_id": np.r_[cust.customer_id, cust.customer_id], "wave": np.repeat(["2024Q1", "2024Q2"], n), "sat": np.r_[s1, s2]}
    )
    closed = np.where(in_time, pd.Timestamp("2024-03-20"), np.where(late, pd.Timestamp("2024-04-15"), pd.NaT))
    tk = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(n)],
            "customer_id": cust.customer_id,
            "opened": pd.Timestamp("2024-02-01"),
            "closed": pd.to_datetime(closed),
            "status": np.where(in_time | late, "resolved", "open"),
        }
    )[raised]
    res = next_wave_satisfaction(tk, survey, cust, items=["sat"]).set_index("term")
    assert res.loc["n_resolved", "ci_lower"] < 5 < res.loc["n_resolved", "ci_upper"]
    assert res.loc["n_raised", "ci_lower"] < -3 < res.loc["n_raised", "ci_upper"]
    assert res.loc["n_resolved", "n_clusters"] == 20


def test_km_equals_statsmodels_survfuncright():
    from statsmodels.duration.survfunc import SurvfuncRight

    v, _ = _data("veteran")
    sf = SurvfuncRight(v["time"].to_numpy(float), v["status"].to_numpy(float))
    km = kaplan_meier(v, time="time", event="status")
    np.testing.assert_allclose(km["time"], sf.surv_times, atol=0)
    np.testing.assert_allclose(km["estimate"], sf.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(km["se"], sf.surv_prob_se, rtol=1e-10)


def test_cox_subjects_before_the_first_event_change_nothing():
    """Subjects censored before the first event are in no risk set: R gives them zero score residuals
    (the m2 reference stands unchanged with two added at time 0, one in a new cluster); statsmodels'
    PHReg gives them NaN, so cox_clustered leaves them out of the fit and counts them in n."""
    ref = pd.read_csv(REF / "coxph.csv").set_index("model").loc["m2"]
    tk, _ = _data("tickets")
    extra = pd.DataFrame({"branch": ["B01", "B99"], "launch": [1, 0], "category": "worry", "time": 0, "status": 0})
    m = cox_clustered(pd.concat([tk, extra], ignore_index=True), time="time", event="status",
                      covariates=["launch"], cluster="branch").iloc[0]
    assert m["log_hr"] == pytest.approx(ref["coef"], rel=1e-6)
    assert m["se"] == pytest.approx(ref["se"], rel=1e-6)
    assert m["naive_se"] == pytest.approx(ref["naive_se"], rel=1e-6)
    assert m["n"] == len(tk) + 2 and m["n_clusters"] == 31


def test_alpha_sets_the_interval_level():
    """alpha=0.10 gives 90% intervals: on the normal scale the half-width shrinks by z_.95 / z_.975."""
    ratio = 1.6448536269514722 / 1.959963984540054
    tk, _ = _data("tickets")
    c05 = cox_clustered(tk, time="time", event="status", covariates=["launch"], cluster="branch").iloc[0]
    c10 = cox_clustered(tk, time="time", event="status", covariates=["launch"], cluster="branch", alpha=0.10).iloc[0]
    w = lambda r: np.log(r["ci_upper"]) - np.log(r["ci_lower"])  # noqa: E731
    assert w(c10) / w(c05) == pytest.approx(ratio, rel=1e-9)
    assert c10["estimate"] == c05["estimate"] and c10["p_value"] == c05["p_value"]
    k05 = kaplan_meier(tk, time="time", event="status", conf_type="plain")
    k10 = kaplan_meier(tk, time="time", event="status", conf_type="plain", alpha=0.10)
    inner = (k05["ci_lower"] > 0) & (k05["ci_upper"] < 1)  # not clipped to [0, 1]
    np.testing.assert_allclose((k10["ci_upper"] - k10["ci_lower"])[inner], ((k05["ci_upper"] - k05["ci_lower"]) * ratio)[inner],
                               rtol=1e-9)
    with pytest.raises(ValueError, match="alpha"):
        kaplan_meier(tk, time="time", event="status", alpha=5)
