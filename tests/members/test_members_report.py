"""Report sections of issue 7: they build on the example and the tiny study, and show no member-level rows."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from fusion_study import Study, load_study
from fusion_study.data.paths import example_study_path
from fusion_study.reporting.sections import Figure, ReportContext, Table, discover_sections

KEYS = ("members", "brands", "problems", "participation")


def _sections():
    return {s.key: s for s in discover_sections() if s.key in KEYS}


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path())


def test_sections_registered_in_order():
    secs = _sections()
    assert set(secs) == set(KEYS)
    assert [secs[k].order for k in KEYS] == [60, 61, 62, 63]


@pytest.mark.parametrize("key", KEYS)
def test_section_builds_without_member_level_rows(example, key):
    blocks = list(_sections()[key].build(example, ReportContext(lang="zh", quick=True)))
    tables = [b for b in blocks if isinstance(b, Table)]
    assert tables and any(isinstance(b, Figure) for b in blocks)
    for t in tables:
        assert "member_id" not in t.frame.columns, t.name  # branch aggregates only
    for b in blocks:
        if isinstance(b, Figure):
            plt.close(b.figure)


def test_sections_skip_missing_tables():
    from conftest import tiny_tables

    tables, cb = tiny_tables()
    study = Study(tables, cb)
    for key in ("members", "brands", "participation"):
        reason = _sections()[key].skip_reason(study)  # declared needs: the report shows one sentence
        assert reason is not None and reason.text("en").startswith("This section needs")
        assert "本研究未提供" in reason.text("zh")
