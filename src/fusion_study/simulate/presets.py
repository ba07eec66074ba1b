"""Sizes and rates of the simulated study: the presets and validated overrides.

Every number the data-generating process uses lives in :class:`SimulationConfig`;
the presets only change sizes. ``simulate_study(preset, seed, **overrides)``
builds the config with :func:`make_config`, which rejects unknown override
names with the list of allowed ones.

Units of the effect parameters: the *latent satisfaction scale*, on which the
baseline (pre-programme) satisfaction of a retailer has a variance close to 1
(the realised variance is recorded in ``Truth.latent_variance``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["SimulationConfig", "PRESETS", "STREAMED_PRESETS", "IN_MEMORY_MAX_RETAILERS", "INTERVENTIONS", "make_config", "config_fields"]

#: The six interventions, in the order used throughout the simulator.
INTERVENTIONS = (
    "brand",
    "publicity_team",
    "vanguard_team",
    "cloud_team",
    "points_platform",
    "problem_mechanism",
)

SEGMENTS = ("urban", "rural", "modern_terminal")
SIZE_TIERS = ("small", "medium", "large")
BRANCH_KINDS = ("marketing", "monopoly", "logistics", "office")
TICKET_CATEGORIES = ("urgent", "difficult", "worry", "expectation")
#: How the six start waves of a branch relate (``SimulationConfig.rollout_lags``).
ROLLOUT_LAGS = ("anchored", "independent")
#: Settings newer than truth.json format 1: written to ``to_dict()`` only when they differ from the default.
_WRITTEN_WHEN_CHANGED = frozenset({"rollout_lags"})


@dataclass(frozen=True)
class SimulationConfig:
    """All sizes, rates and true effects of the data-generating process.

    Waves are numbered 1..``n_waves`` (wave 1 is ``start_period``).
    """

    # -- organisation ---------------------------------------------------------
    n_counties: int = 6
    branches_per_county: int = 4  #: branch kinds cycle marketing, monopoly, logistics, office
    n_retailers: int = 2000
    members_per_branch: float = 12.5  #: mean; at least 3 per branch
    staff_per_branch: int = 10  #: staff pool answering the staff survey
    staff_responses_per_branch: int = 4  #: staff survey responses per branch and wave
    segment_shares: tuple[float, float, float] = (0.45, 0.45, 0.10)  #: urban, rural, modern terminal
    size_shares: tuple[float, float, float] = (0.55, 0.35, 0.10)  #: small, medium, large
    # -- calendar and survey design -------------------------------------------
    n_waves: int = 12
    start_period: str = "2022Q1"
    survey_per_wave: int = 300  #: retailer survey responses per wave
    panel_share: float = 0.4  #: share of a wave's sample re-drawn from the previous wave's respondents
    # -- confounding: branch strength (leadership) -----------------------------
    strength_county_share: float = 0.5  #: share of strength variance shared by the county's branches
    sat_strength: float = 0.40  #: baseline satisfaction per SD of branch strength (direct part)
    sat_retailer_sd: float = 0.55  #: persistent retailer effect
    sat_occasion_sd: float = 0.55  #: wave-to-wave noise
    sat_trend: float = 0.02  #: common trend per wave
    sat_rural: float = -0.15  #: baseline shift for rural retailers (urban = 0)
    sat_modern_terminal: float = 0.15
    # -- staggered rollout -----------------------------------------------------
    rollout_mean_wave: float = 9.0  #: mean programme start wave of an average-strength branch
    rollout_strength: float = 2.0  #: waves earlier per SD of strength
    rollout_sd: float = 2.5
    rollout_lag_max: int = 3  #: each intervention starts 0..lag_max waves after the programme
    #: "anchored": each intervention starts 0..rollout_lag_max waves after the branch's programme wave;
    #: "independent": each intervention's start is drawn on its own (same strength confounding, see rollout.py)
    rollout_lags: str = "anchored"
    min_start_wave: int = 3  #: no branch adopts before this wave (waves 1-2 are pre-periods)
    # -- effects (latent satisfaction scale, at saturation, urban retailers) ----
    effect_brand: float = 0.12  #: distinctive brands only; generic and copied brands: 0
    effect_publicity_team: float = 0.03
    effect_vanguard_team: float = 0.12
    effect_cloud_team: float = 0.04
    effect_points_platform: float = 0.05
    effect_problem_mechanism: float = 0.04  #: direct part; the ticket channel comes on top
    effect_tau: float = 2.0  #: growth time constant (waves): g(e) = 1 - exp(-(e + 1) / tau)
    multiplier_rural: float = 1.6  #: direct effects for rural retailers, relative to urban
    multiplier_modern_terminal: float = 0.6
    # -- integration (four fusions) as mediator --------------------------------
    fusion_strength: float = 0.5  #: branch fusion per SD of strength
    fusion_lift: float = 0.2  #: fusion rise per intervention at saturation (distinctive brand only)
    fusion_noise_sd: float = 0.3  #: branch × wave × dimension noise
    fusion_on_satisfaction: float = 0.25  #: satisfaction per unit of mean fusion (theta)
    # -- brands ------------------------------------------------------------------
    brand_distinctive_share: float = 0.4  #: for an average-strength branch
    brand_copied_share: float = 0.2
    brand_strength_logit: float = 0.8  #: stronger branches choose distinctive brands more often
    # -- problem mechanism (tickets) --------------------------------------------
    ticket_rate: float = 0.35  #: tickets per retailer and quarter
    ticket_category_shares: tuple[float, float, float, float] = (0.25, 0.20, 0.30, 0.25)
    ticket_median_urgent: float = 4.0  #: days, before the mechanism
    ticket_median_difficult: float = 30.0
    ticket_median_worry: float = 15.0
    ticket_median_expectation: float = 45.0
    ticket_weibull_shape: float = 1.2
    ticket_hazard_ratio: float = 2.0  #: resolution hazard after launch relative to before
    ticket_unresolved_share: float = 0.10  #: closed tickets closed as "unresolved"
    ticket_resolved_effect: float = 0.15  #: on next-wave satisfaction, per ticket resolved in time
    ticket_unresolved_effect: float = -0.25  #: per ticket still open or closed unresolved
    # -- teams' activities --------------------------------------------------------
    vanguard_rate: float = 0.8  #: activities per retailer and quarter while active
    publicity_rate: float = 0.3
    cloud_rate: float = 0.25
    cloud_revenue_lift: float = 0.12  #: proportional rise of non-tobacco revenue at saturation
    # -- platform and members ------------------------------------------------------
    platform_engagement_lift: float = 0.8  #: member engagement (SD units) at saturation
    skill_strength: float = 0.3  #: member skill per SD of branch strength
    # -- 360 evaluations -------------------------------------------------------------
    raters_customer: int = 2
    raters_peer: int = 2
    raters_leader: int = 1
    leniency_customer: float = 6.0  #: points added by customer raters
    leniency_peer: float = 9.0
    leniency_leader: float = -3.0
    evaluation_skill_points: float = 6.0  #: score points per SD of true skill
    # -- KPIs ----------------------------------------------------------------------------
    alignment: float = 0.3  #: true correlation of party and business assessment scores
    # -- measurement quality ----------------------------------------------------------
    item_nonresponse: float = 0.02
    speeder_rate: float = 0.04
    straightliner_rate: float = 0.03
    staff_speeder_rate: float = 0.03
    staff_straightliner_rate: float = 0.02

    def __post_init__(self) -> None:
        problems = []
        for name in ("n_counties", "branches_per_county", "n_retailers", "n_waves", "survey_per_wave"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        for name in (
            "panel_share",
            "item_nonresponse",
            "speeder_rate",
            "straightliner_rate",
            "staff_speeder_rate",
            "staff_straightliner_rate",
            "ticket_unresolved_share",
            "brand_distinctive_share",
            "brand_copied_share",
            "strength_county_share",
        ):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                problems.append(f"{name} must lie in [0, 1] (got {v})")
        if self.speeder_rate + self.straightliner_rate > 0.5:
            problems.append("speeder_rate + straightliner_rate must not exceed 0.5")
        if self.brand_distinctive_share + self.brand_copied_share > 1:
            problems.append("brand_distinctive_share + brand_copied_share must not exceed 1")
        if not -1 <= self.alignment <= 1:
            problems.append(f"alignment is a correlation and must lie in [-1, 1] (got {self.alignment})")
        if self.rollout_lags not in ROLLOUT_LAGS:
            problems.append(f"rollout_lags must be one of {', '.join(ROLLOUT_LAGS)} (got {self.rollout_lags!r})")
        if self.min_start_wave < 2:
            problems.append("min_start_wave must be at least 2 (difference-in-differences needs a pre-period)")
        if self.ticket_hazard_ratio <= 0 or self.ticket_weibull_shape <= 0:
            problems.append("ticket_hazard_ratio and ticket_weibull_shape must be positive")
        if self.effect_tau <= 0:
            problems.append("effect_tau must be positive")
        if self.staff_responses_per_branch > self.staff_per_branch:
            problems.append("staff_responses_per_branch must not exceed staff_per_branch")
        for name in ("segment_shares", "size_shares", "ticket_category_shares"):
            v = getattr(self, name)
            if any(x < 0 for x in v) or abs(sum(v) - 1) > 1e-9:
                problems.append(f"{name} must be non-negative and sum to 1 (got {v})")
        if problems:
            raise ValueError("invalid simulation settings: " + "; ".join(problems))

    def effect(self, intervention: str) -> float:
        """The direct effect at saturation for urban retailers."""
        return float(getattr(self, f"effect_{intervention}"))

    def segment_multipliers(self) -> dict[str, float]:
        return {"urban": 1.0, "rural": self.multiplier_rural, "modern_terminal": self.multiplier_modern_terminal}

    def to_dict(self) -> dict:
        """Every setting, except those in :data:`_WRITTEN_WHEN_CHANGED` that keep their default.

        Settings added after ``truth.json`` format 1 are written only when changed, so a study drawn
        with the old settings (the bundled example) serialises byte-identically.
        """
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not (f.name in _WRITTEN_WHEN_CHANGED and getattr(self, f.name) == f.default)
        }


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


#: Preset name -> size overrides of the defaults (which are the p_city sizes).
PRESETS: dict[str, dict] = {
    "p_city": {},
    "province": {
        "n_counties": 100,
        "branches_per_county": 4,
        "n_retailers": 300_000,
        "survey_per_wave": 15_000,
    },
    # The whole country (issue 16): 5,000,000 retailers served by 4,800 branches in 800
    # counties, 12 waves. Too large for memory: ``fusion-study simulate --preset national
    # --out DIR`` streams it to partitioned Parquet (:func:`.streaming.stream_study`).
    # Later in the programme than P city (branches start around wave 6, not 9), and the
    # teams visit about three times as often, so the activity log passes 10^8 rows.
    # Survey waves are sampled as in reality: 48,000 responses per wave (about 2,900 per
    # province-sized region of 300,000 retailers, 1 % of retailers), not every retailer.
    "national": {
        "n_counties": 800,
        "branches_per_county": 6,
        "n_retailers": 5_000_000,
        "members_per_branch": 20.0,
        "survey_per_wave": 48_000,
        "rollout_mean_wave": 6.0,
        "vanguard_rate": 2.4,
        "publicity_rate": 0.9,
        "cloud_rate": 0.75,
    },
    # Monte Carlo validation design (``fusion-study validate-estimators``): p_city's
    # data-generating process with four times the counties, branches, retailers and
    # survey responses (96 branches, ~12 responses per branch and wave as in p_city),
    # so that each rollout cohort holds several branches (median about 8). p_city's
    # cohorts hold a median of about 2 branches (often 1), too few for influence-function
    # or branch-clustered SEs to see the treated branches' own variance: its DiD
    # intervals undercover (benchmarks/results/validate_estimators_1000/README.md).
    "validation": {
        "n_counties": 24,
        "n_retailers": 8000,
        "survey_per_wave": 1200,
    },
    # The validation design with independently drawn intervention starts (rollout_lags="independent"):
    # the six interventions of a branch no longer start within 0-3 waves of one another, so
    # each one's own effect is separable from the others' (the several-interventions Monte Carlo,
    # benchmarks/results/validate_several_*). Strength confounding is unchanged.
    "validation_independent": {
        "n_counties": 24,
        "n_retailers": 8000,
        "survey_per_wave": 1200,
        "rollout_lags": "independent",
    },
}


#: Presets written by the streamed simulator only (too large for :func:`simulate_study`).
STREAMED_PRESETS = ("national",)

#: Largest study :func:`simulate_study` draws in memory; larger ones are streamed.
IN_MEMORY_MAX_RETAILERS = 1_000_000


def config_fields() -> list[str]:
    """Names of every setting an override may change."""
    return [f.name for f in dataclasses.fields(SimulationConfig)]


def make_config(preset: str = "p_city", **overrides) -> SimulationConfig:
    """The settings of ``preset`` with ``overrides`` applied.

    >>> make_config("p_city", n_retailers=500).n_retailers
    500
    >>> make_config("p_city", n_retailer=500)
    Traceback (most recent call last):
    ...
    ValueError: unknown simulation setting(s) ['n_retailer']; allowed: ...
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; allowed presets: {', '.join(PRESETS)}")
    allowed = config_fields()
    unknown = sorted(k for k in overrides if k not in allowed)
    if unknown:
        raise ValueError(f"unknown simulation setting(s) {unknown}; allowed: {', '.join(allowed)}")
    values = {**PRESETS[preset], **overrides}
    types = {f.name: f.type for f in dataclasses.fields(SimulationConfig)}
    for k, v in list(values.items()):
        if "tuple" in str(types[k]) and not isinstance(v, tuple):
            values[k] = tuple(v)
    return SimulationConfig(**values)
