import pandas as pd
import pytest

from fusion_study.data.periods import normalise_periods, period_from_number, period_number
from fusion_study.data.schema import TABLES, VOCABULARIES, schema_frame


def test_every_reference_points_at_a_declared_key():
    for table in TABLES.values():
        for col in table.columns:
            if col.references:
                ref_table, ref_col = col.references
                assert ref_col in TABLES[ref_table].column_map
                assert TABLES[ref_table].key == (ref_col,)


def test_vocabularies_are_bilingual_and_cover_the_domain():
    assert set(VOCABULARIES["ticket_category"]) == {"urgent", "difficult", "worry", "expectation"}
    assert [zh for zh, _ in VOCABULARIES["ticket_category"].values()] == ["急", "难", "愁", "盼"]
    assert set(VOCABULARIES["intervention"]) == {
        "brand", "publicity_team", "vanguard_team", "cloud_team", "points_platform", "problem_mechanism"}
    for vocab in VOCABULARIES.values():
        for zh, en in vocab.values():
            assert zh and en


def test_schema_frame_is_generated_from_declarations():
    df = schema_frame()
    n_cols = sum(len(t.columns) for t in TABLES.values())
    assert len(df[df.table != "codebook"]) == n_cols
    assert set(df.columns) >= {"table", "column", "dtype", "allowed", "text_zh", "text_en"}
    with pytest.raises(ValueError, match="lang"):
        schema_frame(lang="fr")


def test_periods_round_trip():
    s = pd.Series(["2019Q4", "2020Q1", "2024Q3"])
    assert period_from_number(period_number(s)).tolist() == s.tolist()
    _, bad = normalise_periods(pd.Series(["2024", "Q1", "2024Q0"]))
    assert bad.all()
