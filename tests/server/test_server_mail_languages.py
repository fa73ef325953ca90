"""E-mails in the deployment's language (issue 13): every e-mail Vigil sends is written through
gettext and is complete in French, Spanish and Arabic. The list of senders is found in the code,
so a new e-mail without a test here fails."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import vigil.server
from vigil.server.national import services

SERVER = Path(vigil.server.__file__).parent
#: module -> the test below that checks its e-mails in every language
CHECKED = {"national/services.py": "test_alert_mail_in_every_language"}
ENGLISH = (
    "Counts above the expected threshold",
    "Open the alert inbox",
    "new early-warning alert",
    "week of",
)


def test_every_mail_sender_is_checked():
    senders = set()
    for path in SERVER.rglob("*.py"):
        text = path.read_text("utf-8")
        if re.search(r"\b(send_mail|send_mass_mail|EmailMessage|EmailMultiAlternatives|mail_admins)\b", text):
            senders.add(str(path.relative_to(SERVER)))
    assert senders == set(CHECKED)


def _alerts(n: int) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            series="new_cases",
            unit_type="sector",
            unit=f"U{i}",
            week=dt.date(2026, 11, 30),
            observed=30 + i,
            expected=6.25,
            upper=12.5,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("new early-warning alerts", "week of 2026-11-30", "Open the alert inbox")),
        ("fr", ("nouvelles alertes précoces", "semaine du 2026-11-30", "boîte des alertes")),
        ("es", ("nuevas alertas tempranas", "semana del 2026-11-30", "bandeja de alertas")),
        ("ar", ("تنبيهات", "أسبوع 2026-11-30", "صندوق التنبيهات")),
    ],
)
def test_alert_mail_in_every_language(settings, lang, words):
    settings.LANGUAGE_CODE = lang
    subject, body = services.alert_mail(_alerts(3))
    text = subject + "\n" + body
    for w in words:
        assert w in text, (lang, w)
    assert "U2" in body and "6.25" in body and "12.5" in body and "32" in body
    if lang != "en":
        for sentence in ENGLISH:
            assert sentence not in text, (lang, sentence)
    # one alert: the singular (Arabic's own form for one)
    one, _body = services.alert_mail(_alerts(1))
    assert one != subject


def test_unknown_deployment_language_is_refused():
    import os
    import subprocess
    import sys

    env = {**os.environ, "VIGIL_LANGUAGE": "xx", "PYTHONPATH": str(SERVER.parents[1])}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault("
            "'DJANGO_SETTINGS_MODULE', 'vigil.server.settings'); django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0 and "VIGIL_LANGUAGE='xx'" in out.stderr
