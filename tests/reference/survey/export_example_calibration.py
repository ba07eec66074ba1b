"""Export the frame of the bundled example study that make_calibration_reference.R calibrates.

Run from the repository root: PYTHONPATH=src python tests/reference/survey/export_example_calibration.py
Writes example_calibration.csv (the 2022Q1 customer-survey responses with the customers' county,
segment and branch; satisfaction item sat1) and example_margins.csv (population counts of county_id
and segment, counted from the customers table). No names, phones or addresses are in either file.
"""

from pathlib import Path

from fusion_study import example_study_path, load_study

HERE = Path(__file__).parent
s = load_study(example_study_path())
customers = s.tables["customers"]
wave = s.tables["customer_survey"].query("wave == '2022Q1'")
frame = wave.merge(customers, on="customer_id", how="left")
frame = frame.loc[frame["sat1"].notna(), ["response_id", "county_id", "segment", "branch_id", "size_tier", "sat1"]]
frame.to_csv(HERE / "example_calibration.csv", index=False)
rows = [(m, lv, int(n)) for m in ("county_id", "segment") for lv, n in customers[m].value_counts().sort_index().items()]
with open(HERE / "example_margins.csv", "w", encoding="utf-8") as f:
    f.write("margin,level,count\n")
    f.writelines(f"{m},{lv},{n}\n" for m, lv, n in rows)

# Branch-level input of the Fay–Herriot reference (make_fay_herriot_reference.R): the direct estimate of
# mean sat1 per branch under the weights raked to county and segment (calibration-aware domain SEs), the
# branch's county and its number of customers (an area-level auxiliary from the organisational tables).
import numpy as np  # noqa: E402

from fusion_study.survey import rake, survey_mean  # noqa: E402

w = rake(frame, customers, margins=["county_id", "segment"])
direct = survey_mean(frame, "sat1", weights=w, by="branch_id")
size = customers.groupby("branch_id").size().rename("n_customers")
county = customers.groupby("branch_id")["county_id"].first()
branches = direct[["branch_id", "estimate", "se", "n"]].merge(county, on="branch_id").merge(size, on="branch_id")
branches["log_customers"] = np.log(branches["n_customers"])
branches.to_csv(HERE / "example_branch_direct.csv", index=False, float_format="%.17g")
