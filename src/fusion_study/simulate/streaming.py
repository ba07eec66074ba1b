"""The streamed simulator: a study too large for memory, written chunk by chunk to Parquet.

:func:`stream_study` draws the same data-generating process as
:func:`~fusion_study.simulate.simulate_study` (it calls the same module-level
functions: :func:`.outcomes.satisfaction_base`, :func:`.tickets.simulate_tickets`,
:func:`.activities.simulate_activities`, :func:`.kpis.retailer_kpi_sums`, …) but
on blocks of ``chunk_size`` consecutive retailers, so that memory holds the
organisation (a few compact arrays per retailer), the surveyed retailers'
latent satisfaction and one chunk's logs at a time.

Random streams
    The study's thirteen streams are spawned from ``seed`` as in memory. The
    organisation, rollout, fusion, survey samples, staff survey, members,
    brands and branch-level KPI draws use them unchanged. The retailer-level
    draws (satisfaction, tickets, activities, sales) of chunk ``c`` use the
    stream's own generator for ``c = 0`` and, for ``c >= 1``, a generator
    seeded by ``SeedSequence(entropy, spawn_key=parent_key + (c,))``: keyed by
    the chunk's index, so the output depends on ``seed`` and ``chunk_size`` only
    (never on the order chunks are processed in). With one chunk
    (``chunk_size >= n_retailers``) the streamed study equals the in-memory one.

Layout of ``out/``
    ``study.json``, ``truth.json``, ``codebook.csv`` and the small tables
    ``units``, ``members``, ``interventions``, ``brands`` as ``<table>.csv``
    (or ``.parquet`` with ``small_format="parquet"``); every other table as
    ``<table>/part-<k>.parquet`` (``k`` zero-padded to 5 digits, no hive
    partitioning): ``customers``, ``activities``, ``tickets`` one part per
    chunk of retailers (part ``k`` = retailers ``k * chunk_size`` onwards;
    rows sorted within the part as in memory: activities by date, retailer,
    team, kind; tickets by opening day then retailer; ids numbered on across
    parts); ``customer_survey`` and ``staff_survey`` one part per wave;
    ``member_points``, ``evaluations`` and ``kpis`` in parts of at most
    1,000,000 rows. Columns and dtypes are the schema's
    (:mod:`fusion_study.data.schema`; ``string`` → Arrow ``large_string``,
    ``int`` → ``int64``, ``date``/``datetime`` → ``timestamp[ns]``, with the
    pandas metadata, so ``pandas.read_parquet`` returns the schema dtypes).
    ``study.json`` lists each streamed table's ``path`` glob, ``parts`` and
    ``rows``.

Determinism
    Parquet is written with fixed settings (:data:`PARQUET_OPTIONS`: zstd level
    3, 1,048,576-row groups, dictionary encoding, statistics, format 2.6); the
    files carry no timestamps, so the same seed gives the same bytes (with the
    same pyarrow version, whose name is in each file's ``created_by``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fusion_study.data.periods import period_range
from fusion_study.data.privacy import assert_no_pii
from fusion_study.data.study import FORMAT_VERSION, write_frame
from fusion_study.simulate.activities import TEAM_SPEC, simulate_activities
from fusion_study.simulate.assemble import (
    activities_frame,
    branch_satisfaction_frame,
    branch_satisfaction_sums,
    build_truth,
    evaluations_frame,
    points_frame,
    programme_tables,
    tickets_frame,
    typed,
)
from fusion_study.simulate.brands import brand_texts
from fusion_study.simulate.generate import _quarter_starts, simulated_codebook, study_meta
from fusion_study.simulate.kpis import branch_kpis, retailer_kpi_sums
from fusion_study.simulate.members import simulate_evaluations, simulate_points
from fusion_study.simulate.organisation import build_organisation
from fusion_study.simulate.outcomes import branch_growth, fusion_latent, satisfaction_base
from fusion_study.simulate.presets import INTERVENTIONS, TICKET_CATEGORIES, SimulationConfig, make_config
from fusion_study.simulate.rollout import draw_brand_types, draw_rollout, exposure
from fusion_study.simulate.surveys import customer_survey, sample_customer_survey, staff_survey
from fusion_study.simulate.text import branch_ticket_counts, simulate_suggestions
from fusion_study.simulate.tickets import SEGMENT_TICKET_FACTOR, simulate_tickets

__all__ = ["stream_study", "STREAMED_TABLES", "SMALL_TABLES", "PARQUET_OPTIONS", "DEFAULT_CHUNK_SIZE", "chunk_rng"]

#: Tables written as ``<table>/part-<k>.parquet``.
STREAMED_TABLES = (
    "customers",
    "activities",
    "tickets",
    "customer_survey",
    "staff_survey",
    "member_points",
    "evaluations",
    "kpis",
)
#: Tables written as one file ``<table>.csv`` (or ``.parquet``).
SMALL_TABLES = ("units", "members", "interventions", "brands")

#: The fixed :func:`pyarrow.parquet.write_table` settings (byte-stable output).
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": 1 << 20,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}

#: Retailers per chunk unless ``chunk_size`` is given.
DEFAULT_CHUNK_SIZE = 250_000

_ROWS_PER_PART = 1_000_000


def chunk_rng(parent: np.random.Generator, chunk: int) -> np.random.Generator:
    """The generator of chunk ``chunk`` for one of the study's streams (see the module notes).

    >>> g = np.random.default_rng(1).spawn(2)[1]
    >>> chunk_rng(g, 0) is g
    True
    >>> float(chunk_rng(g, 3).random()) == float(chunk_rng(g, 3).random())
    True
    """
    if chunk == 0:
        return parent
    ss = parent.bit_generator.seed_seq
    child = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, int(chunk)), pool_size=ss.pool_size)
    return np.random.default_rng(child)


class _Parts:
    """Writes one table's ``part-<k>.parquet`` files with one fixed Arrow schema."""

    def __init__(self, out: Path, table: str):
        self.table, self.folder = table, out / table
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema: pa.Schema | None = None
        self.parts = self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        df = typed(df, self.table)
        assert_no_pii(df, where=f"writing table {self.table}")
        if self.schema is None:
            self.schema = pa.Schema.from_pandas(df, preserve_index=False)
        arrow = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
        pq.write_table(arrow, self.folder / f"part-{self.parts:05d}.parquet", **PARQUET_OPTIONS)
        self.parts += 1
        self.rows += len(df)

    def write_blocks(self, df: pd.DataFrame, rows: int = _ROWS_PER_PART) -> None:
        for lo in range(0, max(len(df), 1), rows):
            self.write(df.iloc[lo : lo + rows])

    def record(self) -> dict:
        return {"path": f"{self.table}/part-*.parquet", "parts": self.parts, "rows": self.rows}


