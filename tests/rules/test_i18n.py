"""French wording of the rule sets (``sets/i18n/fr.yaml``): complete, checked, with English fallback."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from vigil.errors import RuleSetError
from vigil.rules import assess, available, i18n, load_file, load_ruleset
from vigil.rules.records import fact_specs

FR = i18n.i18n_dir() / "fr.yaml"


@pytest.fixture
def lang_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch translation directory in place of the shipped one."""
    monkeypatch.setattr(i18n, "i18n_dir", lambda: tmp_path)
    i18n.catalogue.cache_clear()
    yield tmp_path
    i18n.catalogue.cache_clear()


# --- completeness -------------------------------------------------------------------------------


def test_french_file_is_valid() -> None:
    cat = i18n.load_catalogue(FR)
    assert set(cat.rulesets) == set(available())
    assert "fr" in i18n.languages()


@pytest.mark.parametrize("ruleset_id", available())
def test_every_shipped_rule_set_is_complete_in_french(ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    assert i18n.untranslated(rs, "fr") == []
    for ind in rs.indicators:
        label, question = i18n.indicator_text(rs, ind.id, "fr")
        assert label and label != ind.label, ind.id
        assert question and question != ind.question, ind.id
        assert question.endswith(" ?"), ind.id  # French typography: a space before "?"


def test_a_new_indicator_without_translation_is_reported() -> None:
    rs = load_ruleset("ilo-11")
    extra = dataclasses.replace(rs.indicators[0], id="ILO11.12", label="new", question="New?")
    grown = dataclasses.replace(rs, indicators=(*rs.indicators, extra))
    assert i18n.untranslated(grown, "fr") == ["indicators.ILO11.12.label", "indicators.ILO11.12.question"]
    assert i18n.indicator_text(grown, "ILO11.12", "fr") == ("new", "New?")


def test_every_vocabulary_fact_and_list_value_has_french() -> None:
    facts = i18n.load_catalogue(FR).facts
    for name, spec in fact_specs().items():
        assert i18n.fact_label(name, "fr") != spec.label, name
        for value in spec.values:
            assert value in facts[name]["values"], f"{name}={value}"
    assert i18n.fact_label("means", "fr", "abuse_of_vulnerability") == "abus d'une situation de vulnérabilité"


def test_french_keeps_the_wording_rule() -> None:
    def texts(node: object) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from texts(value)

    for text in texts(yaml.safe_load(FR.read_text("utf-8"))):
        assert "victime" not in text.lower(), text
    for rid in available():
        rs = load_ruleset(rid)
        for outcome, english in rs.labels.items():
            if english.startswith("indicators consistent with"):
                assert i18n.outcome_label(rs, outcome, "fr").startswith("indicateurs compatibles avec"), rid


# --- lookups and fallback -----------------------------------------------------------------------


def test_translate_is_a_display_copy() -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    fr = i18n.translate(rs, "fr-FR")
    assert fr is not rs and rs.title.startswith("ILO/EC")  # the loaded rule set is untouched
    assert fr.title.startswith("Indicateurs opérationnels de la traite des êtres humains")
    assert fr.by_id["CD02"].label == "servitude pour dettes"
    assert fr.by_id["CD02"].grade == "S" and fr.version == rs.version
    assert fr.dimensions["DR"].label == "recrutement trompeur"
    assert fr.dimensions["CD"].indicators[1].label == "servitude pour dettes"
    assert fr.labels["positive"].startswith("indicateurs compatibles avec la traite")
    assert i18n.translate(rs, "en") is rs and i18n.translate(rs, None) is rs


def test_determinations_stay_english_and_otherwise_identical() -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    rec = {"id": "r", "indicators": {"DR01": True, "DR08": True, "EX01": True, "EX04": True,
                                     "CD01": True, "CD02": True}}
    english = assess(rs, rec).to_dict()
    assert english["label"] == "indicators consistent with trafficking for labour exploitation"
    french = assess(i18n.translate(rs, "fr"), rec).to_dict()
    assert {**french, "label": english["label"]} == english
    assert french["label"] == i18n.outcome_label(rs, english["outcome"], "fr")


def test_child_list_inherits_the_adult_wording() -> None:
    child = load_ruleset("ilo-ec-2009-child-labour")
    assert "ilo-ec-2009-child-labour" in i18n.load_catalogue(FR).rulesets
    assert not i18n.load_catalogue(FR).rulesets["ilo-ec-2009-child-labour"].indicators
    adult = load_ruleset("ilo-ec-2009-adult-labour")
    for ind in child.indicators:
        assert i18n.indicator_text(child, ind.id, "fr") == i18n.indicator_text(adult, ind.id, "fr")
    assert "enfants" in i18n.outcome_label(child, "positive", "fr")
    assert i18n.outcome_label(load_ruleset("c138-c182-art2-4"), "WORST_FORM", "fr") == i18n.outcome_label(
        load_ruleset("c138-c182"), "WORST_FORM", "fr")
    light_work = i18n.term_label(load_ruleset("c138-c182-art2-4"), "light_work", "fr")
    assert light_work == "travaux légers (C138, art. 7)"
    assert i18n.term_label(load_ruleset("palermo-2000"), "means_or_child", "fr") is None  # unlabelled


def test_unknown_language_falls_back_to_english() -> None:
    rs = load_ruleset("ilo-11")
    ind = rs.by_id["ILO11.09"]
    assert i18n.indicator_text(rs, "ILO11.09", "de") == (ind.label, ind.question)
    assert i18n.outcome_label(rs, "risk", "de") == rs.labels["risk"]
    assert i18n.outcome_label(rs, "no-such-outcome", "fr") == "no-such-outcome"
    assert i18n.title(rs, "de") == rs.title
    assert i18n.fact_label("act", "de") == "Palermo act"
    assert i18n.untranslated(rs, "en") == []
    with pytest.raises(RuleSetError, match="unknown indicator"):
        i18n.indicator_text(rs, "XX99", "fr")


def test_a_reworded_local_variant_shows_its_own_wording_in_english(tmp_path: Path) -> None:
    variant = tmp_path / "xk-delphi.yaml"
    variant.write_text(
        "id: xk-delphi\nextends: ilo-ec-2009-adult-labour\nversion: '2009.1-xk'\n"
        "title: Delphi indicators as applied by the XK labour inspectorate\nverified: false\n"
        "override_indicators:\n  DR01: {question: 'Was the job another one than promised?'}\n"
        "  VR15: {grade: M}\n", "utf-8")
    rs = load_file(variant)
    label, question = i18n.indicator_text(rs, "DR01", "fr")
    assert label == "tromperie sur la nature du travail, le lieu ou l'employeur"  # same English label
    assert question == "Was the job another one than promised?"  # reworded: no French yet
    assert i18n.indicator_text(rs, "VR15", "fr")[0] == "difficultés passées"  # grade only changed
    assert i18n.title(rs, "fr") == rs.title  # a title is never inherited
    assert i18n.outcome_label(rs, "positive", "fr").startswith("indicateurs compatibles")
    assert i18n.untranslated(rs, "fr") == ["title", "indicators.DR01.question"]


def test_a_partial_translation_falls_back_per_item(lang_dir: Path) -> None:
    (lang_dir / "xx.yaml").write_text(
        "rulesets:\n  ilo-11:\n    indicators:\n      ILO11.09: {label: 'XX debt'}\n", "utf-8")
    rs = load_ruleset("ilo-11")
    assert i18n.languages() == ["en", "xx"]
    assert i18n.indicator_text(rs, "ILO11.09", "xx") == ("XX debt", rs.by_id["ILO11.09"].question)
    assert i18n.indicator_text(rs, "ILO11.01", "xx") == (rs.by_id["ILO11.01"].label,
                                                         rs.by_id["ILO11.01"].question)
    assert i18n.translate(rs, "xx").title == rs.title
    assert "indicators.ILO11.09.question" in i18n.untranslated(rs, "xx")


# --- the check of a translation file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "place"),
    [
        ("rulesets:\n  no-such-set: {title: x}\n", "unknown rule set 'no-such-set'",
         "bad.yaml, rulesets.no-such-set"),
        ("rulesets:\n  ilo-11:\n    indicators:\n      ILO11.99: {label: x}\n",
         "unknown indicator 'ILO11.99'", "bad.yaml, rulesets.ilo-11.indicators.ILO11.99"),
        ("rulesets:\n  ilo-11:\n    indicators:\n      ILO11.01: {lable: x}\n",
         "unknown key 'lable'", "bad.yaml, rulesets.ilo-11.indicators.ILO11.01.lable"),
        ("rulesets:\n  ilo-11:\n    labels: {positive: x}\n", "unknown outcome 'positive'",
         "bad.yaml, rulesets.ilo-11.labels.positive"),
        ("rulesets:\n  ilo-ec-2009-adult-labour:\n    dimensions: {XX: x}\n", "unknown dimension 'XX'",
         "bad.yaml, rulesets.ilo-ec-2009-adult-labour.dimensions.XX"),
        ("rulesets:\n  palermo-2000:\n    terms: {means_or_child: x}\n",
         "unknown labelled term 'means_or_child'", "bad.yaml, rulesets.palermo-2000.terms.means_or_child"),
        ("rulesets:\n  ilo-11:\n    subtitle: x\n", "unknown key 'subtitle'",
         "bad.yaml, rulesets.ilo-11.subtitle"),
        ("facts:\n  act: {values: {kidnapped: x}}\n", "unknown value 'kidnapped'",
         "bad.yaml, facts.act.values.kidnapped"),
        ("facts:\n  colour: {label: x}\n", "unknown fact 'colour'", "bad.yaml, facts.colour"),
        ("indicators: {}\n", "unknown top-level key 'indicators'", "bad.yaml, indicators"),
        ("rulesets:\n  ilo-11:\n    title: ''\n", "expected non-empty text",
         "bad.yaml, rulesets.ilo-11.title"),
        ("rulesets: [ilo-11]\n", "expected a mapping", "bad.yaml, rulesets"),
        ("rulesets:\n  ilo-11: {title: [x\n", "invalid YAML", "bad.yaml, line"),
    ],
)
def test_unknown_keys_name_the_file_and_the_key(tmp_path: Path, text: str, message: str, place: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, "utf-8")
    with pytest.raises(RuleSetError) as exc:
        i18n.load_catalogue(bad)
    assert message in exc.value.message
    assert (exc.value.place or "").startswith(place)


