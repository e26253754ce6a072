"""Production refuses to start without its variables, naming every missing one in one message.

In process: which variables count as missing, for which process. In subprocesses (slow): what an
operator sees when `manage.py check` runs, the WSGI application is imported, gunicorn or the Celery
worker starts. A .env file in the repository would fill in what these tests leave out; CI has none.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core import checks

from sepakat import environment
from sepakat.environment import (
    ALLOWED_HOSTS,
    AUTHORITY_SECRET,
    CELERY_BROKER_URL,
    DATABASE_URL,
    MEANING,
    SECRET_KEY,
    SEPAKAT_BASE_URL,
    missing_production_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
EVERY = [SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL, SEPAKAT_BASE_URL, AUTHORITY_SECRET]
DJANGO_EMPTY_SECRET_KEY = "The SECRET_KEY setting must not be empty"


@pytest.fixture
def production(settings, monkeypatch):
    """Production settings with every variable given; each test takes away what it checks."""
    settings.PRODUCTION = True
    settings.SECRET_KEY = "tests-only-" + "k" * 60
    settings.ALLOWED_HOSTS = ["sepakat.example.go.id"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.SEPAKAT_BASE_URL = "https://sepakat.example.go.id"
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_SECRET": "rahasia-operator-uji", "AUTHORITY_SECRET_FILE": ""}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/1"}}
    monkeypatch.setenv("DATABASE_URL", "postgres://sepakat@db:5432/sepakat")
    return settings


def test_nothing_is_required_outside_production(settings, monkeypatch):
    settings.PRODUCTION = False
    settings.SECRET_KEY = "dev"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert missing_production_env() == []
    assert environment.check_production_env() == []


def test_production_with_every_variable_is_complete(production):
    assert missing_production_env(environment.WEB) == []
    assert missing_production_env(environment.WORKER) == []
    assert environment.check_production_env() == []


def test_every_missing_variable_is_named_in_one_message(production, monkeypatch):
    production.SECRET_KEY = ""  # Django refuses to hand it out: counted as missing, not raised
    production.ALLOWED_HOSTS = []
    production.CELERY_BROKER_URL = "memory://"  # the development default: tasks never reach a worker
    production.SEPAKAT_BASE_URL = ""
    production.SIGNING = {**production.SIGNING, "AUTHORITY_SECRET": ""}
    monkeypatch.delenv("DATABASE_URL")

    assert missing_production_env() == EVERY
    errors = environment.check_production_env()
    assert [(type(e), e.id) for e in errors] == [(checks.Error, "sepakat.E002")]
    message = errors[0].msg
    assert message.startswith(environment.MISSING.format(names=", ".join(EVERY)))
    for name in EVERY:
        assert f"  {name}: {MEANING[name]}" in message
    with pytest.raises(environment.ImproperlyConfigured, match="missing SECRET_KEY, ALLOWED_HOSTS"):
        environment.require_production_env()


def test_a_cache_local_to_each_process_is_a_warning_in_production(production):
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [(type(e), e.id) for e in environment.check_production_env()] == [(checks.Warning, "sepakat.W020")]


def test_no_mail_relay_is_a_warning_in_production(production):
    production.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    production.EMAIL_HOST = "localhost"
    assert [(type(e), e.id) for e in environment.check_production_env()] == [(checks.Warning, "sepakat.W021")]
    production.EMAIL_HOST = "mail.example.go.id"
    assert environment.check_production_env() == []


def test_the_authority_secret_may_be_a_readable_file(production, tmp_path):
    secret = tmp_path / "authority-secret"
    secret.write_text("rahasia-dari-berkas\n")
    production.SIGNING = {**production.SIGNING, "AUTHORITY_SECRET": "", "AUTHORITY_SECRET_FILE": str(secret)}
    assert missing_production_env() == []

    production.SIGNING = {**production.SIGNING, "AUTHORITY_SECRET_FILE": str(tmp_path / "not-there")}
    assert missing_production_env() == [AUTHORITY_SECRET]


def test_beat_needs_only_the_broker(production, monkeypatch):
    production.SECRET_KEY = ""
    monkeypatch.delenv("DATABASE_URL")
    assert missing_production_env(environment.BEAT) == []
    production.CELERY_BROKER_URL = "memory://"
    assert missing_production_env(environment.BEAT) == [CELERY_BROKER_URL]


# ---------------------------------------------------------------- what an operator sees (subprocesses)

GIVEN = {
    "SECRET_KEY": "tests-only-" + "k" * 60,
    "ALLOWED_HOSTS": "sepakat.example.go.id",
    "DATABASE_URL": "sqlite:////tmp/sepakat-environment-test-unused.sqlite3",  # never connected to
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",  # never connected to
    "SEPAKAT_BASE_URL": "https://sepakat.example.go.id",
    "SEPAKAT_AUTHORITY_SECRET": "tests-only-operator-secret",
}
PRODUCTION_NAMES = (*GIVEN, "SEPAKAT_AUTHORITY_SECRET_FILE", "CACHE_URL", "DJANGO_SETTINGS_MODULE")


def production_env(**given) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO", "SEPAKAT", "CELERY")) and k not in PRODUCTION_NAMES}
    return {**env, "DJANGO_ENV": "production", **given}


STARTS = textwrap.dedent("""
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