def _id_width(expected: float) -> int:
    """Digits of the ids of a log whose length is Poisson with mean ``expected`` (10 SD of room)."""
    return max(6, len(str(int(expected + 10 * np.sqrt(expected) + 100))))


def _expected_activities(cfg: SimulationConfig, org, event, intensity) -> float:
    total = 0.0
    for team, (rate_name, _k, _s, seg_f, size_f) in TEAM_SPEC.items():
        i = INTERVENTIONS.index(team)
        active_waves = (event[:, i, :] >= 0).sum(axis=1)[org.cust_branch]
        lam = getattr(cfg, rate_name) * intensity[org.cust_branch, i]
        lam = lam * np.asarray(seg_f)[org.cust_segment] * np.asarray(size_f)[org.cust_size]
        total += float((lam * active_waves).sum())
    return total


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(
                f"{out}: the folder exists and is not empty; choose an empty or new folder, "
                "or pass --force (force=True) to replace the simulated study's files in it"
            )
        # replace only what a streamed study writes (never anything else in the folder)
        for name in STREAMED_TABLES:
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        for name in (*SMALL_TABLES, "codebook"):
            for suffix in (".csv", ".parquet"):
                (out / f"{name}{suffix}").unlink(missing_ok=True)
        for name in ("study.json", "truth.json"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def stream_study(
    out: str | Path,
    *,
    preset: str = "national",
    seed: int | np.random.Generator | None = 20240101,
    chunk_size: int | None = None,
    force: bool = False,
    progress: bool = False,
    small_format: str = "csv",
    **overrides,
) -> dict:
    """Simulate ``preset`` chunk by chunk and write it to ``out`` (layout in the module notes).

    Parameters
    ----------
    out : folder to write; it must be new or empty unless ``force`` (then the
        files a streamed study writes are replaced, nothing else is touched).
    preset, seed, **overrides : as :func:`~fusion_study.simulate.simulate_study`
        (any preset; ``"national"`` is the one too large for memory).
    chunk_size : retailers per chunk (default :data:`DEFAULT_CHUNK_SIZE`); part of
        the design: another chunk size gives another (equally valid) draw.
    progress : show a tqdm progress bar on stderr.
    small_format : ``"csv"`` or ``"parquet"`` for the small tables and the codebook.

    Returns
    -------
    dict with ``tables`` (``table -> {"path", "parts", "rows"}`` for every table)
    and ``truth`` (the :class:`~fusion_study.simulate.Truth`), as recorded in
    ``study.json`` and ``truth.json``.

    Notes
    -----
    Validated against the in-memory simulator: with one chunk every table and
    the truth equal :func:`~fusion_study.simulate.simulate_study`'s
    (``tests/simulate/test_streaming.py``); with several chunks the tables that
    do not depend on retailer-level draws are equal, the big tables have the
    schema's columns and dtypes, and the survey recovers the streamed truth's
    satisfaction by wave (4 SE) and the tickets its hazard ratio (10 %).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     info = stream_study(d, preset="national", seed=1, chunk_size=2000, n_counties=2,
    ...                         n_retailers=5000, survey_per_wave=100)
    >>> info["tables"]["customers"]["parts"], info["tables"]["customers"]["rows"]
    (3, 5000)
    """
    from tqdm.auto import tqdm

    if small_format not in ("csv", "parquet"):
        raise ValueError(f"small_format must be 'csv' or 'parquet', got {small_format!r}")
    chunk_size = DEFAULT_CHUNK_SIZE if chunk_size is None else int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1 (got {chunk_size})")
    cfg = make_config(preset, **overrides)
    out = Path(out)
    _prepare(out, force)
    n, nt = cfg.n_retailers, cfg.n_waves
    bounds = list(range(0, n, chunk_size)) + [n]
    n_chunks = len(bounds) - 1
    bar = tqdm(total=n_chunks + 3, desc=f"simulate {preset}", unit="step", file=sys.stderr, disable=not progress)

    # -- the organisation and everything decided by branch --------------------------
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rngs = rng.spawn(13)
    periods = period_range(cfg.start_period, nt)
    per = np.asarray(periods, dtype=object)
    qstarts = _quarter_starts(periods)
    org = build_organisation(cfg, rngs[0])
    nb = len(org.branch_ids)
    start = draw_rollout(cfg, org.strength, rngs[1])
    brand_type = draw_brand_types(cfg, org.strength, rngs[1])
    intensity = rngs[1].uniform(0.7, 1.3, size=(nb, len(INTERVENTIONS)))
    event = exposure(start, nt)
    bgrowth = branch_growth(cfg, event, brand_type)
    F, _lift = fusion_latent(cfg, org.strength, bgrowth, rngs[2])
    r_idx, t_idx = sample_customer_survey(cfg, rngs[5])
    sampled = np.unique(r_idx)  # the surveyed retailers, whose latent satisfaction the truth needs
    pos = np.searchsorted(sampled, r_idx)
    cust_ids = org.customers["customer_id"].to_numpy()
    member_ids = org.members["member_id"].to_numpy()
    member_count = np.bincount(org.member_branch, minlength=nb)
    member_offset = np.concatenate([[0], np.cumsum(member_count)[:-1]])
    act_width = _id_width(_expected_activities(cfg, org, event, intensity))
    tk_lam = cfg.ticket_rate * np.asarray(SEGMENT_TICKET_FACTOR)[org.cust_segment]
    tk_width = _id_width(float(tk_lam.sum()) * nt)

    # -- retailer chunks: satisfaction, tickets, activities, sales -------------------
    S_s, K_s, K0_s = (np.empty((len(sampled), nt)) for _ in range(3))
    u_s = np.empty(len(sampled))
    tickets_s, n_after = [], 0
    tk_by_branch = np.zeros((nb, len(TICKET_CATEGORIES)))  # every retailer's tickets, for the open answers
    kpi_sums, sat_sums = None, None
    writers = {name: _Parts(out, name) for name in STREAMED_TABLES}
    next_act = next_tk = 1
    bar.update(1)
    for c in range(n_chunks):
        lo, hi = bounds[c], bounds[c + 1]
        cb, seg, size = org.cust_branch[lo:hi], org.cust_segment[lo:hi], org.cust_size[lo:hi]
        writers["customers"].write(org.customers.iloc[lo:hi])
        base = satisfaction_base(cfg, org.strength, cb, seg, F, bgrowth, chunk_rng(rngs[3], c))
        tk, K, K0 = simulate_tickets(
            cfg, cust_branch=cb, cust_segment=seg, start=start, quarter_starts=qstarts, rng=chunk_rng(rngs[4], c)
        )
        S = base["S"] + K
        act = simulate_activities(
            cfg,
            event=event,
            intensity=intensity,
            cust_branch=cb,
            cust_segment=seg,
            cust_size=size,
            member_offset=member_offset,
            member_count=member_count,
            quarter_starts=qstarts,
            rng=chunk_rng(rngs[8], c),
        )
        ids = cust_ids[lo:hi]
        writers["activities"].write(activities_frame(act, ids, member_ids, start=next_act, width=act_width))
        next_act += len(act)
        del act
        writers["tickets"].write(tickets_frame(tk, ids, cb, org.branch_ids, start=next_tk, width=tk_width))
        next_tk += len(tk)
        sums, _rev = retailer_kpi_sums(
            cfg, cust_branch=cb, cust_size=size, event=event, S=S, periods=periods, n_branches=nb,
            rng=chunk_rng(rngs[10], c),
        )  # fmt: skip
        kpi_sums = sums if kpi_sums is None else {k: kpi_sums[k] + v for k, v in sums.items()}
        bs = branch_satisfaction_sums(S, cb, nb)
        sat_sums = bs if sat_sums is None else {k: sat_sums[k] + v for k, v in bs.items()}
        # keep the surveyed retailers' latent quantities and tickets (positions into `sampled`)
        j0, j1 = np.searchsorted(sampled, [lo, hi])
        local = sampled[j0:j1] - lo
        S_s[j0:j1], K_s[j0:j1], K0_s[j0:j1], u_s[j0:j1] = S[local], K[local], K0[local], base["u"][local]
        in_sample = np.zeros(hi - lo, dtype=bool)
        in_sample[local] = True
        r_tk = tk["retailer"].to_numpy()
        keep = in_sample[r_tk]
        tickets_s.append(
            pd.DataFrame(
                {
                    "retailer": j0 + np.searchsorted(local, r_tk[keep]),
                    "wave_index": tk["wave_index"].to_numpy()[keep],
                    "category": tk["category"].to_numpy()[keep],
                }
            )
        )
        n_after += int(tk["after_launch"].sum())
        tk_by_branch += branch_ticket_counts(tk, cb, nb)
        del tk, K, K0, S, base
        bar.update(1)

    # -- surveys, members, KPIs, brands -------------------------------------------------
    cs, cs_quality, cs_constructs = customer_survey(
        cfg, r_idx=pos, t_idx=t_idx, S=S_s, u=u_s, customer_ids=cust_ids[sampled], periods=periods,
        quarter_starts=qstarts, rng=rngs[6],
    )  # fmt: skip
    tickets_s = pd.concat(tickets_s, ignore_index=True)
    text = simulate_suggestions(r_idx=pos, t_idx=t_idx, quality=cs_quality, tickets=tickets_s,
                                cust_branch=org.cust_branch[sampled], n_waves=nt, rng=rngs[12],
                                branch_counts=(tk_by_branch, np.bincount(org.cust_branch, minlength=nb)))
    cs["suggestion"] = pd.array(text["text"].to_numpy(), dtype="string")
    ss, ss_quality, ss_constructs = staff_survey(
        cfg, F=F, staff_ids=org.staff_ids, branch_ids=org.branch_ids, periods=periods, quarter_starts=qstarts,
        rng=rngs[7],
    )  # fmt: skip
    for name, df, wave_idx in (("customer_survey", cs, t_idx), ("staff_survey", ss, None)):
        w = wave_idx if wave_idx is not None else np.searchsorted(per.astype(str), df["wave"].to_numpy().astype(str))
        for t in range(nt):
            writers[name].write(df[w == t])
    points, _eng = simulate_points(
        cfg, member_branch=org.member_branch, member_skill=org.member_skill, event=event, rng=rngs[9]
    )
    writers["member_points"].write_blocks(points_frame(points, member_ids, periods))
    order = np.argsort(org.cust_branch, kind="stable")
    cuts = np.concatenate([[0], np.cumsum(np.bincount(org.cust_branch, minlength=nb))])
    ev = simulate_evaluations(
        cfg, member_branch=org.member_branch, member_skill=org.member_skill, member_ids=member_ids,
        member_offset=member_offset, member_count=member_count, branch_county=org.branch_county,
        county_ids=org.county_ids, branch_customers=[order[cuts[b] : cuts[b + 1]] for b in range(nb)],
        customer_ids=cust_ids, periods=periods, rng=rngs[9],
    )  # fmt: skip
    writers["evaluations"].write_blocks(evaluations_frame(ev, member_ids))
    del ev, order
    # the branch-level draws go on with chunk 0's generator (the stream itself, as in memory)
    kpis = branch_kpis(cfg, kpi_sums, strength=org.strength, periods=periods, branch_ids=org.branch_ids, rng=rngs[10])
    writers["kpis"].write_blocks(kpis)
    brands_text = brand_texts(brand_type, org.county_names[org.branch_county], org.branch_kind, rngs[11])
    interventions, brands = programme_tables(org, start, intensity, brands_text, per)
    bar.update(1)

    # -- small tables, codebook, truth, study.json ------------------------------------------
    tables = {}
    for name, df in (("units", org.units), ("members", org.members), ("interventions", interventions), ("brands", brands)):
        df = typed(df, name)
        assert_no_pii(df, where=f"writing table {name}")
        write_frame(df, out / f"{name}.{small_format}")
        tables[name] = {"path": f"{name}.{small_format}", "parts": 1, "rows": len(df)}
    write_frame(simulated_codebook(), out / f"codebook.{small_format}")
    tables.update({name: w.record() for name, w in writers.items()})
    sample = SimpleNamespace(
        r_idx=pos, t_idx=t_idx, cust_branch=org.cust_branch[sampled], cust_segment=org.cust_segment[sampled],
        S=S_s, K=K_s, K0=K0_s, tickets=tickets_s,
    )  # fmt: skip
    truth = build_truth(
        cfg,
        preset=preset,
        seed=seed,
        org=org,
        start=start,
        brand_type=brand_type,
        event=event,
        bgrowth=bgrowth,
        F=F,
        sample=sample,
        n_after_launch=n_after,
        surveys=(cs, cs_quality, cs_constructs, ss, ss_quality, ss_constructs),
        periods=periods,
        member_ids=member_ids,
        branch_satisfaction=branch_satisfaction_frame(sat_sums, org.branch_ids, per),
        text=text,
    )
    truth.save(out / "truth.json")
    meta = study_meta(preset, seed, cfg)
    meta["simulated"]["streamed"] = {"chunk_size": chunk_size, "chunks": n_chunks}
    meta.update(
        {
            "format_version": FORMAT_VERSION,
            "name": f"simulated_{preset}",
            "rows_read": {name: rec["rows"] for name, rec in sorted(tables.items())},
            "tables": dict(sorted(tables.items())),
        }
    )
    (out / "study.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    bar.update(1)
    bar.close()
    return {"tables": dict(sorted(tables.items())), "truth": truth}
