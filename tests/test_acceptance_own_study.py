"""Acceptance: a user's own study, end to end on the command line (issue 13).

Two studies built by hand in ``tests/own_study.py`` (never the simulator):

* ``one_wave``: a 问卷星 按文本 export of one wave (40 retailers, one speeder, one straight-liner,
  a single-item question, a two-item scale, free text with a name and phone numbers typed in),
  the user's codebook and a study folder holding only ``units.csv`` and ``customers.csv``; the
  user runs ``import-survey`` → ``validate`` → ``validity`` → ``report`` → ``notebooks``.
* ``multi_wave``: a study folder with three survey waves and no interventions table; the user
  runs ``validate`` → ``validity`` → ``report`` (in English) → ``notebooks``.

Each command runs once per study (a module fixture); the tests then check what the user sees:
exit status 0, no traceback on the console, no error box in the report, one sentence for each
skipped section, and no personal data from the export in any file written.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fusion_study
from fusion_study.cli import main
from fusion_study.data.study import load_study
from own_study import (
    ADVICE_HEADER, CUSTOMERS, ID_HEADER, N_RESPONDENTS, PII, QUESTIONS, SPEEDER_ROW, STRAIGHT_ROW, UNITS,
    export_frame, user_codebook, write_multi_wave_study, write_one_wave_inputs, write_org_tables,
)

STUDIES = ("one_wave", "multi_wave")
LANG = {"one_wave": "zh", "multi_wave": "en"}
ITEMS = [q[3] for q in QUESTIONS]



def _run(args) -> tuple[int, str, str]:
    """``fusion-study ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def _no_traceback(step):
    code, out, err = step
    assert "Traceback" not in out and "Traceback" not in err, err[-2000:]


