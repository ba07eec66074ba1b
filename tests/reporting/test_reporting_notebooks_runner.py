"""`fusion-study notebooks`: parameters injected after the `parameters` cell, executed notebooks and HTML written."""

from __future__ import annotations

import json

import nbformat
import pytest

from fusion_study.reporting.notebook import inject_parameters, run_notebooks


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _params_cell():
    return nbformat.v4.new_code_cell('STUDY = "example"\nLANG = "zh"\nSEED = 1\nOUT = "."',
                                     metadata={"tags": ["parameters"]})


def test_inject_parameters_goes_right_after_the_parameters_cell_and_replaces_an_old_injection():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), _params_cell(), nbformat.v4.new_code_cell("x = 1")]
    inject_parameters(nb, {"STUDY": "/s", "SEED": 7})
    inject_parameters(nb, {"STUDY": "/t", "SEED": 8})
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1] == ["parameters"] and tags[2] == ["injected-parameters"] and len(nb.cells) == 4
    assert "STUDY = '/t'" in nb.cells[2].source and "SEED = 8" in nb.cells[2].source


def test_a_notebook_without_parameters_cell_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        inject_parameters(nb, {"STUDY": "/s"})


def test_run_notebooks_executes_on_the_given_study_and_writes_html(tmp_path, capsys):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    study = tmp_path / "my study"
    study.mkdir()
    write = ("import json, pathlib\n"
             "pathlib.Path(OUT, 'seen.json').write_text(json.dumps({'study': STUDY, 'lang': LANG, 'seed': SEED}))\n"
             "print('ran on', pathlib.Path(STUDY).name)")
    _notebook(nbdir / "01-first.ipynb", [_params_cell(), nbformat.v4.new_code_cell(write)])
    _notebook(nbdir / "02-broken.ipynb", [_params_cell(), nbformat.v4.new_code_cell("raise RuntimeError('boom')")])
    res = run_notebooks(study, tmp_path / "out", lang="en", seed=5, folder=nbdir)
    assert res["status"].tolist() == ["ok", "failed"]
    assert "boom" in res.loc[1, "error"]
    seen = json.loads((tmp_path / "out" / "01-first" / "seen.json").read_text())
    assert seen == {"study": str(study.resolve()), "lang": "en", "seed": 5}
    executed = nbformat.read(tmp_path / "out" / "01-first.ipynb", as_version=4)
    assert "ran on my study" in executed.cells[2].outputs[0]["text"]
    html = (tmp_path / "out" / "01-first.html").read_text(encoding="utf-8")
    assert "ran on my study" in html
    assert (tmp_path / "out" / "02-broken.html").exists()  # a failed notebook is still written


def test_cli_exit_status_and_unknown_study(tmp_path, capsys):
    from fusion_study.cli import main

    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _notebook(nbdir / "01-ok.ipynb", [_params_cell(), nbformat.v4.new_code_cell("print(SEED)")])
    study = tmp_path / "s"
    study.mkdir()
    assert main(["notebooks", str(study), "--out", str(tmp_path / "o"), "--notebooks", str(nbdir)]) == 0
    assert "01-ok: ok" in capsys.readouterr().out
    assert main(["notebooks", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--notebooks", str(nbdir)]) == 2
    assert "does not exist" in capsys.readouterr().err