def start(env) -> subprocess.CompletedProcess:
    """One process does what two starts would: `manage.py check`, then the WSGI application's import."""
    return subprocess.run([sys.executable, "-c", STARTS], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow  # production settings in a subprocess
def test_production_refuses_to_start_naming_each_missing_variable():
    started = start(production_env(SEPAKAT_BASE_URL=GIVEN["SEPAKAT_BASE_URL"]))
    output = started.stdout + started.stderr
    missing = "SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL, SEPAKAT_AUTHORITY_SECRET"
    assert "check exit: 1" in started.stdout, output
    assert f"(sepakat.E002) Sepakat cannot start with DJANGO_ENV=production: missing {missing}." in started.stderr
    assert f"wsgi refused: ImproperlyConfigured: Sepakat cannot start with DJANGO_ENV=production: missing {missing}." \
        in started.stdout
    assert DJANGO_EMPTY_SECRET_KEY not in output and "Traceback" not in output


@pytest.mark.slow  # production settings in a subprocess
def test_production_starts_with_every_variable():
    started = start(production_env(**GIVEN))
    assert "check exit: 0" in started.stdout and "wsgi loaded" in started.stdout, started.stdout + started.stderr


@pytest.mark.slow  # gunicorn and a Celery worker in subprocesses, each refusing within a second or two
def test_gunicorn_and_the_worker_refuse_to_start_naming_each_missing_variable():
    env = production_env(**{k: v for k, v in GIVEN.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")})
    refusal = "Sepakat cannot start with DJANGO_ENV=production: missing DATABASE_URL, CELERY_BROKER_URL."
    bin_dir = Path(sys.executable).parent
    for command in ([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "sepakat.wsgi"],
                    [str(bin_dir / "celery"), "-A", "sepakat", "worker", "--concurrency", "1"]):
        refused = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refusal in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr



def test_a_filemail_url_keeps_its_absolute_folder():
    """django-environ reads filemail:///srv/mail as "srv/mail" (issue 15: a benchmark's e-mails landed in ./tmp)."""
    import os
    import subprocess
    import sys

    show = ("import django; django.setup(); from django.conf import settings; print(settings.EMAIL_FILE_PATH)")
    found = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", show], capture_output=True, text=True, check=True,
        env={**os.environ, "EMAIL_URL": "filemail:///srv/sepakat-mail", "DJANGO_SETTINGS_MODULE": "sepakat.settings"},
    ).stdout.strip().splitlines()[-1]
    assert found == "/srv/sepakat-mail"
