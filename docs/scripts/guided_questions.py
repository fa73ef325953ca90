"""How many questions the guided interview asks before the determination is fixed, per rule set,
over the public reference cases, against the number of questions of the full form.

    PYTHONPATH=src python docs/scripts/guided_questions.py [/work/shared/reference/cases]

Each reference record stands for a worker's answers. The guided mode is simulated as the server
runs it (``vigil.rules.guided.next_question``): start from no answers
(the age and the facts known up front, as on the screening page), ask the first question of the
rule set's ``ask_next`` not yet left unanswered, take the record's answer (``null`` or absent: "not
known", never asked again), stop when no question can change the determination. The outcome at
the stop must equal the outcome of the whole record; a mismatch is an error naming the record.
A staged indicator (``D1.PN01``) is asked the way the record holds it: per stage when the record
has staged keys, otherwise once without stage, as the screening page asks it.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from vigil.rules import RuleSet, assess, guided, load_ruleset

DEFAULT = Path("/work/shared/reference/cases")
RULESETS = ["ilo-ec-2009-adult-labour", "ilo-ec-2009-child-labour", "ilo-2012-forced-labour", "c138-c182"]


def questions(rs: RuleSet, staged: bool = False) -> list[str]:
    """Every question key of the full form (with ``staged``, a staged indicator once per stage)."""
    out = []
    for ind in rs.indicators:
        if ind.question:
            out.extend([f"{s}.{ind.id}" for s in ind.scopes] if staged and ind.scopes else [ind.id])
    return out


def guided_count(rs: RuleSet, record: dict[str, Any]) -> tuple[int, str, bool]:
    """(questions asked, outcome at the stop, staged) of a guided interview of ``record``."""
    given = record.get("indicators") or {}
    staged = any("." in key for key in given)
    known = {k: v for k, v in record.items() if k != "indicators"}
    answers: dict[str, bool] = {}
    skipped: set[str] = set()
    for _step in range(len(questions(rs, staged)) + 1):
        det = assess(rs, {**known, "indicators": answers}).to_dict()
        nxt = guided.next_question(rs, det, skipped | set(answers), staged=staged)
        if nxt is None:
            return len(answers) + len(skipped), str(det["outcome"]), staged
        value = given.get(nxt)
        if value is None:
            skipped.add(nxt)
        else:
            answers[nxt] = bool(value)
    raise AssertionError(f"{rs.id} {record.get('id')}: the guided interview did not stop")


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT
    print("| rule set | reference cases | full form: questions | guided: median questions (min–max) |")
    print("| --- | ---: | ---: | --- |")
    for rid in RULESETS:
        path = folder / f"{rid}.jsonl"
        if not path.exists():
            print(f"{path}: missing (the public reference cases)", file=sys.stderr)
            return 2
        rs = load_ruleset(rid)
        if not questions(rs):
            n = len(path.read_text(encoding="utf-8").splitlines())
            print(f"| {rid} | {n} | 0 (facts only) | — (no questions to guide) |")
            continue
        counts: dict[bool, list[int]] = {}
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)["record"]
            except (ValueError, KeyError) as exc:
                print(f"{path}:{lineno}: not a reference case ({exc})", file=sys.stderr)
                return 2
            asked, outcome, staged = guided_count(rs, record)
            whole = assess(rs, record).to_dict()["outcome"]
            if outcome != whole:
                print(f"{path}:{lineno}: guided stopped at {outcome}, the whole record is {whole}",
                      file=sys.stderr)
                return 1
            counts.setdefault(staged, []).append(asked)
        for staged, got in sorted(counts.items()):
            name = f"{rid} (per stage)" if staged else rid
            median, full = statistics.median(got), len(questions(rs, staged))
            print(f"| {name} | {len(got)} | {full} | {median:g} ({min(got)}–{max(got)}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
