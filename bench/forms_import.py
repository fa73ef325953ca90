"""Importing field submissions: 1,000,000 Kobo CSV submissions imported and screened with
``vigil forms import``'s core, against ``vigil assess`` on a JSON Lines file of the same answers,
both in the same run (read, validate, encode, screen in batch, render every determination).

Prints:
BENCH forms_import value=<submissions/s> unit=submissions/s baseline=<assess JSONL records/s>
ratio=<ours / baseline>
Goal (issue 13): within 2x of the JSONL path (ratio >= 0.5). The two outputs are checked equal.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vigil.forms import build_form, write_form
from vigil.forms.questions import plan
from vigil.forms.submissions import load_submissions, read_form
from vigil.io.records import read_columns
from vigil.rules import assess_columns, load_ruleset, to_json
from vigil.rules.engine import encode

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
RULESET = sys.argv[2] if len(sys.argv) > 2 else "ilo-ec-2009-adult-labour"
CHOICES = np.array(["", "yes", "no", "dont_know", "refused"])
VALUES = [None, True, False, None, None]


def write_inputs(tmp: Path) -> tuple[Path, Path, Path]:
    rs = load_ruleset(RULESET)
    form = tmp / "form.xlsx"
    write_form(build_form(rs, ["en", "fr"]), form)
    items = [(g.name, i.key) for g in plan(rs) for i in g.items if i.kind == "indicator"]
    rng = np.random.default_rng(13)
    # mostly no, some yes, a few don't know / refused, 10% not asked
    codes = rng.choice(5, size=(N, len(items)), p=[0.10, 0.15, 0.65, 0.06, 0.04]).astype(np.int8)
    uuids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(N)]
    kobo, jsonl = tmp / "kobo.csv", tmp / "answers.jsonl"
    header = ["start", "end", "consent", *(f"interview/{g}/{k}" for g, k in items),
              "__version__", "_id", "_uuid", "_submission_time", "_index"]
    keys = [k for _, k in items]
    with kobo.open("w", encoding="utf-8") as fk, jsonl.open("w", encoding="utf-8") as fj:
        fk.write(";".join(header) + "\n")
        words = CHOICES[codes]
        for j in range(N):
            row = codes[j]
            fk.write(f"2026-01-05T10:00:00;2026-01-05T10:20:00;yes;{';'.join(words[j])};v1;{j};{uuids[j]};"
                     f"2026-01-05T09:20:00;{j}\n")
            inds = {keys[c]: VALUES[v] for c, v in enumerate(row.tolist()) if v}
            fj.write(json.dumps({"id": uuids[j], "indicators": inds}) + "\n")
    return form, kobo, jsonl


def ours(form: Path, kobo: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    spec = read_form(form)
    digest = hashlib.sha256()
    for det in load_submissions(spec, kobo, latest=True).determinations():  # as the command
        digest.update((to_json(det.to_dict()) + "\n").encode())
    return time.perf_counter() - t0, digest.hexdigest()


def baseline(jsonl: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    rs = load_ruleset(RULESET)
    cols = read_columns(jsonl, lambda r: encode(rs, r), indicator_keys=rs.record_keys())
    digest = hashlib.sha256()
    for det in assess_columns(rs, cols):
        digest.update((to_json(det.to_dict()) + "\n").encode())
    return time.perf_counter() - t0, digest.hexdigest()


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        form, kobo, jsonl = write_inputs(tmp)
        print(f"{RULESET}: {N:,} submissions written in {time.perf_counter() - t0:.0f} s "
              f"(Kobo CSV {kobo.stat().st_size / 1e6:,.0f} MB, JSONL {jsonl.stat().st_size / 1e6:,.0f} MB)")
        base_s, base_hash = baseline(jsonl)
        our_s, our_hash = ours(form, kobo)
        if our_hash != base_hash:
            raise SystemExit("forms import and vigil assess disagree")
        print(f"forms import {our_s:.1f} s, vigil assess (JSONL) {base_s:.1f} s; outputs identical")
        value, base = N / our_s, N / base_s
        print(f"BENCH forms_import value={value:.0f} unit=submissions/s baseline={base:.0f} "
              f"ratio={value / base:.2f}")


if __name__ == "__main__":
    main()
