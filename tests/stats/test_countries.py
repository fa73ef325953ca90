"""Country names by ISO 3166-1 alpha-3 code in English, French, Spanish and Arabic."""

from __future__ import annotations

from vigil.stats import countries, geo


def test_names_in_each_language_and_the_fallbacks():
    assert countries.name("DEU") == "Germany"
    assert countries.name("DEU", "fr") == "Allemagne"
    assert countries.name("DEU", "es") == "Alemania"
    assert countries.name("DEU", "ar") == "ألمانيا"
    assert countries.name("deu", "fr-BE") == "Allemagne"
    assert countries.name("DEU", "de") == "Germany"  # a language not shipped: English
    assert countries.name("QQQ", "fr") == "QQQ"  # no such country: the code
    assert countries.name("", "fr") == ""


def test_every_code_is_named_in_every_language_and_covers_the_map():
    names = countries.names()
    assert len(names) >= 249
    for code, entry in names.items():
        assert len(code) == 3 and code.isupper(), code
        assert all(entry[lang] for lang in countries.LANGUAGES), code
        assert any("\u0600" <= ch <= "\u06ff" for ch in entry["ar"]), (code, entry["ar"])
    mapped = {c for c in geo.countries() if not c.startswith("_")}
    assert not sorted(mapped - set(names)), "a country of the flows map has no name"
