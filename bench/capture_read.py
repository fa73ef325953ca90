"""Reading a large capture-history CSV: aggregate by pattern while reading.

Writes a capture-history file of ROWS rows (default 1,000,000; 16 patterns of four lists, one
person per row, as a list of individuals exported row by row would give) and reads it with
``vigil.stats.capture.read_capture_csv``, which counts identical lines first and parses each
distinct line once.

Baseline, timed in the same run on the same file: the reader before this change (kept below as
``naive_read``), which built one dict per row, validated row by row into numpy arrays and only
then merged the duplicate patterns. Each reader runs in a fresh subprocess so that its peak
memory (``ru_maxrss``) can be measured too. A file of 20 million rows (200 MB) took the old
reader more than 3 minutes and 4 GB; pass ROWS to try it.

Prints
BENCH capture_read_<rows> value=<s> unit=s baseline=<s> ratio=<baseline s / our s>
BENCH capture_read_<rows>_peak_rss value=<MB> unit=MB baseline=<MB> ratio=<baseline MB / our MB>

    .venv/bin/python bench/capture_read.py [ROWS]
"""

from __future__ import annotations

import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000


def naive_read(path: Path) -> object:
    """The reader before aggregation-while-reading: every row a dict, then a numpy table."""
    from vigil.errors import InputError
    from vigil.stats.capture import COUNT_COLUMN, CaptureHistories

    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        lists = [h for h in header if h != COUNT_COLUMN]
        rows: list[dict[str, object]] = []
        for line_no, values in enumerate(reader, start=1):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise InputError(f"expected {len(header)} values, got {len(values)}", f"row {line_no}")
            rows.append(dict(zip(header, values, strict=True)))
    return CaptureHistories.from_rows(rows, lists, source=str(path)).tidy()


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(1)
    patterns = [",".join(str(code >> i & 1) for i in range(4)) for code in range(1, 16)]
    patterns.append("1,1,1,1")  # 16 pattern lines (one repeated), as in the report
    block = 100_000
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("LA,NG,PF,GO,count\n")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            fh.write("".join(f"{rng.choice(patterns)},1\n" for _ in range(n)))


def one(kind: str, path: Path) -> None:
    """Child process: read once, print seconds, peak RSS (MB) and the table."""
    from vigil.stats.capture import read_capture_csv

    t0 = time.perf_counter()
    table = read_capture_csv(path) if kind == "ours" else naive_read(path)
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = table.to_rows()  # type: ignore[attr-defined]
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "rows": rows}))


def run(kind: str, path: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--one", kind, str(path)],
                         capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "histories.csv"
        write_file(path, ROWS)
        size_mb = path.stat().st_size / 1e6
        ours = run("ours", path)
        base = run("naive", path)
    if ours["rows"] != base["rows"]:
        raise SystemExit("the two readers disagree")
    s, b = float(ours["seconds"]), float(base["seconds"])  # type: ignore[arg-type]
    m, bm = float(ours["rss_mb"]), float(base["rss_mb"])  # type: ignore[arg-type]
    print(f"{ROWS:,} rows ({size_mb:.0f} MB), 16 pattern lines: aggregating reader {s:.2f} s, "
          f"{m:.0f} MB peak; row-by-row reader {b:.2f} s, {bm:.0f} MB peak; same table")
    print(f"BENCH capture_read_{ROWS} value={s:.3f} unit=s baseline={b:.3f} ratio={b / s:.1f}")
    print(f"BENCH capture_read_{ROWS}_peak_rss value={m:.0f} unit=MB baseline={bm:.0f} ratio={bm / m:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        one(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
