"""``fusion-study report`` on a study whose log tables are partitioned Parquet (read lazily through DuckDB)."""

from __future__ import annotations

import pandas as pd

from conftest import tiny_tables


def test_cli_report_on_a_partitioned_parquet_study(tmp_path, capsys):
    from fusion_study.cli.parser import main

    tables, codebook = tiny_tables()
    csv, pq = tmp_path / "csv", tmp_path / "pq"
    for folder in (csv, pq):
        folder.mkdir()
        codebook.to_csv(folder / "codebook.csv", index=False)
    for name, df in tables.items():
        df.to_csv(csv / f"{name}.csv", index=False)
        if name == "tickets":  # two hive partitions
            for k, part in df.groupby(df["branch_id"].eq("B1")):
                d = pq / "tickets" / f"in_b1={k}"
                d.mkdir(parents=True)
                part.to_parquet(d / "part-0.parquet", index=False)
        else:
            df.to_parquet(pq / f"{name}.parquet", index=False)
    codes = {}
    for folder in (csv, pq):
        codes[folder.name] = main(["report", str(folder), "--out", str(tmp_path / f"r_{folder.name}"), "--lang", "en"])
        out = capsys.readouterr()
        codes[folder.name + "_out"] = [line for line in out.out.splitlines() if line.startswith("  ")]
    assert codes["pq"] == codes["csv"] and codes["pq_out"] == codes["csv_out"]
    html = (tmp_path / "r_pq" / "report.html").read_text(encoding="utf-8")
    assert "TypeError" not in html and str(tmp_path) not in html
    assert isinstance(pd.read_parquet(pq / "tickets"), pd.DataFrame)  # the layout is plain hive Parquet