def test_a_shipped_file_with_a_bad_key_fails_on_first_use(lang_dir: Path) -> None:
    (lang_dir / "xx.yaml").write_text("rulesets:\n  ilo-11:\n    indicators:\n      ILO11.12: {label: x}\n",
                                      "utf-8")
    with pytest.raises(RuleSetError, match=r"unknown indicator 'ILO11\.12'") as exc:
        i18n.translate(load_ruleset("ilo-11"), "xx")
    assert str(exc.value).startswith("xx.yaml, rulesets.ilo-11.indicators.ILO11.12")


# --- the command line ---------------------------------------------------------------------------


def _vigil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", *args], capture_output=True, text=True,
                          timeout=120)


def test_rules_show_in_french() -> None:
    out = _vigil("rules", "show", "ilo-11", "--lang", "fr")
    assert out.returncode == 0, out.stderr
    assert "Indicateurs du travail forcé de l'OIT" in out.stdout
    assert "servitude pour dettes" in out.stdout and "rétention des documents d'identité" in out.stdout
    assert "debt bondage" not in out.stdout


def test_rules_show_json_in_french_and_english_by_default() -> None:
    fr = json.loads(_vigil("rules", "show", "ilo-11", "--lang", "fr", "--format", "json").stdout)
    en = json.loads(_vigil("rules", "show", "ilo-11", "--format", "json").stdout)
    assert fr["indicators"][8]["question"] == (
        "La personne travaille-t-elle pour rembourser une dette gonflée ou sans fin ?")
    assert fr["labels"]["risk"].startswith("risque :")
    assert en["indicators"][8]["label"] == "debt bondage"
    assert {k: v for k, v in fr.items() if k not in ("title", "indicators", "labels", "dimensions")} == {
        k: v for k, v in en.items() if k not in ("title", "indicators", "labels", "dimensions")}


