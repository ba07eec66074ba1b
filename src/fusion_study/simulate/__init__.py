"""The ground-truth simulator: a synthetic "P city" study with known effects.

``simulate_study(preset="p_city", seed=..., **overrides) -> (Study, Truth)``
draws every canonical table (units, customers, members, interventions,
brands, activities, tickets, customer_survey, staff_survey, member_points,
evaluations, kpis) and the standard codebook from one seed, together with the
:class:`Truth` an estimator must recover. One module per mechanism:

* :mod:`.presets` — sizes, rates and true effects (``SimulationConfig``, presets);
* :mod:`.organisation` — city, counties, branches, retailers, members, staff;
* :mod:`.rollout` — staggered adoption confounded by branch strength, brand types;
* :mod:`.outcomes` — the four fusions and latent satisfaction;
* :mod:`.tickets` — 急难愁盼 tickets, resolution times, effect on satisfaction;
* :mod:`.measurement` — loadings, thresholds, Likert items, the satisfaction index;
* :mod:`.surveys` — survey samples, speeders and straight-liners;
* :mod:`.activities` — team activity records;
* :mod:`.members` — member points and 360 evaluations;
* :mod:`.kpis` — branch KPIs and the party/business assessment alignment;
* :mod:`.brands` — brand names and slogans;
* :mod:`.effects` — the true ATTs; :mod:`.truth` — the :class:`Truth` record;
* :mod:`.assemble` — draws → tables and truth; :mod:`.streaming` — ``stream_study``,
  the same process chunk by chunk to partitioned Parquet (the ``national`` preset).
"""

from fusion_study.simulate.generate import simulate_study
from fusion_study.simulate.presets import PRESETS, SimulationConfig, make_config
from fusion_study.simulate.streaming import stream_study
from fusion_study.simulate.truth import Truth

__all__ = ["simulate_study", "stream_study", "Truth", "SimulationConfig", "make_config", "PRESETS", "save_simulated_study"]


def save_simulated_study(
    out, *, preset: str = "p_city", seed: int = 20240101, format: str = "csv", exports=(), **overrides
):
    """Simulate and write the study folder plus ``truth.json``; returns ``(study, truth)``.

    ``exports`` names 问卷星 export flavours (``"code"`` 按序号, ``"text"`` 按文本)
    to write under ``out/exports/``, one file per survey wave (see :mod:`.exports`).
    """
    study, truth = simulate_study(preset, seed=seed, **overrides)
    path = study.save(out, format=format)
    truth.save(path / "truth.json")
    if exports:
        from fusion_study.simulate.exports import write_survey_exports

        write_survey_exports(study, path / "exports", flavours=tuple(exports))
    return study, truth
