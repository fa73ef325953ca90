"""Regenerate src/vigil/supply/data/tvpra_2022.csv from ILAB's CSV (shared reference file).

Usage: python scripts/supply_tvpra.py ../shared/reference/supplychain/ilab_tvpra_goods_list.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

from vigil.supply.tvpra import build_normalised

if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "src/vigil/supply/data/tvpra_2022.csv"
    out.write_text(build_normalised(sys.argv[1]), encoding="utf-8")
    print(f"wrote {out}")
