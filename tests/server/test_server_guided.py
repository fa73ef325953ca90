"""The guided interview: one question at a time (the rule set's ask_next), stopping when the
determination is fixed, the same answers, save path and stale-edit protection as the full form."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client

from vigil.rules import assess, load_ruleset
from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Screening

pytestmark = pytest.mark.django_db

ADULT = "ilo-ec-2009-adult-labour"
# what the (synthetic) worker would answer: yes to these, no to every other question
YES = {"DR01", "DR08", "EX01", "EX04", "CD01", "CD02"}


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _page(response) -> str:
    return html_lib.unescape(response.content.decode())


def _question_on(page: str) -> str | None:
    m = re.search(r'name="indicator" value="([^"]+)"', page)
    return m.group(1) if m else None


def _walk(c: Client, s: Screening, answer_of, limit: int = 200) -> list[str]:
    """Answer every question the guided mode asks, through plain form posts (no JavaScript)."""
    url = f"/screenings/{s.pk}/guided/"
    asked: list[str] = []
    r = c.get(url)
    for _step in range(limit):
        page = _page(r)
        assert r.status_code == 200
        question = _question_on(page)
        if question is None:
            assert 'id="stop-here"' in page
            return asked
        assert page.count('name="indicator"') == 1  # one question per page
        assert question not in asked, "a question was asked twice"
        asked.append(question)
        version = re.search(r'id="screening-version" value="(\d+)"', page).group(1)
        trail = re.search(r'name="trail" value="([^"]*)"', page).group(1)
        body = {"version": version, "trail": trail, "indicator": question, "answer": answer_of(question)}
        r = c.post(url, body)
        assert r.status_code == 302 and r["Location"].startswith(url)
        r = c.get(r["Location"])
    raise AssertionError("the guided interview did not stop")


def test_guided_asks_ask_next_one_at_a_time_and_stops_at_a_fixed_positive(users, cases):
    rs = load_ruleset(ADULT)
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    first = _page(c.get(f"/screenings/{s.pk}/guided/"))
    assert _question_on(first) == assess(rs, {"id": "x", "indicators": {}}).to_dict()["ask_next"][0]
    assert rs.by_id[_question_on(first)].question in first
    for key in 'data-key="y"', 'data-key="n"', 'data-key="k"', 'data-key="r"':
        assert key in first
    assert "still needed" in first  # the progress line names what the determination needs
    asked = _walk(c, s, lambda q: "yes" if q in YES else "no")
    s.refresh_from_db()
    full = sum(1 for i in rs.indicators if i.question)
    assert s.outcome == "positive" and len(asked) < full
    # "stop here" is honest: no answer to a question not asked changes the determination
    rest = [i.id for i in rs.indicators if i.question and i.id not in s.answers]
    assert rest
    for value in (True, False):
        record = {"id": "x", "indicators": {**s.answers, **dict.fromkeys(rest, value)}}
        assert assess(rs, record).to_dict()["outcome"] == "positive"


def test_guided_and_full_form_store_identical_answers_and_determinations(users, cases):
    c = logged_in(users["inspector"])
    guided = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    # a mix of yes, no, not known and refused
    def answer_of(q: str) -> str:
        return "yes" if q in YES else "unknown" if q.endswith("2") else "refused" if q.endswith("3") else "no"

    asked = _walk(c, guided, answer_of)
    guided.refresh_from_db()
    full = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    body = {"version": full.version, "age": ""}
    body.update({f"a-{q}": {"refused": "unknown"}.get(answer_of(q), answer_of(q)) for q in asked})
    r = c.post(f"/screenings/{full.pk}/", body)
    assert r.status_code == 200
    full.refresh_from_db()
    assert guided.answers == full.answers and guided.outcome == full.outcome
    without_id = lambda d: {k: v for k, v in d.items() if k != "id"}  # noqa: E731
    assert without_id(guided.determination) == without_id(full.determination)
    assert not any(q in guided.answers for q in asked if answer_of(q) in ("unknown", "refused"))


def test_not_known_and_refused_are_not_asked_again_and_an_answer_can_be_changed(users, cases):
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    url = f"/screenings/{s.pk}/guided/"
    page = _page(c.get(url))
    q1 = _question_on(page)
    r = c.post(url, {"version": s.version, "trail": "", "indicator": q1, "answer": "refused"})
    page = _page(c.get(r["Location"]))
    q2 = _question_on(page)
    assert q2 != q1 and "refused" in page and 'id="guided-back"' in page
    s.refresh_from_db()
    assert q1 not in s.answers
    # back to the first question, change it to yes: stored, and the trail keeps its place
    back = re.search(r'id="guided-back"[^>]*', page) or re.search(r'href="([^"]+)" id="guided-back"', page)
    href = re.search(r'<a href="([^"]+)" id="guided-back"', page).group(1)
    assert back and f"q={q1}" in href
    page = _page(c.get(href))
    assert _question_on(page) == q1
    trail = re.search(r'name="trail" value="([^"]*)"', page).group(1)
    r = c.post(url, {"version": s.version, "trail": trail, "indicator": q1, "answer": "yes"})
    s.refresh_from_db()
    assert s.answers == {q1: True}
    assert r["Location"].count(q1) == 1  # changed in place, not asked twice
    assert f"{q1}:y" in r["Location"]


def test_guided_autosave_refuses_a_stale_version(users, cases):
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    read = s.version
    screening_service.update(s, read, answers={"DR01": True})  # a colleague's answer meanwhile
    body = {"version": read, "trail": "", "indicator": "DR01", "answer": "no"}
    r = c.post(f"/screenings/{s.pk}/guided/", body)
    assert r.status_code == 409
    r = c.post(f"/screenings/{s.pk}/guided/", body, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b'role="alert"' in r.content and b"<html" not in r.content
    s.refresh_from_db()
    assert s.answers == {"DR01": True}
    assert f'id="screening-version" value="{s.version}"'.encode() in r.content


def test_guided_with_htmx_swaps_the_card_and_pushes_the_address(users, cases):
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    q1 = _question_on(_page(c.get(f"/screenings/{s.pk}/guided/")))
    body = {"version": s.version, "trail": "", "indicator": q1, "answer": "yes"}
    r = c.post(f"/screenings/{s.pk}/guided/", body, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"<html" not in r.content
    assert r["HX-Push-Url"] == f"/screenings/{s.pk}/guided/?trail={q1}:y"
    nxt = _question_on(_page(r))
    assert nxt and nxt != q1
    s.refresh_from_db()
    assert s.answers == {q1: True}


def test_guided_refuses_bad_input_and_other_organisations(users, cases):
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    r = c.post(f"/screenings/{s.pk}/guided/", {"version": s.version, "indicator": "NOPE", "answer": "yes"})
    assert r.status_code == 400
    r = c.post(f"/screenings/{s.pk}/guided/", {"version": s.version, "indicator": "DR01", "answer": "maybe"})
    assert r.status_code == 400
    s.refresh_from_db()
    assert s.answers == {}
    assert logged_in(users["caseworker_b"]).get(f"/screenings/{s.pk}/guided/").status_code == 404


def test_guided_page_in_french(users, cases):
    from vigil.rules import i18n

    rs = load_ruleset(ADULT)
    c = logged_in(users["inspector"])
    c.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"})
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    page = _page(c.get(f"/screenings/{s.pk}/guided/"))
    q = _question_on(page)
    _label, question_fr = i18n.indicator_text(rs, q, "fr")
    assert question_fr in page and rs.by_id[q].question not in page
    assert "Entretien guidé" in page and "Oui" in page and "Refus" in page and "encore nécessaire" in page


def test_guided_asks_the_penalties_per_stage_as_the_full_form_does(users, cases):
    """ask_next of ilo-2012 names staged keys (D1.PN07); the guided mode asks them per stage, as
    the full form does, so an answer lands under its stage key (never the stage-less PN07) and a
    penalty of the stage decides."""
    rule = "ilo-2012-forced-labour"
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], rule, users["inspector"])
    asked = _walk(c, s, lambda q: "yes" if q in {"UR02", "D1.PN07"} else "no")
    s.refresh_from_db()
    assert "D1.PN07" in asked and s.outcome == "positive" and s.answers["D1.PN07"] is True
    assert not any(k.startswith("PN") for k in asked) and not any(k.startswith("PN") for k in s.answers)
    # the full form shows the answer in its stage group; no group of stage-less answers
    page = _page(c.get(f"/screenings/{s.pk}/"))
    assert 'name="a-D1.PN07" value="yes" checked' in page and 'id="g_unstaged"' not in page


def test_a_staged_question_names_its_stage_in_both_languages(users, cases):
    from vigil.forms.export import group_labels
    from vigil.forms.questions import indicator_groups
    from vigil.rules import i18n

    rule = "ilo-2012-forced-labour"
    rs = load_ruleset(rule)
    stage_group = next(g for g in indicator_groups(rs) if g.kind == "scope" and g.ref == "D1")
    en, ar = group_labels(rs, [stage_group], "en")[0], group_labels(rs, [stage_group], "ar")[0]
    assert en != ar and "unfree recruitment" in en
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], rule, users["inspector"])
    url = f"/screenings/{s.pk}/guided/"
    page = _page(c.get(f"{url}?trail=UR01:n,UR02:y&q=D1.PN07&worker=ar"))
    assert _question_on(page) == "D1.PN07"
    assert f'<p class="guided-stage" id="question-stage" data-stage="D1">{en}</p>' in page
    assert f'id="worker-question-stage" lang="ar" dir="rtl">{ar}</p>' in page
    _label, pn07_ar = i18n.indicator_text(rs, "PN07", "ar")
    assert f'lang="ar" dir="rtl">{pn07_ar}</p>' in page
    r = c.post(url, {"version": s.version, "trail": "UR02:y", "indicator": "D1.PN07", "answer": "yes"})
    assert r.status_code == 302 and "trail=UR02:y,D1.PN07:y" in r["Location"]
    s.refresh_from_db()
    assert s.answers == {"D1.PN07": True}
    # the answers so far name the stage too
    page = _page(c.get(r["Location"]))
    assert f'<span class="code">D1.PN07</span> {en} · ' in page
    # a key of no question is refused
    bad = c.post(url, {"version": s.version, "trail": "", "indicator": "D9.PN07", "answer": "yes"})
    assert bad.status_code == 400


def test_older_stage_less_answers_still_count_in_the_guided_trail(users, cases):
    """An interview begun before the stages were asked carries ``PN07`` in its trail: it still
    parses, and the question stays answered in the list."""
    rule = "ilo-2012-forced-labour"
    c = logged_in(users["inspector"])
    s = screening_service.create(cases["a_inspector"], rule, users["inspector"], answers={"PN07": True})
    page = _page(c.get(f"/screenings/{s.pk}/guided/?trail=PN07:y"))
    assert '<span class="code">PN07</span>' in page and 'class="mark-y"' in page


def test_once_fixed_no_dimension_is_still_needed(users, cases):
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    _walk(c, s, lambda q: "yes" if q in YES else "no")
    page = _page(c.get(f"/screenings/{s.pk}/guided/"))
    assert 'id="stop-here"' in page and "still needed" not in page and "not needed" in page


def test_the_question_in_the_workers_language_beside_the_interface_language(users, cases):
    from vigil.rules import i18n

    rs = load_ruleset(ADULT)
    c = logged_in(users["inspector"])
    s = screening_service.start(cases["a_inspector"], ADULT, users["inspector"])
    page = _page(c.get(f"/screenings/{s.pk}/guided/?worker=fr"))
    q = _question_on(page)
    _label, question_fr = i18n.indicator_text(rs, q, "fr")
    assert rs.by_id[q].question in page and f'lang="fr" dir="ltr">{question_fr}<' in page
    # kept after an answer (plain post, then the next page)
    r = c.post(f"/screenings/{s.pk}/guided/",
               {"version": s.version, "trail": "", "indicator": q, "answer": "no", "worker": "fr"})
    assert "worker=fr" in r["Location"]
    page = _page(c.get(r["Location"]))
    _label, next_fr = i18n.indicator_text(rs, _question_on(page), "fr")
    assert f'lang="fr" dir="ltr">{next_fr}<' in page
    # an unknown language is ignored, not shown
    assert 'id="worker-question"' not in _page(c.get(f"/screenings/{s.pk}/guided/?worker=xx"))
