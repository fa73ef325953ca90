"""Screenshots of the main pages in Spanish and Arabic for the docs (``docs/img/languages``).

    PYTHONPATH=src python docs/scripts/language_screenshots.py [OUT_DIR]

Starts a throw-away server on this machine (SQLite in a temporary folder, the demo data of
``load_demo``: synthetic people, demo passwords), opens it with headless Chromium through
Playwright (Debian's ``/usr/bin/chromium``, as the browser tests do) and, per language, logs in as
the demo caseworker and photographs: the work list, the case list, a case, the screening page with
the questions also in the worker's language (Spanish page with Arabic beside it; Arabic page with
English beside it), the guided interview, the field uploads and, without login, the
safe-migration guide. Each language is chosen the way a user chooses it (the language cookie
the switcher sets). Nothing is kept but the PNGs: the database is deleted at the end.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img" / "languages"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "vigil-demo"
#: the worker's language shown beside the page's on the screening page
BESIDE = {"es": "ar", "ar": "en"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "vigil.server", *args],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def _wait(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url}")


def _shoot(page: Any, out: Path, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)
    print(out / f"{name}.png")


def _pages(page: Any, base: str, lang: str, out: Path) -> None:
    page.goto(f"{base}/")
    _shoot(page, out, f"home-{lang}")
    page.goto(f"{base}/cases/")
    _shoot(page, out, f"case-list-{lang}")
    href = page.get_attribute("#case-list tbody a, table.list tbody a", "href")
    if not href:
        raise SystemExit("no case in the demo case list")
    page.goto(base + href)
    _shoot(page, out, f"case-{lang}")
    page.select_option("#id_ruleset", "ilo-ec-2009-adult-labour")
    page.click("#screening-start button[type=submit]")
    page.wait_for_url(re.compile(r".*/screenings/\d+/$"))
    screening = page.url
    page.goto(f"{screening}?worker_lang={BESIDE[lang]}")
    page.locator(".worker-text").first.wait_for()
    _shoot(page, out, f"screening-two-languages-{lang}")
    page.goto(f"{screening}guided/?worker={BESIDE[lang]}")
    _shoot(page, out, f"guided-{lang}")
    page.goto(f"{base}/fieldwork/upload/")
    _shoot(page, out, f"field-upload-{lang}")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="vigil-shots-") as tmp:
        env = {
            **os.environ,
            "VIGIL_DATA_DIR": tmp,
            "VIGIL_ENV": "development",
            "PYTHONPATH": str(ROOT / "src"),
        }
        env.pop("DATABASE_URL", None)
        _manage(env, "migrate", "--noinput")
        _manage(env, "load_demo")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "vigil.server", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(f"{base}/login/")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                for lang in ("es", "ar"):
                    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
                    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                    page = context.new_page()
                    page.goto(f"{base}/public/safe-migration/")
                    _shoot(page, out, f"safe-migration-{lang}")
                    page.goto(f"{base}/login/")
                    page.fill("#id_username", "caseworker")
                    page.fill("#id_password", PASSWORD)
                    page.click("main button[type=submit]")
                    page.wait_for_url(re.compile(r"^https?://[^/]+/((cases|referrals)/)?$"))
                    direction = page.get_attribute("html", "dir")
                    if direction != ("rtl" if lang == "ar" else "ltr"):
                        raise SystemExit(f"{lang}: the page is {direction}")
                    _pages(page, base, lang, out)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
