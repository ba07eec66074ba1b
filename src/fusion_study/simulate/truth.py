"""The known truth behind a simulated study, serialised to ``truth.json``.

Scales: *latent* effects are in units of latent satisfaction ``S``, whose
baseline variance among retailers is close to 1 (realised value in
``latent_variance``); *index* effects are on the observed satisfaction index
(0–100): the mean over sat1 (10-point), sat2 and sat3 (7-point) of
``100 * (answer - 1) / (points - 1)`` — the scale score analysts are expected
to use. The data-generating process is documented in the modules of
:mod:`fusion_study.simulate` (``outcomes``, ``rollout``, ``tickets``,
``measurement``, ``surveys``, ``activities``, ``members``, ``kpis``,
``effects``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Truth"]

_FORMAT_VERSION = 1


@dataclass
class Truth:
    """What the simulator knows and analysts must recover.

    Attributes
    ----------
    preset, seed : the preset name and the seed the study was drawn with.
    params : every setting of :class:`.SimulationConfig` (effects, rates, sizes).
    att : true ATT by ``intervention`` (the six, plus ``programme`` = all six
        together, event time from the first adoption), ``segment`` (``all`` or
        one segment) and ``event_time`` (missing = overall). Columns
        ``att_latent`` (= ``direct + indirect + ticket_channel``), ``att_index``
        (observed index points) and ``n`` (genuine responses averaged over).
        Exact definition: :mod:`fusion_study.simulate.effects`.
    indirect_share : per intervention, the share of the overall ATT (segment
        ``all``, latent scale) carried by the four fusions: ``indirect / att_latent``.
    adoption : ``unit_id, intervention, start_wave, start_period`` for every
        branch × intervention (``start_wave`` 0 / ``start_period`` missing = never
        within the window) plus ``programme_wave`` (first adoption, 0 = never).
    branches : ``branch_id, county_id, strength, brand_type, brand_effect``
        (``brand_type`` distinctive/generic/copied; ``brand_effect`` = the
        saturated direct brand effect for urban retailers: 0 unless distinctive).
    brand_effects : overall ATT of the brand by brand type (latent and index).
    loadings : ``item_id, instrument, scale, loading, points, reverse``.
    thresholds : ``points, category, threshold`` (on the continuous response scale).
    construct_paths : customer constructs as ``construct -> [source, coefficient]``.
    latent_variance : ``instrument, construct, variance``: variance of each
        construct among genuine responses in the pre-programme waves (before
        ``min_start_wave``), to turn loadings into implied item correlations.
    tickets : ``hazard_ratio``, ``weibull_shape``, ``median_days_before`` and
        ``median_days_after`` by category (after = before / HR ** (1 / shape));
        ``resolution_effect_index`` (``_treated``, ``_n``, ``_n_treated``): the true
        index-scale effect of resolving a retailer's single ticket in time vs not,
        over the units of :func:`fusion_study.problems.resolution.resolution_effect`
        (see :func:`fusion_study.simulate.tickets.resolution_effect_truth`).
    alignment : true correlation of party and business assessment scores.
    rater_leniency : points each rater type adds to evaluation scores.
    member_skill : ``member_id, skill`` (standard-normal true skill).
    screening : ``table, response_id, quality`` for every speeder and straight-liner.
    fusion : ``branch_id, period, dimension, fusion``: the latent four-fusion
        scores ``F_bdt`` the staff survey measures (goal/outcome/capability/service).
    branch_satisfaction : ``branch_id, period, satisfaction, index``: mean latent
        satisfaction of all the branch's retailers in the quarter, and the mean
        expected satisfaction index (0–100).
    text_themes : ``response_id, theme, pii``: the true theme of each retailer-survey
        free-text answer (``suggestion``; :data:`fusion_study.simulate.text.TEXT_THEMES`
        or ``none``) and whether it carried fake personal data before masking; the
        theme ↔ ticket-category link is in ``notes["text_theme_ticket_category"]``.
    """

    preset: str
    seed: int | None
    params: dict
    att: pd.DataFrame
    indirect_share: pd.DataFrame
    adoption: pd.DataFrame
    branches: pd.DataFrame
    brand_effects: pd.DataFrame
    loadings: pd.DataFrame
    thresholds: pd.DataFrame
    construct_paths: dict
    latent_variance: pd.DataFrame
    tickets: dict
    alignment: float
    rater_leniency: dict
    member_skill: pd.DataFrame
    screening: pd.DataFrame
    fusion: pd.DataFrame = field(default_factory=pd.DataFrame)
    branch_satisfaction: pd.DataFrame = field(default_factory=pd.DataFrame)
    text_themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, pd.DataFrame):
                setattr(self, f.name, _normalise(v))

    # -- convenience ---------------------------------------------------------------
    def overall_att(self, scale: str = "index") -> pd.DataFrame:
        """One row per intervention: the overall ATT for all segments (``scale`` "index" or "latent")."""
        if scale not in ("index", "latent"):
            raise ValueError(f"scale must be 'index' or 'latent', got {scale!r}")
        col = "att_index" if scale == "index" else "att_latent"
        a = self.att
        part = a[(a["segment"] == "all") & a["event_time"].isna()]
        return part[["intervention", col, "n"]].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """The headline truths as one table: ``quantity, value, meaning``."""
        rows = []
        overall = self.att[(self.att["segment"] == "all") & self.att["event_time"].isna()].set_index("intervention")
        for name, r in overall.iterrows():
            rows.append((f"ATT {name} (index)", r["att_index"], "overall true ATT on the 0-100 satisfaction index"))
        if "programme" in overall.index:
            r = overall.loc["programme"]
            rows.append(("ATT programme (latent)", r["att_latent"], "overall true ATT in latent SD units"))
        share = self.indirect_share.set_index("intervention")["indirect_share"]
        if "programme" in share.index:
            rows.append(("indirect share (programme)", share["programme"], "share carried by the four fusions"))
        rows.append(("ticket hazard ratio", self.tickets["hazard_ratio"], "resolution speed-up after the mechanism"))
        rows.append(("party-business alignment", self.alignment, "true correlation of the two assessments"))
        for k, v in self.rater_leniency.items():
            rows.append((f"leniency {k}", v, "points this rater type adds"))
        never = self.adoption.groupby("unit_id")["programme_wave"].first().eq(0).sum()
        rows.append(("branches never adopting", float(never), "no intervention within the window"))
        for q in ("speeder", "straight_liner"):
            n = int((self.screening["quality"] == q).sum())
            rows.append((f"{q}s injected", float(n), "responses in both surveys"))
        return pd.DataFrame(rows, columns=["quantity", "value", "meaning"])

    def speeders(self, table: str = "customer_survey") -> list[str]:
        s = self.screening
        return s.loc[(s["table"] == table) & (s["quality"] == "speeder"), "response_id"].tolist()

    def straight_liners(self, table: str = "customer_survey") -> list[str]:
        s = self.screening
        return s.loc[(s["table"] == table) & (s["quality"] == "straight_liner"), "response_id"].tolist()

    # -- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {"format_version": _FORMAT_VERSION}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = _frame_to_json(v) if isinstance(v, pd.DataFrame) else _plain(v)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write ``truth.json`` (``path`` may be the study folder or the file)."""
        p = Path(path)
        if p.suffix != ".json":
            p.mkdir(parents=True, exist_ok=True)
            p = p / "truth.json"
        p.write_text(self.to_json(), encoding="utf-8")
        return p

    @classmethod
    def from_dict(cls, data: dict) -> "Truth":
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                if f.default_factory is not dataclasses.MISSING:  # a field newer than the file
                    continue
                raise ValueError(f"truth.json lacks {f.name!r}; it was not written by this simulator")
            v = data[f.name]
            if isinstance(v, dict) and v.get("__frame__"):
                v = _frame_from_json(v)
            kwargs[f.name] = v
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> "Truth":
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> "Truth":
        """Read ``truth.json`` (``path`` may be the study folder or the file)."""
        p = Path(path)
        if p.is_dir():
            p = p / "truth.json"
        if not p.exists():
            raise FileNotFoundError(f"{p}: no truth.json here; only simulated studies have one")
        return cls.from_json(p.read_text(encoding="utf-8"))

    def __repr__(self) -> str:
        return f"Truth(preset={self.preset!r}, seed={self.seed!r}, att rows={len(self.att)})"


def _plain(v):
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if np.isnan(f) else f
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NA:
        return None
    return v


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas ``str``; index dropped (so frames survive a JSON round trip)."""
    out = df.reset_index(drop=True)
    for c in out.columns:
        s = out[c]
        if s.dtype == object or str(s.dtype) in ("string", "str"):
            if s.dropna().map(lambda x: isinstance(x, str)).all():
                out[c] = s.astype("str")
    return out


def _frame_to_json(df: pd.DataFrame) -> dict:
    cols = [str(c) for c in df.columns]
    data = {c: [_plain(x) for x in df[c].astype(object).tolist()] for c in cols}
    return {"__frame__": True, "columns": cols, "dtypes": [str(df[c].dtype) for c in cols], "data": data}


def _frame_from_json(obj: dict) -> pd.DataFrame:
    out = {}
    for c, dt in zip(obj["columns"], obj["dtypes"]):
        values = obj["data"][c]
        if dt == "object":
            out[c] = pd.Series(values, dtype=object)
        elif dt.startswith("str"):
            out[c] = pd.Series(values, dtype="str")
        elif dt == "float64":
            out[c] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        else:
            out[c] = pd.Series(values, dtype=object).astype(dt)
    return pd.DataFrame(out, columns=obj["columns"])
