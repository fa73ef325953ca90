"""The shipped indicator set's titles in French, Spanish and Arabic: complete and current."""

from __future__ import annotations

import pytest

from vigil.stats import indicator_i18n
from vigil.stats.indicators import load_set

LANGS = ("fr", "es", "ar")


@pytest.mark.parametrize("lang", LANGS)
def test_every_indicator_and_dimension_has_a_title_in_each_language(lang):
    iset = load_set("nap-2026")
    raw = indicator_i18n._wording(iset.id)[lang]
    missing = sorted({i.id for i in iset.indicators} - set(raw["indicators"]))
    assert not missing, f"{lang}: no title for {missing}"
    assert not sorted(set(iset.dimensions) - set(raw["dimensions"])), lang
    titles = indicator_i18n.titles(iset, lang)
    english = {i.id: i.title for i in iset.indicators}
    assert all(titles[i] and titles[i] != english[i] for i in english), lang  # translated, not copied
    assert indicator_i18n.dimension_titles(iset, lang)["sex"] != "Sex"


def test_arabic_titles_are_arabic_and_english_is_the_set():
    iset = load_set("nap-2026")
    assert indicator_i18n.languages(iset) == ["ar", "en", "es", "fr"]
    arabic = indicator_i18n.titles(iset, "ar").values()
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in t) for t in arabic)
    assert indicator_i18n.titles(iset, "en") == {i.id: i.title for i in iset.indicators}
    assert indicator_i18n.titles(iset, "fr-ca")["offers_checked"] == "Offres d’emploi vérifiées"
    assert indicator_i18n.titles(iset, "de") == indicator_i18n.titles(iset, "en")  # none: English


def test_a_stale_key_is_refused(monkeypatch):
    iset = load_set("nap-2026")
    stale = {"fr": {"indicators": {"victims_found": "Victimes"}, "dimensions": {}}}
    monkeypatch.setattr(indicator_i18n, "_wording", lambda _set_id: stale)
    with pytest.raises(Exception, match="victims_found"):
        indicator_i18n.titles(iset, "fr")


@pytest.mark.parametrize("lang", LANGS)
def test_every_labelled_value_has_a_label_in_each_language(lang):
    iset = load_set("nap-2026")
    raw = indicator_i18n._wording(iset.id)[lang]
    for dim_id, dim in iset.dimensions.items():
        missing = sorted(set(dim.labels) - set(raw["labels"].get(dim_id, {})))
        assert not missing, f"{lang}: {dim_id} has no label for {missing}"
        for code in dim.labels:
            label = indicator_i18n.category_label(iset, dim_id, code, lang)
            assert label and label == raw["labels"][dim_id][code], (lang, dim_id, code)
            if lang == "ar":
                assert any("\u0600" <= ch <= "\u06ff" for ch in label), (dim_id, code, label)
        if dim.multiple is not None:
            assert indicator_i18n.category_label(iset, dim_id, dim.multiple, lang) != dim.multiple
    assert set(raw["common"]) == set(indicator_i18n.COMMON), lang


def test_category_labels_in_each_language_and_their_fallbacks():
    iset = load_set("nap-2026")
    cols = ["Feminine", "", "total"]
    assert indicator_i18n.column_labels(iset, "sex", cols, "en") == ["Female", "Not recorded", "Total"]
    assert indicator_i18n.column_labels(iset, "sex", cols, "fr") == ["Femme", "Non renseigné", "Total"]
    assert indicator_i18n.column_labels(iset, "sex", cols, "ar") == ["أنثى", "غير مسجَّل", "المجموع"]
    assert indicator_i18n.category_label(iset, "form", "Multiple forms", "es") == "Varias formas"
    assert indicator_i18n.category_label(iset, "form", "ForcedLabour", "es-MX") == "Trabajo forzoso"
    # countries by their ISO 3166-1 alpha-3 code; an unknown code stays the code
    assert indicator_i18n.category_label(iset, "citizenship", "DEU", "en") == "Germany"
    assert indicator_i18n.category_label(iset, "citizenship", "DEU", "fr") == "Allemagne"
    assert indicator_i18n.category_label(iset, "citizenship", "DEU", "ar") == "ألمانيا"
    assert indicator_i18n.category_label(iset, "citizenship", "QQQ", "fr") == "QQQ"
    # values the set does not label (age bands, free-text regions) are shown as recorded
    assert indicator_i18n.category_label(iset, "age_group", "18-24", "ar") == "18-24"
    assert indicator_i18n.category_label(iset, "region", "Nakuru", "fr") == "Nakuru"
    assert indicator_i18n.category_label(iset, "sex", "Feminine", "de") == "Female"  # none: English


def test_a_stale_value_label_is_refused(monkeypatch):
    iset = load_set("nap-2026")
    stale = {"fr": {"indicators": {}, "dimensions": {}, "multiple": {}, "common": {},
                    "labels": {"sex": {"Femal": "Femme"}}}}
    monkeypatch.setattr(indicator_i18n, "_wording", lambda _set_id: stale)
    with pytest.raises(Exception, match="Femal"):
        indicator_i18n.category_label(iset, "sex", "Feminine", "fr")
