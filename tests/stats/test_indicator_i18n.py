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
