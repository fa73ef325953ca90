"""``vigil recruiters check-offer --format jsonl`` keeps the contract of issue 9 on every offer
of both labelled sets: one line per offer, in the input order, with exactly the keys ``id``,
``signs``, ``evidence``, ``version`` in that order; the id as given (string or integer); the sign
ids sorted, unique and known; the evidence keyed by exactly those signs, each a non-empty list of
phrases that occur in the offer's text; the version of the shipped sign file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.recruitment.test_recruiters_cli import run
from vigil.recruitment import SIGN_IDS, load_signs

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["offers-labelled.jsonl", "offers-fresh.jsonl"])
def test_jsonl_contract_on_every_offer(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]
    code, out, err = run(["recruiters", "check-offer", "--format", "jsonl", str(DATA / name)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(rows) >= 48
    version = load_signs().version
    for row, line in zip(rows, lines, strict=True):
        got = json.loads(line)
        assert list(got) == ["id", "signs", "evidence", "version"], line
        assert got["id"] == row["id"] and type(got["id"]) is type(row["id"])
        assert got["signs"] == sorted(set(got["signs"])) and set(got["signs"]) <= set(SIGN_IDS)
        assert sorted(got["evidence"]) == got["signs"]
        text = row["text"].lower()
        for phrases in got["evidence"].values():
            assert phrases and all(isinstance(p, str) and p and p.lower() in text for p in phrases), line
        assert got["version"] == version


def test_the_fresh_set_is_varied():
    rows = [
        json.loads(line) for line in (DATA / "offers-fresh.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {r["lang"] for r in rows} == {"en", "fr"} and len({r["id"] for r in rows}) == len(rows)
    assert sum(1 for r in rows if not r["signs"]) * 2 == len(rows)  # half with no sign
    assert set().union(*(r["signs"] for r in rows)) == set(SIGN_IDS)  # every sign at least once
