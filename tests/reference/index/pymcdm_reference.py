"""Second, independent reference for entropy and CRITIC weights: the MIT-licensed pymcdm 1.4.0.

Not run in CI (pymcdm is not a dependency). Reproduce with
``pip install pymcdm==1.4.0 && python tests/reference/index/pymcdm_reference.py``;
it reads the same 10 x 5 table as ``index_reference.R`` (raw values, min-max
normalised here exactly as there) and writes ``pymcdm_reference.json``.
pymcdm's entropy_weights sum-normalises its input (positive values only) and its critic_weights
min-max normalises it first (both with the benefit direction), so each is fed
the table that makes its definition equal to ours.
"""

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np

from pymcdm.weights import critic_weights, entropy_weights

X = np.array([
    [120, 95, 143, 88, 132, 101, 110, 150, 97, 125],
    [3.2, 2.1, 4.8, 1.9, 3.9, 2.8, 2.5, 4.1, 2.2, 3.0],
    [12, 20, 7, 25, 9, 15, 18, 6, 22, 11],
    [85, 78, 92, 70, 88, 80, 83, 95, 72, 86],
    [4.1, 3.6, 4.5, 3.2, 4.4, 3.9, 3.7, 4.6, 3.4, 4.0],
]).T
cost = np.array([False, False, True, False, False])
Z = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
Z[:, cost] = 1 - Z[:, cost]
raw_positive = X[:, [0, 1, 3, 4]]

out = {
    "pymcdm_version": version("pymcdm"),
    # pymcdm refuses zeros (its sum normalisation needs positive values), so the
    # min-max table is checked with the documented 1e-4 shift
    "entropy_minmax_shift_1e4": entropy_weights(Z + 1e-4).tolist(),
    "entropy_raw": entropy_weights(raw_positive).tolist(),
    "critic_minmax": critic_weights(Z).tolist(),
}
(Path(__file__).parent / "pymcdm_reference.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
