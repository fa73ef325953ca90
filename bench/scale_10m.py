"""The scale path of issue 14: the MSE and survey estimates on a 10,000,000-row input, with the
peak memory of each run.

Writes, in a temporary directory, two synthetic files of ROWS rows (default 10,000,000):

* ``captures.csv``: one person per row, four 0/1 list columns and ``count`` = 1 (as a list of
  individuals exported row by row gives; 15 observed patterns), read by ``vigil estimate mse``
  (main effects);
* ``survey.csv``: respondents with ``stratum``, ``psu`` (5,000 PSUs in 500 strata), ``wt``,
  ``sex`` and a 0/1 ``fl`` indicator, with ``design.yaml`` (``ids: [psu]``, ``strata``,
  ``weights``), read by ``vigil estimate survey --prop fl=1 --by sex``.

Each command runs in its own subprocess (the installed ``vigil`` script), timed, its peak
resident memory measured by ``/usr/bin/time``. Baseline, in the same run:
the same commands on the first tenth of the rows; the time ratio is the time at ROWS over ten
times the tenth's, both less the start of the command line (imports, timed with ``--help``)
(1.0: linear; below 1: better than linear); the memory ratio is the peak at ROWS over the
tenth's.

Prints per command the seconds and the peak MB at both sizes, then
BENCH scale_<cmd>_<rows> value=<s after start> unit=s baseline=<10 x the tenth's> ratio=<value / baseline>
BENCH scale_<cmd>_<rows>_peak_rss value=<MB> unit=MB baseline=<MB of the tenth> ratio=<value / baseline>

    .venv/bin/python bench/scale_10m.py [ROWS]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = 10_000_000
PSUS = 5_000
STRATA = 500
CHUNK = 1_000_000


def write_captures(path: Path, rows: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    p = np.array([0.30, 0.22, 0.15, 0.10])  # each list's capture probability
    with path.open("w", encoding="utf-8") as out:
        out.write("A,B,C,D,count\n")
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            caught = rng.random((n * 2, 4)) < p
            caught = caught[caught.any(axis=1)][:n]  # observed people only
            while len(caught) < n:  # pragma: no cover - a very unlucky draw
                more = rng.random((n, 4)) < p
                caught = np.vstack([caught, more[more.any(axis=1)]])[:n]
            lines = ["{},{},{},{},1".format(*row) for row in caught.astype(int).tolist()]
            out.write("\n".join(lines) + "\n")
            done += n


def write_survey(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("stratum,psu,wt,sex,fl\n")
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            psu = rng.integers(0, PSUS, n)
            if done == 0:
                psu[:PSUS] = np.arange(PSUS)
            stratum = psu // (PSUS // STRATA)
            wt = np.round(rng.uniform(50, 150, n), 3)
            sex = np.where(rng.random(n) < 0.5, "female", "male")
            fl = (rng.random(n) < 0.01 + 0.02 * (stratum % 7) / 6).astype(int)
            cols = (stratum.tolist(), psu.tolist(), wt.tolist(), sex.tolist(), fl.tolist())
            lines = [f"{s},{q},{w},{x},{f}" for s, q, w, x, f in zip(*cols, strict=True)]
            out.write("\n".join(lines) + "\n")
            done += n


def head(src: Path, dst: Path, rows: int) -> None:
    with src.open("rb") as inp, dst.open("wb") as out:
        for i, line in enumerate(inp):
            if i > rows:
                break
            out.write(line)


def vigil() -> list[str]:
    script = shutil.which("vigil", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from vigil.cli import main; main()"]


def run(args: list[str]) -> tuple[float, float, str]:
    """Seconds, peak resident MB and the output of one command.

    The peak is measured by ``/usr/bin/time`` (its ``%M``), not by this process's ``wait4``: a
    child forked from this process would count this process's own memory (the files' generator)
    in its peak, since Linux keeps the high-water mark across ``exec``."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *vigil(), *args], capture_output=True, text=True
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"vigil {' '.join(args)} failed: {proc.stderr.strip()[:500]}")
        peak_kb = int(Path(rss.name).read_text().split()[-1])
    return seconds, peak_kb / 1024, proc.stdout


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    tenth = rows // 10
    with tempfile.TemporaryDirectory(prefix="vigil-scale-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        write_captures(d / "captures.csv", rows)
        write_survey(d / "survey.csv", rows)
        head(d / "captures.csv", d / "captures_tenth.csv", tenth)
        head(d / "survey.csv", d / "survey_tenth.csv", tenth)
        (d / "design.yaml").write_text("ids: [psu]\nstrata: stratum\nweights: wt\n", encoding="utf-8")
        sizes = {p.name: p.stat().st_size / 1e6 for p in d.glob("*.csv")}
        print(f"wrote {rows:,}-row files in {time.perf_counter() - t0:.0f} s: "
              + ", ".join(f"{k} {v:,.0f} MB" for k, v in sorted(sizes.items())))
        commands = {
            "mse": lambda f: ["estimate", "mse", "--method", "main", str(d / f"captures{f}.csv")],
            "survey": lambda f: ["estimate", "survey", "--design", str(d / "design.yaml"),
                                 "--prop", "fl=1", "--by", "sex", str(d / f"survey{f}.csv")],
        }
        label = f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else str(rows)
        start_s, start_mb, _ = min(run(["estimate", "mse", "--help"]) for _ in range(2))
        print(f"start of the command line (imports, --help): {start_s:.1f} s, peak {start_mb:,.0f} MB")
        for name, args in commands.items():
            small_s, small_mb, _ = run(args("_tenth"))
            big_s, big_mb, out = run(args(""))
            print(f"{name}: {rows:,} rows {big_s:.1f} s, peak {big_mb:,.0f} MB; "
                  f"{tenth:,} rows {small_s:.1f} s, peak {small_mb:,.0f} MB")
            print("  " + "\n  ".join(out.strip().splitlines()[:6]))
            work_big, work_small = max(big_s - start_s, 0.01), max(small_s - start_s, 0.01)
            print(f"  after the start: {work_big:.1f} s at {rows:,} rows, {work_small:.1f} s at {tenth:,}")
            print(f"BENCH scale_{name}_{label} value={work_big:.2f} unit=s baseline={10 * work_small:.2f} "
                  f"ratio={work_big / (10 * work_small):.2f}")
            print(f"BENCH scale_{name}_{label}_peak_rss value={big_mb:.0f} unit=MB baseline={small_mb:.0f} "
                  f"ratio={big_mb / small_mb:.2f}")


if __name__ == "__main__":
    main()
