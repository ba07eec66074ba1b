"""House style, fonts, labels and save_figure."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager

from fusion_study.reporting import fonts
from fusion_study.reporting.figures import save_figure
from fusion_study.reporting.labels import catalogue, label, vocabulary_labels
from fusion_study.reporting.style import use_house_style

ZH_TEXT = "党业融合 两张皮 急难愁盼 客户满意度 县区局 −1"


def _chinese_figure():
    fig, ax = plt.subplots()
    ax.plot([-2, -1, 0, 1], [3, -1, 2, 0], label="客户满意度")
    ax.set_title(ZH_TEXT)
    ax.set_xlabel(label("wave", "zh"))
    ax.set_ylabel(label("satisfaction", "zh"))
    ax.legend(title=label("segment", "zh"))
    return fig


def _licence_records(path, face_index):
    from matplotlib import ft2font

    names = ft2font.FT2Font(str(path), face_index=face_index).get_sfnt()
    # name ID 13 is the licence description; Windows records are UTF-16BE, Mac records Latin-1
    return [v.decode("utf-16-be") if k[0] == 3 else v.decode("latin-1") for k, v in names.items() if k[3] == 13]


def test_bundled_font_is_sil_ofl_noto():
    from matplotlib import ft2font

    path = fonts.bundled_font_path()
    assert path.name == "NotoSansCJK-Regular.ttc"
    n_faces = ft2font.FT2Font(str(path)).num_faces
    families = [ft2font.FT2Font(str(path), face_index=i).family_name for i in range(n_faces)]
    assert fonts.BUNDLED_FAMILY in families
    for i in range(n_faces):  # every face of the collection, not only the one we use
        records = _licence_records(path, i)
        assert records and all("SIL Open Font License" in r for r in records), (families[i], records)
    assert fonts.register_bundled_font() == fonts.BUNDLED_FAMILY
    assert fonts.BUNDLED_FAMILY in {f.name for f in font_manager.fontManager.ttflist}


def test_font_package_ships_only_the_ofl_font():
    """The whole installed distribution: one font file, code and the OFL text; no other font."""
    from importlib.metadata import files, metadata

    meta = metadata("noto-cjk-sans-otc")
    assert meta["License-Expression"] == "OFL-1.1"
    names = sorted(str(f) for f in files("noto-cjk-sans-otc"))
    fonts_in_wheel = [n for n in names if n.lower().endswith((".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2"))]
    assert fonts_in_wheel == ["noto_cjk_sans_otc/NotoSansCJK-Regular.ttc"]
    licence = next(f for f in files("noto-cjk-sans-otc") if f.name == "LICENSE")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence.read_text(encoding="utf-8")


def test_missing_fonts_say_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # `import` now raises ImportError
    monkeypatch.setattr(fonts, "system_cjk_family", lambda: None)
    fonts.register_bundled_font.cache_clear()
    try:
        with pytest.raises(fonts.CJKFontError, match="pip install noto-cjk-sans-otc.*fonts-noto-cjk"):
            fonts.cjk_font_family("system")
    finally:
        fonts.register_bundled_font.cache_clear()


@pytest.mark.parametrize("font", ["bundled", "system"])
def test_chinese_figure_has_no_missing_glyphs(font):
    family = use_house_style(lang="zh", font=font)
    if font == "bundled":
        assert family == fonts.BUNDLED_FAMILY
    fig = _chinese_figure()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        fig.canvas.draw()
    plt.close(fig)


def test_glyph_check_really_fires():
    """Forcing a font without CJK glyphs must raise, so the test above is meaningful."""
    use_house_style(lang="zh")
    fig, ax = plt.subplots()
    ax.set_title(ZH_TEXT, fontfamily="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.canvas.draw()
    plt.close(fig)


def test_house_style_sets_fonts_after_seaborn():
    import matplotlib as mpl

    family = use_house_style(lang="en", font="bundled")
    assert mpl.rcParams["font.family"][0] == family
    assert mpl.rcParams["axes.unicode_minus"] is False
    with pytest.raises(ValueError, match="'zh' or 'en'"):
        use_house_style(lang="fr")


def test_save_figure_is_byte_identical(tmp_path):
    use_house_style(lang="zh", font="bundled")
    fig = _chinese_figure()
    first = [p.read_bytes() for p in save_figure(fig, "fig", formats=("png", "pdf", "svg"), folder=tmp_path / "a")]
    plt.close(fig)
    fig = _chinese_figure()
    paths = save_figure(fig, "fig", formats=("png", "pdf", "svg"), folder=tmp_path / "b")
    plt.close(fig)
    assert [p.name for p in paths] == ["fig.png", "fig.pdf", "fig.svg"]
    assert first == [p.read_bytes() for p in paths]
    assert b"CreationDate" not in first[1]


def test_save_figure_rejects_bad_input(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="format"):
        save_figure(fig, "x", formats=("jpg",), folder=tmp_path)
    with pytest.raises(ValueError, match="plain file name"):
        save_figure(fig, "../x", folder=tmp_path)
    plt.close(fig)


def test_save_figure_default_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSION_STUDY_FIGURES", str(tmp_path / "figs"))
    fig, _ = plt.subplots()
    (p,) = save_figure(fig, "default")
    plt.close(fig)
    assert p == tmp_path / "figs" / "default.png"


def test_label_catalogue():
    assert label("two_skins", "zh") == "两张皮"
    assert label("four_fusions", "zh") == "四个融合"
    assert label("att", "en").startswith("average treatment effect")
    assert label("goal", "zh") == "目标融合"  # instrument scale
    assert label("ticket_category.urgent", "zh") == "急"
    assert label("intervention.brand", "en") == "branch brand"
    assert label("customer_survey", "zh") == "零售客户满意度调查"  # table name
    assert label("no_such_key", "zh") == "no_such_key"
    assert label("office", "zh") == "office"  # ambiguous bare value: office (branch kind / position)
    import pandas as pd

    cb = pd.DataFrame({"item_id": ["sat1"], "text_zh": ["总体满意度"], "text_en": ["overall"]})
    assert label("sat1", "en", codebook=cb) == "overall"
    assert vocabulary_labels(["rural"], "segment", "en").tolist() == ["rural"]
    cat = catalogue()
    assert {"glossary", "scale", "table", "column", "value"} <= set(cat["kind"])
    assert cat["zh"].str.len().gt(0).all() and cat["en"].str.len().gt(0).all()
    with pytest.raises(ValueError, match="'zh' or 'en'"):
        label("n", "de")
