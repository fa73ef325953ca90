"""The explanation tree ("why"): the same English as before, and the same tree in fr, es, ar."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from vigil.rules import assess, assess_many, load_file, load_ruleset
from vigil.rules.explain_text import REF_FIELDS, english, placeholders, render, templates
from vigil.rules.i18n import indicator_text
from vigil.rules.triage import triage, triage_many

DATA = Path(__file__).with_name("data")
LANGS = ("fr", "es", "ar")


def legacy() -> list[dict[str, Any]]:
    lines = (DATA / "legacy_decided_by.jsonl").read_text("utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def ruleset(rs_id: str) -> Any:
    return load_file(DATA / "why_nodes.yaml") if rs_id == "why_nodes" else load_ruleset(rs_id)


def roundtrip(tree: Any) -> Any:
    """The tree as it comes back from a JSON column."""
    return json.loads(json.dumps(tree))


def refs(tree: Any) -> list[dict[str, Any]]:
    """Every reference in a tree (dicts without a key), depth first."""
    out: list[dict[str, Any]] = []
    if isinstance(tree, list):
        for x in tree:
            out += refs(x)
    elif isinstance(tree, dict):
        if "key" not in tree:
            return [tree]
        for v in (tree.get("args") or {}).values():
            out += refs(v)
        out += refs(tree.get("parts") or [])
    return out


def test_legacy_records_cover_every_shipped_rule_set_and_the_triage() -> None:
    seen = {x.get("ruleset", "triage") for x in legacy()}
    assert seen >= {"c138-c182", "c138-c182-art2-4", "fair-recruitment-2019", "ilo-11",
                    "ilo-2012-forced-labour", "ilo-ec-2009-adult-labour",
                    "ilo-ec-2009-child-labour", "palermo-2000", "why_nodes", "triage"}


def test_tree_renders_to_the_legacy_english_on_every_record() -> None:
    used: set[str] = set()
    for x in legacy():
        if x.get("triage"):
            dets = triage(x["record"], why=True)["determinations"]
            for rs_id, det in dets.items():
                assert det["decided_by"] == x["decided_by"][rs_id], (x["record"]["id"], rs_id)
                assert render(roundtrip(det["why"]), "en", rs_id) == det["decided_by"]
                used |= set(re.findall(r"'key': '(\w+)'", repr(det["why"])))
            continue
        rs = ruleset(x["ruleset"])
        det = assess(rs, x["record"], x["missing"], why=True).to_dict()
        assert det["decided_by"] == x["decided_by"], (x["ruleset"], x["record"]["id"])
        assert english(roundtrip(det["why"])) == det["decided_by"]
        used |= set(re.findall(r"'key': '(\w+)'", repr(det["why"])))
    # the records reach nearly every message (not: a labelled constant, a true parameter, an
    # unknown boolean fact, a child's triage, the inspections' own clause), so the English of
    # nearly every template is pinned
    unused = set(templates("en")["messages"]) - used
    assert unused <= {"name", "param_true", "fact_unknown", "outcome_in", "child_forced_labour"}, unused


def test_why_is_kept_only_when_asked_and_batch_gives_the_same_tree() -> None:
    rs = load_ruleset("ilo-2012-forced-labour")
    recs = [x["record"] for x in legacy() if x.get("ruleset") == rs.id and x["missing"] == "unknown"][:40]
    plain = assess(rs, recs[0]).to_dict()
    assert "why" not in plain and "why" not in next(iter(assess_many(rs, recs[:1]))).to_dict()
    single = [assess(rs, r, why=True).to_json() for r in recs]
    assert [d.to_json() for d in assess_many(rs, recs, why=True)] == single
    adults = [x["record"] for x in legacy() if x.get("triage")][:20]
    assert list(triage_many(adults, why=True)) == [triage(r, why=True) for r in adults]


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_has_a_translation_with_the_same_placeholders(lang: str) -> None:
    en, tr = templates("en"), templates(lang)
    for section in ("messages", "states", "joins", "words"):
        missing = set(en[section]) - set(tr[section])
        assert not missing, (lang, section, missing)
    for key, text in en["messages"].items():
        assert placeholders(tr["messages"][key]) == placeholders(text), (lang, key)
    for kind, text in en["refs"].items():
        fields = placeholders(tr["refs"].get(kind, ""))
        assert fields <= REF_FIELDS[kind] and fields >= placeholders(text) - {"id"}, (lang, kind)
    assert set(en["refs"]) == set(REF_FIELDS)


def _english_words(lang: str) -> set[str]:
    """Words of the English templates that the translation does not use itself."""
    def words(section: dict[str, str]) -> set[str]:
        text = " ".join(re.sub(r"\{\w+\}", " ", t) for t in section.values())
        return {w for w in re.findall(r"[A-Za-z]+", text) if len(w) > 1}  # not "a" (art. 3 a))

    en, tr = templates("en"), templates(lang)
    own = set().union(*(words(tr[s]) for s in ("messages", "states", "joins", "words", "labels")))
    return {w for s in ("messages", "states", "joins", "words") for w in words(en[s])} - own


@pytest.mark.parametrize("lang", LANGS)
def test_translated_why_has_the_indicator_labels_and_no_english_template_word(lang: str) -> None:
    english_words = _english_words(lang)
    assert {"present", "unknown", "needed", "depends", "given"} & english_words
    checked = 0
    for x in legacy():
        if x.get("triage") or x["missing"] != "unknown" or x["ruleset"] == "why_nodes":
            continue
        rs = ruleset(x["ruleset"])
        tree = assess(rs, x["record"], why=True).to_dict()["why"]
        text = render(roundtrip(tree), lang, rs)
        found = {w for w in re.findall(r"(?<![\w.-])[A-Za-z]+(?![\w.-])", text) if w in english_words}
        assert not found, (lang, x["ruleset"], found, text)
        for ref in refs(tree):
            if "ind" in ref and ref["ind"] in rs.by_id:
                label = indicator_text(rs, ref["ind"], lang)[0]
                assert label in text and label != rs.by_id[ref["ind"]].label, (ref, text)
                checked += 1
    assert checked > 100


def test_outcomes_terms_and_facts_are_translated() -> None:
    rs = load_ruleset("c138-c182")
    det = assess(rs, {"id": "k", "age": 13, "facts": {"hours_per_week": 10, "hazardous": False}},
                 why=True).to_dict()
    fr = render(det["why"], "fr", rs)
    assert "travaux légers (C138, art. 7)" in fr and "light work" in det["decided_by"]
    assert "scolarité compromise" in fr and "dépend de faits inconnus" in fr
    assert "pas de travail des enfants" in fr and "NOT_CHILD_LABOUR" not in fr


def test_missing_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    rs = load_ruleset("ilo-11")
    tree = assess(rs, {"id": "r", "indicators": {"ILO11.09": True}}, why=True).to_dict()["why"]
    assert render(tree, "de", rs) == english(tree) == "ILO-11 indicator present: ILO11.09"
    monkeypatch.delitem(templates("fr")["messages"], "group_present")
    monkeypatch.delitem(templates("fr")["labels"], "ILO-11 indicator")
    assert render(tree, "fr-FR", rs) == "ILO-11 indicator present: ILO11.09 (servitude pour dettes)"


def test_triage_why_switches_to_the_rule_set_of_each_part() -> None:
    rec = {"id": "t", "age": 30, "indicators": {"DR01": True, "DR08": True, "EX01": True},
           "facts": {"act": ["recruited"]}}
    det = triage(rec, why=True)["determinations"]["palermo-2000"]
    fr = render(det["why"], "fr", "palermo-2000")
    adult = load_ruleset("ilo-ec-2009-adult-labour")
    shown = [r["ind"] for r in refs(det["why"]) if "ind" in r]
    assert "EX01" in shown  # the palermo tree reaches into the Delphi list ...
    for iid in shown:  # ... whose indicators are shown with their French labels
        assert indicator_text(adult, iid, "fr")[0] in fr, (iid, fr)
