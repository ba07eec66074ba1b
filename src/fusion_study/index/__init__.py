"""The integration index (党业融合指数), coupling coordination and the "two skins" alignment test.

Generic statistics on plain DataFrames:

* :mod:`.normalise` — min-max, z-score, rank, distance to target; cost-type indicators;
* :mod:`.weights` — equal, entropy (熵权法), CRITIC, coefficient of variation, PCA,
  AHP (eigenvector, Saaty's consistency ratio), subjective × objective combination;
* :mod:`.aggregate` — linear, geometric, TOPSIS;
* :mod:`.composite` — :class:`IntegrationIndex`, the model object tying them together;
* :mod:`.coupling` — coupling coordination degree (corrected formula);
* :mod:`.uncertainty` — Monte Carlo rank intervals and sensitivity shares;
* :mod:`.alignment` — party vs business assessment correlation and quadrants;
* :mod:`.study` — the domain layer: the index and alignment of a :class:`~fusion_study.Study`.
"""

from fusion_study.index.aggregate import AGGREGATIONS, topsis
from fusion_study.index.alignment import AssessmentAlignment, assessment_alignment
from fusion_study.index.composite import IntegrationIndex
from fusion_study.index.coupling import coupling_coordination, coupling_degree
from fusion_study.index.normalise import NORMALISATIONS, normalise
from fusion_study.index.plots import plot_rank_intervals, plot_weights
from fusion_study.index.study import study_alignment, study_coupling, study_index, study_indicators
from fusion_study.index.uncertainty import IndexUncertainty, index_uncertainty
from fusion_study.index.weights import (
    WEIGHT_METHODS,
    AHPResult,
    CombinedWeights,
    InconsistentJudgementsError,
    InconsistentJudgementsWarning,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    pca_weights,
)
from fusion_study.index._validate import ConstantIndicatorWarning, IndexInputError

__all__ = [
    "AGGREGATIONS", "NORMALISATIONS", "WEIGHT_METHODS",
    "IntegrationIndex", "normalise", "topsis",
    "entropy_weights", "critic_weights", "cv_weights", "pca_weights", "ahp_weights", "combine_weights",
    "AHPResult", "CombinedWeights", "InconsistentJudgementsError", "InconsistentJudgementsWarning",
    "ConstantIndicatorWarning", "IndexInputError",
    "coupling_coordination", "coupling_degree",
    "index_uncertainty", "IndexUncertainty", "plot_rank_intervals", "plot_weights",
    "assessment_alignment", "AssessmentAlignment",
    "study_indicators", "study_index", "study_coupling", "study_alignment",
]
