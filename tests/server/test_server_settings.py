"""Settings: environment only, production refuses insecure defaults, check --deploy is clean."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

from django.conf import settings

from vigil.server import crypto


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "DATABASE_URL"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "vigil.server", *args], env=env, text=True, capture_output=True, timeout=120
    )


def _production(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        "VIGIL_ENV": "production",
        "VIGIL_SECRET_KEY": secrets.token_urlsafe(60),
        "VIGIL_ALLOWED_HOSTS": "vigil.example.org",
        "VIGIL_FIELD_KEYS": f"k1:{_key()}",
        "VIGIL_INDEX_KEY": _key(),
        "VIGIL_DATA_DIR": str(tmp_path),
    }
    env.update(extra)
    return env


def test_argon2_first():
    from django.contrib.auth.hashers import get_hashers  # noqa: F401

    from vigil.server import settings as vigil_settings

    assert vigil_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_development_defaults_are_marked_insecure():
    assert settings.VIGIL_INSECURE_KEYS is True
    assert "insecure" in crypto.DEMO_FIELD_KEYS.split(":")[0]


def test_production_check_deploy_is_clean(tmp_path):
    r = _run(_production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "no issues" in r.stdout


def test_production_refuses_demo_keys_and_missing_secret(tmp_path):
    r = _run(_production(tmp_path, VIGIL_FIELD_KEYS=crypto.DEMO_FIELD_KEYS), "check")
    assert r.returncode != 0 and "demo keys are refused" in r.stderr
    env = _production(tmp_path)
    del env["VIGIL_SECRET_KEY"]
    r = _run(env, "check")
    assert r.returncode != 0 and "VIGIL_SECRET_KEY" in r.stderr
    r = _run(_production(tmp_path, VIGIL_DEBUG="true"), "check")
    assert r.returncode != 0 and "VIGIL_DEBUG" in r.stderr


def test_security_headers(client, db):
    r = client.get("/login/")
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_french_is_available(client, db):
    r = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert r.status_code == 200
    assert 'lang="fr"' in r.content.decode()
    assert "Connexion" in r.content.decode() or "Se connecter" in r.content.decode()


def test_log_filter_withholds_values():
    import logging

    from vigil.server.logfilter import NoPersonalDataFilter

    rec = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/cases/?q=Zoltana",), None
    )
    NoPersonalDataFilter().filter(rec)
    assert "Zoltana" not in rec.getMessage()
    try:
        raise ValueError("Zoltana Quixwellborne")
    except ValueError:
        rec = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal error", (), sys.exc_info()
        )
    NoPersonalDataFilter().filter(rec)
    assert "Zoltana" not in rec.getMessage() and "ValueError" in rec.getMessage()


def test_createsuperuser_makes_an_administrator(db):
    from django.core.management import call_command

    from vigil.server.accounts.models import User

    call_command("createsuperuser", username="root", email="", interactive=False, verbosity=0)
    root = User.objects.get(username="root")
    assert root.role == "administrator" and root.scope == "all" and root.is_staff and root.is_superuser


def test_cache_url_selects_a_shared_cache(tmp_path):
    """VIGIL_CACHE_URL: unset, the per-process memory; redis:// and memcached:// a shared cache;
    anything else stops the server at start, naming the setting."""
    show = (
        "from django.conf import settings; c = settings.CACHES['default']; "
        "print(c['BACKEND'], c.get('LOCATION', ''))"
    )
    backends = "django.core.cache.backends."
    cases = {
        "": backends + "locmem.LocMemCache",
        "redis://cache.internal:6379/1": backends + "redis.RedisCache redis://cache.internal:6379/1",
        "memcached://cache.internal:11211": backends + "memcached.PyMemcacheCache cache.internal:11211",
    }
    for url, expected in cases.items():
        r = _run(_production(tmp_path, VIGIL_CACHE_URL=url), "shell", "--no-imports", "-c", show)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == expected.strip(), url
    r = _run(_production(tmp_path, VIGIL_CACHE_URL="ftp://cache"), "check")
    assert r.returncode != 0 and "VIGIL_CACHE_URL" in r.stderr
    r = _run(_production(tmp_path, VIGIL_INDICATOR_CACHE_SECONDS="five"), "check")
    assert r.returncode != 0 and "VIGIL_INDICATOR_CACHE_SECONDS" in r.stderr
