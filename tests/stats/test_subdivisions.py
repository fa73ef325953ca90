"""First-level subdivisions (ISO 3166-2) vendored from iso-codes: names per language, the
country of a code, and the check of a stage's region against its country."""

from __future__ import annotations

from vigil.stats import countries, subdivisions


def test_first_level_only_with_their_country():
    data = subdivisions.names()
    assert len(data) > 3000
    assert data["TH-10"]["country"] == "THA" and data["TH-10"]["en"] == "Krung Thep Maha Nakhon"
    assert "FR-IDF" in data and "FR-75" not in data  # Paris (department) is second-level
    assert all(code.startswith(code.split("-")[0] + "-") and len(code) <= 6 for code in data)
    # every country code of the file is a country Vigil names
    assert {e["country"] for e in data.values()} <= set(countries.names())


def test_names_in_the_reader_language_english_where_untranslated():
    assert subdivisions.name("DE-BY", "fr") == "Bavière"
    assert subdivisions.name("DE-BY", "en") == "Bayern"
    assert subdivisions.name("IT-88", "es") == "Cerdeña"
    assert subdivisions.name("DE-BY", "ar") == "Bayern"  # no Arabic catalogue in iso-codes 4.15
    assert subdivisions.name("DE-BY", "de") == "Bayern"
    assert subdivisions.name("QA-DA", "fr") == "Ad Dawḩah"
    assert subdivisions.name("XX-99", "fr") == "XX-99"


def test_of_country_lists_that_country_sorted_by_name():
    qatar = subdivisions.of_country("QAT")
    codes = [c for c, _ in qatar]
    assert "QA-DA" in codes and all(c.startswith("QA-") for c in codes)
    names = [n.casefold() for _, n in qatar]
    assert names == sorted(names)
    assert subdivisions.of_country("qat") == qatar
    assert subdivisions.of_country("ZZZ") == []


def test_check_against_the_stage_country():
    assert subdivisions.check("TH-10", "THA") is None
    assert subdivisions.check("th-10", "tha") is None
    assert subdivisions.check("", "THA") is None
    assert subdivisions.check("TH-99", "THA") == "unknown"
    assert subdivisions.check("NP-P3", "THA") == "other_country"
    assert subdivisions.check("NP-P3", "") == "no_country"
    assert subdivisions.country_of("NP-P3") == "NPL" and subdivisions.country_of("nope") is None
