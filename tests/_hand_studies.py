"""Hand-made studies of the shapes users actually have (issue 13): built in code, not simulated.

* :func:`survey_study` — units, customers, customer_survey and a codebook: a retailer satisfaction
  questionnaire with a single-item question 总体满意度 and a two-item scale (one wave, or several);
* :func:`organisation_study` — units, members, member_points, tickets and activities, no survey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study import Study

_BRANCHES = [f"B{i}" for i in range(1, 7)]


def _units() -> pd.DataFrame:
    rows = [("C", "P市局", "city", None, None), ("K1", "甲县局", "county", "C", None),
            ("K2", "乙区局", "county", "C", None)]
    for i, b in enumerate(_BRANCHES):
        rows.append((b, f"第{i + 1}营销支部", "branch", "K1" if i < 3 else "K2", "marketing"))
    return pd.DataFrame(rows, columns=["unit_id", "name", "level", "parent_id", "branch_kind"])


def _customers(n: int = 60) -> pd.DataFrame:
    ids = [f"R{i:03d}" for i in range(n)]
    branch = [_BRANCHES[i % len(_BRANCHES)] for i in range(n)]
    county = ["K1" if _BRANCHES.index(b) < 3 else "K2" for b in branch]
    return pd.DataFrame({
        "customer_id": ids, "county_id": county, "branch_id": branch,
        "segment": [("urban", "rural", "modern_terminal")[i % 3] for i in range(n)],
        "size_tier": [("small", "medium", "large")[i % 3] for i in range(n)],
    })


def survey_study(waves=("2024Q1",), *, seed: int = 1) -> Study:
    """One retailer survey per wave from every customer: 总体满意度 (one item) and a two-item 服务 scale."""
    rng = np.random.default_rng(seed)
    cust = _customers()
    rows = []
    for w in waves:
        year, q = int(w[:4]), int(w[-1])
        start = pd.Timestamp(year=year, month=3 * q - 2, day=5)
        for i, cid in enumerate(cust["customer_id"]):
            base = rng.normal(0, 1)
            item = lambda: int(np.clip(np.round(3.5 + base + rng.normal(0, 0.7)), 1, 5))  # noqa: E731
            rows.append({"response_id": f"{w}-{i:03d}", "customer_id": cid, "wave": w,
                         "submitted": start + pd.Timedelta(hours=int(i)), "duration_s": float(200 + rng.integers(0, 300)),
                         "sat": item(), "svc1": item(), "svc2": item()})
    survey = pd.DataFrame(rows)
    options = "1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"
    codebook = pd.DataFrame({
        "item_id": ["sat", "svc1", "svc2"],
        "instrument": ["customer_survey"] * 3,
        "scale": ["satisfaction", "quality", "quality"],
        "text_zh": ["总体满意度", "客户经理服务及时", "客户经理服务专业"],
        "text_en": ["overall satisfaction", "timely service", "professional service"],
        "reverse": [False, False, False],
        "min": [1, 1, 1], "max": [5, 5, 5],
        "source_column": ["1", "2(及时)", "2(专业)"],
        "options": [options] * 3,
    })
    return Study({"units": _units(), "customers": cust, "customer_survey": survey}, codebook=codebook, name="hand")


def organisation_study(*, seed: int = 2) -> Study:
    """Members with quarterly points, problem tickets and platform activities; no survey, no interventions."""
    rng = np.random.default_rng(seed)
    members = []
    k = 0
    for b in _BRANCHES:
        for j in range(6):
            k += 1
            members.append({"member_id": f"M{k:03d}", "branch_id": b,
                            "role": "secretary" if j == 0 else "member",
                            "position": ("manager", "customer_manager", "delivery")[j % 3],
                            "joined_year": int(1995 + (k * 7) % 28)})
    members = pd.DataFrame(members)
    points = [{"member_id": m, "period": p, "dimension": d, "points": float(np.round(rng.normal(20, 4), 1))}
              for m in members["member_id"] for p in ("2024Q1", "2024Q2")
              for d in ("model_role", "education", "self_improvement", "duty")]
    cust = _customers()
    tickets = []
    for i in range(40):
        opened = pd.Timestamp("2024-01-03") + pd.Timedelta(days=int(4 * i))
        status = ("resolved", "resolved", "resolved", "open", "unresolved")[i % 5]
        closed = None if status == "open" else opened + pd.Timedelta(days=int(rng.integers(1, 30)))
        c = cust.iloc[i % len(cust)]
        tickets.append({"ticket_id": f"T{i:03d}", "customer_id": c["customer_id"], "branch_id": c["branch_id"],
                        "category": ("urgent", "difficult", "worry", "expectation")[i % 4],
                        "opened": opened, "closed": closed, "status": status})
    tickets = pd.DataFrame(tickets)
    tickets["opened"] = pd.to_datetime(tickets["opened"])
    tickets["closed"] = pd.to_datetime(tickets["closed"])
    acts = []
    for i in range(120):
        m = members.iloc[i % len(members)]
        c = cust[cust["branch_id"] == m["branch_id"]].iloc[i % 5]
        acts.append({"activity_id": f"A{i:04d}", "date": pd.Timestamp("2024-01-02") + pd.Timedelta(days=int(i % 150)),
                     "team": ("vanguard_team", "cloud_team", "publicity_team")[i % 3], "kind": "visit",
                     "customer_id": c["customer_id"], "member_id": m["member_id"]})
    acts = pd.DataFrame(acts)
    acts["date"] = pd.to_datetime(acts["date"])
    tables = {"units": _units(), "customers": cust, "members": members, "member_points": pd.DataFrame(points),
              "tickets": tickets, "activities": acts}
    return Study(tables, name="org")
