"""Planning a study: survey sizes for cluster samples and randomised staggered rollouts.

* :mod:`.samples` — closed-form survey planning numbers: the design effect, responses per
  branch for a target interval width, power and group size for two means, the minimum
  detectable effect of a cluster-randomised design;
* :mod:`.rollout` — a randomised staggered (stepped-wedge style) schedule of interventions over
  branches and waves, and the diagnostic that each intervention's effect is separable;
* :mod:`.power` — the power, bias, coverage and interval width of each intervention's estimate
  under a plan, by simulating lean studies and running the several-interventions estimator.
"""

from fusion_study.planning.power import POWER_COLUMNS, rollout_power, simulate_rollout_data
from fusion_study.planning.rollout import plan_rollout, separability
from fusion_study.planning.samples import (
    POWER_METHODS,
    branch_icc,
    design_effect,
    mde_cluster,
    power_two_means,
    responses_per_branch,
    survey_precision,
)

__all__ = [
    "POWER_COLUMNS",
    "POWER_METHODS",
    "branch_icc",
    "design_effect",
    "mde_cluster",
    "plan_rollout",
    "power_two_means",
    "responses_per_branch",
    "rollout_power",
    "separability",
    "simulate_rollout_data",
    "survey_precision",
]
