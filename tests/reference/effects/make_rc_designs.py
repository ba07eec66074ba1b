"""Row selections of mpdta for the repeated-cross-section / unbalanced-panel references.

Writes ``rc_designs.json``: for each design, the 0-based row numbers of
``mpdta.csv`` (beside this script) that it keeps and whether the unit id is the
county (panel) or the row (repeated cross-sections). Both the diff-diff script
(``diffdiff_rc_unbalanced.py``) and the independent base-R implementation
(``drdid_rc_base.R``) read this file, so the data are identical everywhere.

* ``rc_full``: all 2,500 rows read as repeated cross-sections (each row its
  own respondent; R did's ``panel=FALSE`` on mpdta).
* ``rc_sub``: each county observed in a random subset of years (each row kept
  with probability 0.6), ids unique per row.
* ``unbalanced``: the mpdta panel with 15 % of rows dropped at random; ids are
  the counties (R did's ``allow_unbalanced_panel=TRUE``).

Run from the repo root: ``.venv/bin/python tests/reference/effects/make_rc_designs.py``
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

N_ROWS = 2500  # mpdta.csv
rng = np.random.default_rng(20260601)
designs = {
    "rc_full": {"unit": "row", "rows": list(range(N_ROWS))},
    "rc_sub": {"unit": "row", "rows": np.flatnonzero(rng.random(N_ROWS) < 0.6).tolist()},
    "unbalanced": {"unit": "countyreal", "rows": np.flatnonzero(rng.random(N_ROWS) >= 0.15).tolist()},
}
out = Path(__file__).with_name("rc_designs.json")
out.write_text(json.dumps({"seed": 20260601, "source": "tests/reference/effects/mpdta.csv", "designs": designs}) + "\n")
print({k: len(v["rows"]) for k, v in designs.items()})
