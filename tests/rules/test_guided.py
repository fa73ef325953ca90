"""vigil.rules.guided: the guided interview's next question is the first askable entry of
ask_next; a stop ("no question left") never hides an answer that could change the outcome."""

from __future__ import annotations

import itertools

from vigil.rules import assess, guided, load_ruleset


def test_next_question_is_the_first_askable_entry_of_ask_next():
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    det = assess(rs, {"id": "x", "indicators": {}}).to_dict()
    assert guided.next_question(rs, det, set()) == det["ask_next"][0]
    assert guided.next_question(rs, det, {det["ask_next"][0]}) == det["ask_next"][1]


def test_staged_keys_are_asked_without_stage_or_per_stage():
    rs = load_ruleset("ilo-2012-forced-labour")
    det = assess(rs, {"id": "x", "indicators": {"UR02": True}}).to_dict()
    assert "D1.PN01" in det["ask_next"] and "PN01" not in det["ask_next"]
    plain = guided.open_questions(rs, det, set())
    assert "PN01" in plain and not any("." in k for k in plain)
    assert "D1.PN01" in guided.open_questions(rs, det, set(), staged=True)
    # answering the stage-less question makes the stage-less penalty count (as on the screening page)
    det = assess(rs, {"id": "x", "indicators": {"UR02": True, "PN07": True}}).to_dict()
    assert det["outcome"] == "positive"


def test_facts_and_age_are_not_questions():
    rs = load_ruleset("palermo-2000")
    det = assess(rs, {"id": "x"}).to_dict()
    assert det["ask_next"] and guided.next_question(rs, det, set()) is None


def test_a_fixed_outcome_does_not_change_with_any_remaining_answer():
    """Every small combination of the first asked questions: when nothing is left to ask, no
    answer to the questions never asked changes the outcome."""
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    det = assess(rs, {"id": "x", "indicators": {}}).to_dict()
    first = det["ask_next"][:4]
    all_q = [i.id for i in rs.indicators if i.question]
    for values in itertools.product([True, False], repeat=4):
        answers = dict(zip(first, values, strict=True))
        # answer "no" to everything else asked, as a guided walk would, until it stops
        for _ in range(len(all_q)):
            d = assess(rs, {"id": "x", "indicators": answers}).to_dict()
            nxt = guided.next_question(rs, d, set(answers))
            if nxt is None:
                break
            answers[nxt] = False
        outcome = assess(rs, {"id": "x", "indicators": answers}).to_dict()["outcome"]
        rest = [q for q in all_q if q not in answers]
        for fill in (True, False):
            filled = {**answers, **dict.fromkeys(rest, fill)}
            assert assess(rs, {"id": "x", "indicators": filled}).to_dict()["outcome"] == outcome
