"""Branch brands (一支部一品牌一特色): how distinctive each brand is, and whether its type moderates its effect.

* :mod:`.distinctiveness` — generic statistics on the ``brands`` table (character n-gram
  TF-IDF similarity, reuse of a reference brand, stock phrases) and the flag of each brand;
* :mod:`.moderation` — the brand-type moderation estimator on a plain retailer × wave frame
  (CS-DiD contrasts between brand types);
* :mod:`.study` — the same analyses on a (screened) :class:`~fusion_study.Study`, and the
  retailer × wave frame from it;
* :mod:`.plots` — the similarity heat-map and the moderation forest plot;
* :mod:`.report` — the report section.
"""

from fusion_study.brands.distinctiveness import FLAGS, brand_distinctiveness, brand_similarity_matrix, load_generic_phrases
from fusion_study.brands.moderation import MIN_BRANCHES_PER_TYPE, brand_type_moderation
from fusion_study.brands.plots import plot_brand_moderation, plot_brand_similarity
from fusion_study.brands.study import brand_moderation_frame, study_brand_distinctiveness, study_brand_moderation

__all__ = [
    "FLAGS",
    "MIN_BRANCHES_PER_TYPE",
    "brand_distinctiveness",
    "brand_moderation_frame",
    "brand_similarity_matrix",
    "brand_type_moderation",
    "load_generic_phrases",
    "plot_brand_moderation",
    "plot_brand_similarity",
    "study_brand_distinctiveness",
    "study_brand_moderation",
]
