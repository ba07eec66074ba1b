"""The 急难愁盼 customer-problem mechanism: tickets, time to resolution, and what a resolved problem does.

* :mod:`.survival` — generic right-censored statistics (Kaplan–Meier, clustered Cox);
* :mod:`.tickets` — ticket durations, summaries, resolution curves and the launch hazard ratio;
* :mod:`.resolution` — the AIPW effect of a problem resolved in time on next-wave satisfaction;
* :mod:`.study` — the same analyses on a (screened) :class:`~fusion_study.Study`;
* :mod:`.plots` — resolution curves; :mod:`.report` — the report section.
"""

from fusion_study.problems.plots import plot_resolution_curves
from fusion_study.problems.resolution import EXCLUSION_REASONS, resolution_effect, resolution_units
from fusion_study.problems.study import (
    study_launch_hazard_ratio,
    study_launches,
    study_next_wave_satisfaction,
    study_resolution_effect,
    study_ticket_durations,
)
from fusion_study.problems.survival import CONF_TYPES, cox_clustered, kaplan_meier, km_quantile
from fusion_study.problems.tickets import (
    branch_launch_periods,
    launch_hazard_ratio,
    next_wave_satisfaction,
    resolution_curves,
    ticket_durations,
    ticket_summary,
)

__all__ = [
    "CONF_TYPES",
    "EXCLUSION_REASONS",
    "branch_launch_periods",
    "cox_clustered",
    "kaplan_meier",
    "km_quantile",
    "launch_hazard_ratio",
    "next_wave_satisfaction",
    "plot_resolution_curves",
    "resolution_curves",
    "resolution_effect",
    "resolution_units",
    "study_launch_hazard_ratio",
    "study_launches",
    "study_next_wave_satisfaction",
    "study_resolution_effect",
    "study_ticket_durations",
    "ticket_durations",
    "ticket_summary",
]
