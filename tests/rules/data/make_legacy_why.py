"""Write ``legacy_decided_by.jsonl``: records and the ``decided_by`` text the engine gave them
before explanations became trees (run once against that engine, commit 9dc9dd4):

    git archive 9dc9dd4 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src python tests/rules/data/make_legacy_why.py

Records: the shared reference cases of each rule set and of the triage, plus seeded random
records (indicators yes / no / unknown / not carried, facts, ages) for every shipped rule set,
under both ``--missing`` choices. The test (tests/rules/test_why.py) checks that the new engine
says exactly the same, and that the English rendering of the tree is that text.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from vigil.rules import assess, available, load_file, load_ruleset
from vigil.rules.records import fact_specs
from vigil.rules.triage import load_triage, triage

OUT = Path(__file__).with_name("legacy_decided_by.jsonl")
NODES = Path(__file__).with_name("why_nodes.yaml")  # the node kinds no shipped rule set uses
CASES = Path(__file__).resolve().parents[4] / "shared" / "reference" / "cases"
RANDOM_PER_SET = 60


def random_record(rng: random.Random, keys: list[str], i: int, child_ok: bool = True) -> dict[str, Any]:
    indicators: dict[str, Any] = {}
    density = rng.choice([0.1, 0.3, 0.6, 0.9])
    for k in keys:
        if rng.random() < density:
            indicators[k] = rng.choice([True, False, False, None])
    facts: dict[str, Any] = {}
    for name, spec in fact_specs().items():
        if rng.random() < 0.5:
            continue
        if spec.type == "bool":
            facts[name] = rng.choice([True, False, None])
        elif spec.type == "list":
            facts[name] = rng.sample(list(spec.values), rng.randint(0, min(2, len(spec.values))))
        else:
            facts[name] = rng.choice([None, rng.randint(0, 60)])
    age: Any = rng.choice([None, rng.randint(5 if child_ok else 18, 70), 17.5, 18])
    return {"id": f"r{i}", "age": age, "indicators": indicators, "facts": facts}


def main() -> None:
    rng = random.Random(13)
    out = []
    for rs_id in [*available(), NODES.stem]:
        rs = load_file(NODES) if rs_id == NODES.stem else load_ruleset(rs_id)
        keys = sorted(rs.record_keys())
        recs = []
        path = CASES / f"{rs_id}.jsonl"
        if path.is_file():
            recs += [json.loads(x)["record"] for x in path.read_text("utf-8").splitlines() if x.strip()]
        recs += [random_record(rng, keys, i) for i in range(RANDOM_PER_SET)]
        for missing in ("unknown", "absent"):
            for rec in recs:
                try:
                    det = assess(rs, rec, missing).to_dict()
                except Exception:  # a record this rule set refuses (e.g. a key it does not know)
                    continue
                out.append({"ruleset": rs_id, "missing": missing, "record": rec,
                            "decided_by": det["decided_by"]})
    t = load_triage()
    keys = sorted(t.allowed)
    recs = [json.loads(x)["record"] for x in (CASES / "triage.jsonl").read_text("utf-8").splitlines()
            if x.strip()]
    recs += [random_record(rng, keys, i, child_ok=False) for i in range(RANDOM_PER_SET)]
    for rec in recs:
        try:
            res = triage(rec)
        except Exception:
            continue
        out.append({"triage": True, "record": rec,
                    "decided_by": {k: d["decided_by"] for k, d in res["determinations"].items()}})
    OUT.write_text("".join(json.dumps(x, sort_keys=True, ensure_ascii=False) + "\n" for x in out), "utf-8")
    print(f"{len(out)} records written to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
