"""Platform participation: who takes part, and how "hot" activity is, by branch and week.

* :mod:`.calendar` — participation rate and activity heat by branch × ISO week;
* :mod:`.study` — the same on a :class:`~fusion_study.Study`;
* :mod:`.plots` — the participation calendar; :mod:`.report` — the report section.
"""

from fusion_study.participation.calendar import VALUES, participation_by_week
from fusion_study.participation.plots import plot_participation_calendar
from fusion_study.participation.study import study_participation

__all__ = ["VALUES", "participation_by_week", "plot_participation_calendar", "study_participation"]