def _written_text(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text (Office files: all their XML parts; images skipped)."""
    texts = {}
    for f in sorted(Path(folder).rglob("*")):
        if not f.is_file() or f.suffix in (".png", ".jpg", ".svg", ".pdf"):
            continue
        if f.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(f) as z:
                texts[str(f)] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            texts[str(f)] = f.read_bytes().decode("utf-8-sig", errors="replace")
    return texts


_SESSIONS: dict[str, tuple] = {}


@pytest.fixture(scope="module", params=STUDIES)
def session(request, tmp_path_factory):
    """Run the user's commands on one study once; the tests read the results."""
    return _session(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def one_wave(tmp_path_factory):
    """The one-wave study, imported from the hand-made 问卷星 export (the tests of the import itself)."""
    return _session("one_wave", tmp_path_factory)


def _session(kind, tmp_path_factory):
    if kind in _SESSIONS:
        return _SESSIONS[kind]
    root = tmp_path_factory.mktemp(kind)
    out = root / "out"
    steps: dict[str, tuple[int, str, str]] = {}
    paths: dict[str, Path] = {"root": root, "out": out}
    if kind == "one_wave":
        inputs = write_one_wave_inputs(root / "inputs")
        paths.update(inputs)
        study = inputs["study"]
        out.mkdir()  # --free-text writes into an existing folder
        # first as a user types it, then naming the respondent column as the message asks
        steps["import_plain"] = _run(["import-survey", inputs["export"], "--codebook", inputs["codebook"],
                                      "--study", root / "scratch_study"])
        steps["import"] = _run(["import-survey", inputs["export"], "--codebook", inputs["codebook"],
                                "--study", study, "--respondent-column", "1",
                                "--free-text", out / "free_text.csv"])
    else:
        study = write_multi_wave_study(root / "my_study")
    paths["study"] = study
    steps["validate"] = _run(["validate", study])
    steps["validity"] = _run(["validity", study, "--out", out / "validity", "--lang", LANG[kind]])
    steps["report"] = _run(["report", study, "--out", out / "report", "--lang", LANG[kind]])
    _SESSIONS[kind] = (kind, paths, steps)
    return _SESSIONS[kind]


# --- import -------------------------------------------------------------------------------------------

def test_import_without_naming_the_respondent_column(one_wave):
    kind, paths, steps = one_wave
    code, out, err = steps["import_plain"]
    _no_traceback(steps["import_plain"])
    assert code == 0, err  # '1、您的零售客户编码' names the respondent: no --respondent-column needed


def test_import_screens_maps_and_masks(one_wave):
    kind, paths, steps = one_wave
    code, out, err = steps["import"]
    assert code == 0, err
    _no_traceback(steps["import"])
    assert f"rows read: {N_RESPONDENTS}; kept: {N_RESPONDENTS - 2}; excluded: 2" in out
    assert "excluded by speeder: 1" in out and "excluded by straight_liner: 1" in out
    assert "unmatched export columns (dropped): 7、您的门店位于, 8、您经营卷烟的年限" in out
    assert "personal-data columns dropped: 来自IP" in out
    assert f"free-text questions kept apart (personal data masked): {ADVICE_HEADER}" in out

    study = load_study(paths["study"])
    ledger = study.ledger.to_frame().sort_values("source_row")
    assert ledger[["source_row", "rule"]].values.tolist() == [
        [SPEEDER_ROW, "screening:speeder"], [STRAIGHT_ROW, "screening:straight_liner"]]
    assert study.ledger.balance(study.tables)["balanced"].all()

    # every kept answer is the export's text coded by the codebook's options
    export = export_frame().drop(index=[SPEEDER_ROW - 2, STRAIGHT_ROW - 2]).reset_index(drop=True)
    codes = {t: i + 1 for labels in (["非常不满意", "不满意", "一般", "满意", "非常满意"],
                                     ["非常不同意", "不同意", "一般", "同意", "非常同意"])
             for i, t in enumerate(labels)}
    survey = study.customer_survey.reset_index(drop=True)
    assert survey["customer_id"].tolist() == export[ID_HEADER].tolist()
    assert set(survey["customer_id"]) <= set(CUSTOMERS["customer_id"])
    assert survey["wave"].unique().tolist() == ["2024Q1"]
    headers = [f"{n}、({t})—{x}" if t else f"{n}、{x}" for n, t, x, *_ in QUESTIONS]
    expected = export[headers].apply(lambda col: col.map(codes)).to_numpy(dtype=float)
    np.testing.assert_array_equal(survey[ITEMS].to_numpy(dtype=float), expected)
    assert sorted(study.codebook["item_id"]) == sorted(ITEMS)

    # the free text the user asked for: masked, the rest of each answer kept
    free = pd.read_csv(paths["out"] / "free_text.csv", dtype=str, keep_default_na=False)[ADVICE_HEADER]
    assert "客户经理〔姓名〕态度很好，经常来店里" in free.tolist()
    assert "有问题请打我电话〔电话〕" in free.tolist()
    assert "座机〔电话〕，手机〔电话〕" in free.tolist()
    assert "送货员〔姓名〕很负责" in free.tolist()


# --- validate, validity, report -----------------------------------------------------------------------

def test_validate_passes(session):
    kind, paths, steps = session
    code, out, err = steps["validate"]
    assert code == 0, out + err
    _no_traceback(steps["validate"])
    assert "0 error(s)" in out or "Validation passed: no problems." in out
    n = {"one_wave": N_RESPONDENTS - 2, "multi_wave": 120}[kind]
    assert re.search(rf"customer_survey\s+零售客户满意度调查\s+{n}\s", out), out



def test_validity_tables(session):
    kind, paths, steps = session
    code, out, err = steps["validity"]
    _no_traceback(steps["validity"])
    assert code == 0, err
    folder = paths["out"] / "validity"
    assert (folder / "validity_customer_survey.docx").is_file()
    workbook = pd.read_excel(folder / "validity_customer_survey.xlsx", sheet_name=None, header=None)
    text = " ".join(str(v) for df in workbook.values() for v in df.to_numpy().ravel())
    for scale in ("supply", "service", "party_service", "dependence"):
        assert scale in out or scale in text


def test_report_runs_without_a_traceback(session):
    _no_traceback(session[2]["report"])
    assert (session[1]["out"] / "report" / "report.html").is_file()


def _skipped(stdout: str) -> dict[str, str]:
    """The skipped sections the report command lists: ``{key: sentence}``."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "section(s) skipped" in line), None)
    if start is None:
        return {}
    found = {}
    for line in lines[start + 1:]:
        m = re.match(r"^  ([a-z_]+): (.+)$", line)
        if not m:
            break
        found[m.group(1)] = m.group(2)
    return found


def test_report_skips_what_the_study_lacks_with_one_sentence_each(session):
    kind, paths, steps = session
    code, out, err = steps["report"]
    page = html.unescape((paths["out"] / "report" / "report.html").read_text(encoding="utf-8"))
    skipped = _skipped(out)
    assert "effects" in skipped  # no interventions table
    for key, sentence in skipped.items():
        assert sentence in page, key
    assert page.count('class="skipped"') == len(skipped)
    if LANG[kind] == "zh":
        assert skipped["effects"] == "本节需要干预措施表 interventions，本研究未提供，因此未估计干预效应。"
    else:
        assert skipped["effects"].startswith("This section needs the interventions table")



def test_report_has_no_error_box_and_exit_status_zero(session):
    kind, paths, steps = session
    code, out, err = steps["report"]
    page = (paths["out"] / "report" / "report.html").read_text(encoding="utf-8")
    assert 'class="error"' not in page, err
    assert code == 0, err
    assert not (paths["out"] / "report" / "report.log").exists()


def test_report_sample_table_counts_the_respondents(session):
    kind, paths, steps = session
    survey = load_study(paths["study"]).customer_survey.merge(CUSTOMERS, on="customer_id")
    table = pd.read_excel(paths["out"] / "report" / "tables" / "overview_sample.xlsx", header=None)
    counts = {str(r[1]): int(r[2]) for r in table.itertuples(index=False) if str(r[2]).isdigit()}
    names = dict(zip(UNITS["unit_id"], UNITS["name"]))  # counties by the study's own names, in either language
    for county, n in survey["county_id"].value_counts().items():
        assert counts[names[county]] == n
    for wave, n in survey["wave"].value_counts().items():
        assert counts[wave] == n


def test_no_personal_data_in_any_file_written(one_wave):
    kind, paths, steps = one_wave
    written = {**_written_text(paths["study"]), **_written_text(paths["out"])}
    assert any(name.endswith("report.html") for name in written)
    for name, text in written.items():
        for secret in PII:
            assert secret not in text, (name, secret)


def test_console_run_prints_no_traceback(session, tmp_path):
    """``python -m fusion_study`` in a fresh process, as a user runs it: nothing but messages on stderr."""
    kind, paths, steps = session
    src = str(Path(fusion_study.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    env.pop("MPLBACKEND", None)
    for args in (["validate", paths["study"]], ["report", paths["study"], "--out", tmp_path / "report"]):
        proc = subprocess.run([sys.executable, "-m", "fusion_study", *map(str, args)], capture_output=True,
                              text=True, encoding="utf-8", env=env, timeout=600)
        assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-2000:]
        assert proc.returncode in (0, 1), proc.stderr  # 2 would be unusable input
    assert (tmp_path / "report" / "report.html").is_file()


# --- validate on the user's own folders ------------------------------------------------------------------

def test_validate_a_folder_with_units_and_customers_only(tmp_path):
    code, out, err = _run(["validate", write_org_tables(tmp_path / "my_study")])
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("Validation passed: no problems.")


def test_validate_with_warnings_only_exits_zero(tmp_path):
    study = write_multi_wave_study(tmp_path / "my_study")
    cb = pd.read_csv(study / "codebook.csv")
    extra = cb[cb["item_id"] == "sat"].assign(item_id="sat2", text_zh="与其他行业相比的满意度")
    pd.concat([cb, extra]).to_csv(study / "codebook.csv", index=False, encoding="utf-8-sig")
    code, out, err = _run(["validate", study, "--out", tmp_path / "new" / "problems.csv"])
    assert code == 0, out + err
    assert "codebook item 'sat2' (与其他行业相比的满意度) has no column in customer_survey" in out
    assert "No errors: the study can be analysed (1 warning(s) above, for your information)." in out
    problems = pd.read_csv(tmp_path / "new" / "problems.csv")
    assert problems[["severity", "column", "rule"]].values.tolist() == [["warning", "sat2", "codebook_item"]]


def test_validate_keeps_a_masked_text_question_and_names_one_holding_personal_data(tmp_path):
    study = write_multi_wave_study(tmp_path / "my_study")
    user_codebook().to_csv(study / "codebook.csv", index=False, encoding="utf-8-sig")  # with id and text rows
    survey = pd.read_csv(study / "customer_survey.csv", dtype=str)
    survey["advice"] = "送货及时"
    survey.to_csv(study / "customer_survey.csv", index=False, encoding="utf-8-sig")
    code, out, err = _run(["validate", study])
    assert code == 0 and "Traceback" not in err, out  # free text without personal data may stay
    survey.loc[2, "advice"] = "有事请打13812345678"
    survey.to_csv(study / "customer_survey.csv", index=False, encoding="utf-8-sig")
    code, out, err = _run(["validate", study])
    assert code == 1 and "Traceback" not in err
    assert "free-text column 'advice' holds personal data" in out
    assert "13812345678" not in out  # the value is never echoed
    assert "1 error(s): fix them in the files named above" in out


def test_validate_refuses_a_problems_file_that_is_not_csv(tmp_path):
    code, out, err = _run(["validate", write_org_tables(tmp_path / "s"), "--out", tmp_path / "problems.xlsx"])
    assert code == 2 and err == "error: --out must name a .csv file, got 'problems.xlsx'\n"


# --- notebooks ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_notebooks_run_on_the_study(session):
    kind, paths, steps = session
    out_dir = paths["out"] / "notebooks"
    step = _run(["notebooks", paths["study"], "--out", out_dir, "--lang", LANG[kind]])
    _no_traceback(step)
    code, out, err = step
    assert code == 0, out + err
    assert sorted(p.stem for p in out_dir.glob("*.html"))
    if kind == "one_wave":
        for name, text in _written_text(out_dir).items():
            for secret in PII:
                assert secret not in text, (name, secret)


# --- the README's commands ------------------------------------------------------------------------------

def _readme_commands() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own study / 用自己的数据", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


@pytest.mark.parametrize("line", _readme_commands())
def test_readme_commands_parse(line, capsys):
    from fusion_study.cli.parser import build_parser

    words = shlex.split(line)
    assert words[0] == "fusion-study"
    args = build_parser().parse_args(words[1:])
    assert callable(args.func)
