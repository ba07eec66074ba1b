"""The organisation: city → counties → party branches, retailers, members, staff.

Each county/district bureau has ``branches_per_county`` party branches whose
kinds cycle marketing (营销), monopoly (专卖), logistics (物流), office (机关).
Every retailer is served by one branch of its county, drawn uniformly (in the
seed articles all front-line departments — customer managers, monopoly
inspectors, delivery staff — serve retailers); the programme is rolled out by
branch, so a retailer's exposure is its serving branch's.

Branch strength (leadership) ``z`` is standard normal: a county part shared by
the county's branches (share ``strength_county_share`` of the variance) plus a
branch part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fusion_study.simulate.presets import BRANCH_KINDS, SEGMENTS, SIZE_TIERS, SimulationConfig

__all__ = ["Organisation", "build_organisation"]

_NAME_FIRST = list("东西南北青石白云金银松柏桃李花竹梅兰清明安平长永新丰德福高龙凤河湖山峰泉溪")
_NAME_SECOND = list("岭江山塘溪门川源湖阳田口桥城林坪岗洲滩冲陂沙")
_KIND_ZH = {"marketing": "营销", "monopoly": "专卖", "logistics": "物流", "office": "机关"}
_POSITIONS = {
    "marketing": (["customer_manager", "manager", "office"], [0.7, 0.2, 0.1]),
    "monopoly": (["monopoly_inspector", "manager", "office"], [0.75, 0.2, 0.05]),
    "logistics": (["delivery", "manager", "office"], [0.75, 0.2, 0.05]),
    "office": (["office", "manager"], [0.7, 0.3]),
}


@dataclass
class Organisation:
    """Arrays describing the organisation (index = position in each table)."""

    units: pd.DataFrame
    county_ids: np.ndarray
    county_names: np.ndarray  #: short place names (used by brand names)
    branch_ids: np.ndarray
    branch_county: np.ndarray  #: county index of each branch
    branch_kind: np.ndarray
    strength: np.ndarray  #: per branch, standard normal
    customers: pd.DataFrame
    cust_branch: np.ndarray  #: branch index of each retailer
    cust_segment: np.ndarray  #: segment index (0 urban, 1 rural, 2 modern terminal)
    cust_size: np.ndarray  #: size index (0 small, 1 medium, 2 large)
    members: pd.DataFrame
    member_branch: np.ndarray
    member_skill: np.ndarray
    staff_branch: np.ndarray
    staff_ids: np.ndarray


def _ids(prefix: str, n: int, width: int | None = None) -> np.ndarray:
    width = width or max(len(str(n)), 1)
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _place_names(n: int, rng: np.random.Generator) -> np.ndarray:
    combos = [a + b for a in _NAME_FIRST for b in _NAME_SECOND if a != b]
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} counties can be named (asked for {n})")
    return np.array(combos, dtype=object)[rng.choice(len(combos), size=n, replace=False)]


def build_organisation(cfg: SimulationConfig, rng: np.random.Generator) -> Organisation:
    nk, nb_per = cfg.n_counties, cfg.branches_per_county
    n_branch = nk * nb_per
    county_ids = _ids("K", nk, max(2, len(str(nk))))
    places = _place_names(nk, rng)
    suffix = np.where(rng.random(nk) < 0.3, "区", "县")
    county_names = places + suffix
    branch_county = np.repeat(np.arange(nk), nb_per)
    branch_kind = np.array([BRANCH_KINDS[i % len(BRANCH_KINDS)] for i in range(nb_per)] * nk, dtype=object)
    within = np.tile(np.arange(1, nb_per + 1), nk)
    branch_ids = np.array(
        [f"B{county_ids[c][1:]}{w}" if nb_per < 10 else f"B{county_ids[c][1:]}{w:02d}" for c, w in zip(branch_county, within)],
        dtype=object,
    )
    # each county has one branch of each kind per cycle; repeated kinds get a number
    branch_names = []
    for c, kind, w in zip(branch_county, branch_kind, within):
        cycle = (w - 1) // len(BRANCH_KINDS)
        branch_names.append(f"{places[c]}{_KIND_ZH[kind]}{'' if cycle == 0 else cycle + 1}党支部")
    units = pd.DataFrame(
        {
            "unit_id": np.concatenate([["P"], county_ids, branch_ids]),
            "name": np.concatenate([["P市烟草专卖局（公司）"], county_names + "局", branch_names]),
            "level": ["city"] + ["county"] * nk + ["branch"] * n_branch,
            "parent_id": np.concatenate([[None], ["P"] * nk, county_ids[branch_county]]),
            "branch_kind": np.concatenate([[None] * (nk + 1), branch_kind]),
        }
    )
    # strength: county part + branch part, standard normal overall
    s = cfg.strength_county_share
    z_county = rng.standard_normal(nk)
    strength = np.sqrt(s) * z_county[branch_county] + np.sqrt(1 - s) * rng.standard_normal(n_branch)

    # retailers: counties of unequal size, uniform serving branch within the county
    n = cfg.n_retailers
    county_w = rng.lognormal(0.0, 0.3, nk)
    cust_county = rng.choice(nk, size=n, p=county_w / county_w.sum())
    cust_county.sort()
    cust_branch = cust_county * nb_per + rng.integers(0, nb_per, size=n)
    cust_segment = rng.choice(3, size=n, p=np.asarray(cfg.segment_shares))
    size_p = np.asarray(cfg.size_shares)
    # modern terminals are larger: shift their size distribution up
    modern_p = np.array([size_p[0] * 0.4, size_p[1], size_p[2] + size_p[0] * 0.6])
    cust_size = np.where(
        cust_segment == 2,
        rng.choice(3, size=n, p=modern_p / modern_p.sum()),
        rng.choice(3, size=n, p=size_p),
    )
    customers = pd.DataFrame(
        {
            "customer_id": _ids("R", n, max(5, len(str(n)))),
            "county_id": county_ids[cust_county],
            "branch_id": branch_ids[cust_branch],
            "segment": np.array(SEGMENTS, dtype=object)[cust_segment],
            "size_tier": np.array(SIZE_TIERS, dtype=object)[cust_size],
        }
    )

    # members
    n_mem = np.maximum(3, rng.poisson(cfg.members_per_branch, size=n_branch))
    member_branch = np.repeat(np.arange(n_branch), n_mem)
    rank = np.concatenate([np.arange(k) for k in n_mem])
    role = np.where(rank == 0, "secretary", np.where(rank <= np.where(n_mem[member_branch] >= 5, 2, 1), "committee", "member"))
    position = np.empty(len(member_branch), dtype=object)
    for kind, (choices, p) in _POSITIONS.items():
        idx = np.flatnonzero(branch_kind[member_branch] == kind)
        position[idx] = np.array(choices, dtype=object)[rng.choice(len(choices), size=len(idx), p=p)]
    position[role == "secretary"] = "manager"
    start_year = int(cfg.start_period[:4])
    joined = start_year - rng.integers(0, 35, size=len(member_branch))
    ss = cfg.skill_strength
    member_skill = ss * strength[member_branch] + np.sqrt(1 - ss**2) * rng.standard_normal(len(member_branch))
    members = pd.DataFrame(
        {
            "member_id": _ids("M", len(member_branch), max(4, len(str(len(member_branch))))),
            "branch_id": branch_ids[member_branch],
            "role": role.astype(object),
            "position": position,
            "joined_year": pd.array(joined, dtype="Int64"),
        }
    )
    staff_branch = np.repeat(np.arange(n_branch), cfg.staff_per_branch)
    staff_ids = _ids("S", len(staff_branch), max(4, len(str(len(staff_branch)))))
    return Organisation(
        units=units,
        county_ids=county_ids,
        county_names=places,
        branch_ids=branch_ids,
        branch_county=branch_county,
        branch_kind=branch_kind,
        strength=strength,
        customers=customers,
        cust_branch=cust_branch,
        cust_segment=cust_segment,
        cust_size=cust_size,
        members=members,
        member_branch=member_branch,
        member_skill=member_skill,
        staff_branch=staff_branch,
        staff_ids=staff_ids,
    )
