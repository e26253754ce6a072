"""Production settings: CSP and Permissions-Policy, check --deploy stays clean, no start without an https base URL."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "tests-only-" + "k" * 60,
    "ALLOWED_HOSTS": "sepakat.example.go.id",
    "SEPAKAT_BASE_URL": "https://sepakat.example.go.id",
    "SEPAKAT_AUTHORITY_SECRET": "tests-only-operator-secret",
    "DATABASE_URL": "sqlite:////tmp/sepakat-headers-test-unused.sqlite3",
}
# What the processes need to start as well (sepakat/environment.py): a broker that is not memory://, and a
# cache shared by the processes (else check warning sepakat.W020), a mail relay (else sepakat.W021). Never
# connected to here; apart from PRODUCTION_ENV, which tests/test_health.py runs without a broker.
STARTING_ENV = {**PRODUCTION_ENV, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15", "CACHE_URL": "redis://127.0.0.1:6379/14",
                "EMAIL_URL": "smtp+tls://sepakat:rahasia@mail.example.go.id:587"}


def production(tmp_path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` under sepakat.settings with DJANGO_ENV=production.

    Only the static files storage is swapped for the plain one: the manifest storage needs a
    collectstatic run first, which the CI does; the headers do not depend on it.
    """
    (tmp_path / "production_like.py").write_text(textwrap.dedent("""
        from sepakat.settings import *  # noqa: F403
        STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    """))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}, **PRODUCTION_ENV,
           "DJANGO_SETTINGS_MODULE": "production_like", "PYTHONPATH": f"{tmp_path}{os.pathsep}{BASE_DIR}"}
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.slow  # a server under production settings, in a subprocess
def test_production_pages_carry_a_strict_csp_and_a_permissions_policy(tmp_path):
    result = production(tmp_path, textwrap.dedent("""
        import json, django
        django.setup()
        from django.test import Client
        response = Client().get("/accounts/login/", secure=True, HTTP_HOST="sepakat.example.go.id")
        print(json.dumps({"status": response.status_code, "headers": dict(response.headers)}))
    """))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    csp = directives(headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert "upgrade-insecure-requests" in csp
    scripts = csp["script-src"]
    assert "'self'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert all(s in ("'self'", "'unsafe-hashes'") or s.startswith("'sha256-") for s in scripts)
    permissions = headers["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.mark.slow  # manage.py check --deploy in a subprocess
def test_check_deploy_stays_clean_under_production_settings():
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}, **STARTING_ENV}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # production settings in a subprocess
@pytest.mark.parametrize("base_url", [None, "http://sepakat.example.go.id", "https://"])
def test_production_refuses_to_start_without_an_https_base_url(base_url):
    """The address is printed in every signed PDF's QR code: no development default, no plain http.

    The system checks (runserver, migrate, check) and the WSGI application refuse; a build step
    such as collectstatic does not need it (.ci/run runs collectstatic without it).
    """
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SEPAKAT"))}, **STARTING_ENV}
    del env["SEPAKAT_BASE_URL"]
    if base_url is not None:
        env["SEPAKAT_BASE_URL"] = base_url
    # One process does what two starts would: `manage.py check`, then the WSGI application's import.
    started = subprocess.run([sys.executable, "-c", REFUSED_START], cwd=BASE_DIR, env=env, capture_output=True,
                             text=True, timeout=120)
    assert "check exit: 1" in started.stdout, started.stdout + started.stderr
    assert "(sepakat.E001) SEPAKAT_BASE_URL must be the public https address" in started.stderr
    # Missing, it is named with any other missing variable (sepakat/environment.py); wrong, base_url says why.
    refusal = ("Sepakat cannot start with DJANGO_ENV=production: missing SEPAKAT_BASE_URL." if base_url is None
               else "SEPAKAT_BASE_URL must be the public https address")
    assert f"wsgi refused: ImproperlyConfigured: {refusal}" in started.stdout


REFUSED_START = textwrap.dedent("""
    import sys
    import manage
    sys.argv = ["manage.py", "check"]
    try:
        manage.main()
        print("check exit: 0")
    except SystemExit as exited:
        print(f"check exit: {exited.code}")
    try:
        import sepakat.wsgi
        print("wsgi loaded")
    except Exception as error:
        print(f"wsgi refused: {type(error).__name__}: {error}")
""")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


@pytest.mark.django_db
def test_every_page_we_render_has_the_headers_and_no_inline_script(as_user):
    """Development sends the same policy, so a violation shows before production; our templates
    have no inline <script> and no inline event handler (script-src would block them)."""
    client = as_user("kota-banjar.kdh")
    for url in (reverse("sepakat:index"), reverse("workflow:inbox"), reverse("sepakat:enrol")):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        assert "camera=()" in response.headers["Permissions-Policy"], url
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), url
        assert not INLINE_HANDLER.search(page), url
    for template in (BASE_DIR / "templates").rglob("*.html"):
        text = template.read_text()
        assert not INLINE_SCRIPT.search(text), template
        assert not INLINE_HANDLER.search(text), template
