"""Render the survey sheet of an exported XLSForm to PNG (docs/img/forms/survey-sheet.png).

    .venv/bin/python docs/scripts/form_picture.py

The sheet is drawn as an HTML table, the way a spreadsheet shows it, and photographed with
Playwright and Debian's chromium (no office suite needed).
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from vigil.forms import build_form
from vigil.rules import load_ruleset

OUT = Path(__file__).resolve().parents[1] / "img" / "forms" / "survey-sheet.png"
COLUMNS = ["type", "name", "label::English (en)", "label::French (fr)", "hint::English (en)", "relevant",
           "required", "bind::vigil:sensitive"]
ROWS = 34


def page() -> str:
    form = build_form(load_ruleset("ilo-2012-forced-labour"), ["en", "fr"], with_identity=True)
    rows = form.survey[:ROWS]
    cells = []
    for i, row in enumerate(rows, start=2):
        tds = "".join(f"<td>{html.escape(_short(row.get(c, ''), c))}</td>" for c in COLUMNS)
        cells.append(f"<tr><th>{i}</th>{tds}</tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    letters = "".join(f"<th>{chr(65 + i)}</th>" for i in range(len(COLUMNS)))
    return f"""<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; font: 12px/1.25 "DejaVu Sans", sans-serif; background: #fff; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #c8c8c8; padding: 2px 5px; white-space: nowrap; max-width: 330px;
          overflow: hidden; text-overflow: ellipsis; }}
thead th {{ background: #eef1f5; }} tbody th, thead tr:first-child th {{ background: #f3f3f3; color: #666;
          font-weight: normal; }}
tr.h th {{ font-weight: bold; color: #000; }}
</style><table><thead><tr><th></th>{letters}</tr><tr class="h"><th>1</th>{head}</tr></thead>
<tbody>{''.join(cells)}</tbody></table><p style="margin:6px;color:#555">Sheet <b>survey</b> of
<code>vigil forms export --ruleset ilo-2012-forced-labour --lang en,fr --with-identity</code>
(first {ROWS} rows; sheets choices and settings beside it)</p>"""


def _short(text: str, col: str) -> str:
    limit = 70 if col == "relevant" else 60
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1800, "height": 900}, device_scale_factor=1)
        tab.set_content(page())
        tab.screenshot(path=str(OUT), full_page=True)
        browser.close()
    print(OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