def test_rules_show_unknown_language_is_an_error() -> None:
    out = _vigil("rules", "show", "ilo-11", "--lang", "de")
    assert out.returncode == 2
    assert "--lang 'de': no translation (available: ar, en, es, fr)" in out.stderr


# --- Spanish and Arabic: the same keys as French, every text translated ----------------------

NEW_LANGS = ("es", "ar")


def _keys(node: object, prefix: str = "") -> set[str]:
    """Every leaf path of a translation file (``rulesets.ilo-11.indicators.ILO11.01.label``)."""
    if isinstance(node, dict):
        out: set[str] = set()
        for key, value in node.items():
            out |= _keys(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix}


def _leaves(node: object, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, str(node)


def _placeholders(text: str) -> list[str]:
    import re

    return sorted(re.findall(r"\{[^{}]*\}|%\([a-z_]+\)s|%s|%d", text))


@pytest.mark.parametrize("lang", NEW_LANGS)
def test_spanish_and_arabic_have_exactly_the_french_keys(lang: str) -> None:
    path = i18n.i18n_dir() / f"{lang}.yaml"
    cat = i18n.load_catalogue(path)  # checked against the shipped rule sets and the vocabulary
    assert set(cat.rulesets) == set(available())
    assert lang in i18n.languages()
    ours = yaml.safe_load(path.read_text("utf-8"))
    french = yaml.safe_load(FR.read_text("utf-8"))
    missing, extra = _keys(french) - _keys(ours), _keys(ours) - _keys(french)
    assert (sorted(missing), sorted(extra)) == ([], [])


@pytest.mark.parametrize("lang", NEW_LANGS)
def test_spanish_and_arabic_placeholders_match_french(lang: str) -> None:
    french = dict(_leaves(yaml.safe_load(FR.read_text("utf-8"))))
    ours = dict(_leaves(yaml.safe_load((i18n.i18n_dir() / f"{lang}.yaml").read_text("utf-8"))))
    for key, text in ours.items():
        assert _placeholders(text) == _placeholders(french[key]), key


@pytest.mark.parametrize("lang", NEW_LANGS)
@pytest.mark.parametrize("ruleset_id", available())
def test_every_shipped_rule_set_is_complete_in_spanish_and_arabic(ruleset_id: str, lang: str) -> None:
    rs = load_ruleset(ruleset_id)
    assert i18n.untranslated(rs, lang) == []
    for ind in rs.indicators:
        label, question = i18n.indicator_text(rs, ind.id, lang)
        assert label and label != ind.label, ind.id
        assert question and question != ind.question, ind.id
        assert question != i18n.indicator_text(rs, ind.id, "fr")[1], ind.id
        if lang == "es":  # Spanish opens and closes a question
            assert "¿" in question and question.endswith("?"), ind.id
        else:  # Arabic script and the Arabic question mark
            assert question.endswith("؟"), ind.id
            assert any("\u0600" <= ch <= "\u06ff" for ch in label), ind.id
    for outcome in rs.labels:
        assert i18n.outcome_label(rs, outcome, lang) != rs.labels[outcome], outcome
    assert i18n.title(rs, lang) != rs.title


@pytest.mark.parametrize("lang", NEW_LANGS)
def test_every_vocabulary_fact_and_list_value_has_spanish_and_arabic(lang: str) -> None:
    facts = i18n.load_catalogue(i18n.i18n_dir() / f"{lang}.yaml").facts
    for name, spec in fact_specs().items():
        assert i18n.fact_label(name, lang) != spec.label, name
        for value in spec.values:
            assert value in facts[name]["values"], f"{name}={value}"
    spanish = i18n.fact_label("means", "es", "abuse_of_vulnerability")
    assert spanish == "abuso de una situación de vulnerabilidad"
    assert i18n.fact_label("means", "ar", "abuse_of_vulnerability") == "استغلال حالة استضعاف"


@pytest.mark.parametrize("lang", NEW_LANGS)
def test_spanish_and_arabic_keep_the_wording_rule(lang: str) -> None:
    # an outcome says the indicators are consistent with a category, never that a person is a victim
    opening = {"es": ("indicadores compatibles con",), "ar": ("مؤشرات تتوافق مع",)}[lang]
    for rid in available():
        rs = load_ruleset(rid)
        for outcome in ("positive", "WORST_FORM", "BELOW_MINIMUM_AGE"):
            # wherever the French says "indicateurs compatibles avec", so does this language
            if outcome in rs.labels and i18n.outcome_label(rs, outcome, "fr").startswith(
                    "indicateurs compatibles avec"):
                assert i18n.outcome_label(rs, outcome, lang).startswith(opening), rid
    victim = {"es": "víctima", "ar": "ضحية"}[lang]
    assert victim not in (i18n.i18n_dir() / f"{lang}.yaml").read_text("utf-8")


def test_translate_to_spanish_and_arabic_keeps_the_rule() -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    rec = {"id": "r", "indicators": {"DR01": True, "DR08": True, "EX01": True, "EX04": True,
                                     "CD01": True, "CD02": True}}
    english = assess(rs, rec).to_dict()
    for lang in NEW_LANGS:
        other = assess(i18n.translate(rs, lang), rec).to_dict()
        assert {**other, "label": english["label"]} == english
        assert other["label"] == i18n.outcome_label(rs, english["outcome"], lang) != english["label"]
    assert i18n.translate(rs, "es-MX").by_id["CD02"].label == "servidumbre por deudas"
    assert i18n.translate(rs, "ar_EG").by_id["CD02"].label == "عبودية الدين"
