"""Shared by bench/clicks.py and bench/load_sqlite.py: a real server (the embedded default or the production
stack) in a throwaway folder, and a small browser that logs in and steps through MoU tasks over HTTP.

The ideas are .ci/production_stack's (the same environment, the same way of reading forms, claiming a task
and submitting its form); this copy measures instead of checking, and never fails on time.

- Embedded: what `make run` starts, on a copy: SQLite in a temporary folder (the settings' SQLite options),
  migrate, init_pki, seed_demo, then `manage.py runserver --noreload` on a free port with `manage.py schedule`
  beside it. Celery runs eagerly, in the request.
- Production: gunicorn (gunicorn.conf.py, WEB_CONCURRENCY=2) and a Celery worker, DJANGO_ENV=production, on
  PostgreSQL database `bench_clicks` (postgres://postgres@127.0.0.1:5432, trust; dropped and created) and
  Redis db 6 on 127.0.0.1:6379 (flushed), with an SMTP server for the notices, as .ci/production_stack.
"""

# ruff: noqa: S603, S607 - a benchmark running fixed commands (manage.py, gunicorn, PostgreSQL's tools)

import contextlib
import datetime
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from html.parser import HTMLParser
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
PYTHON = str(BIN / "python")
HOST = "127.0.0.1"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
DATABASE = "bench_clicks"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 6
YEAR = 2024
# Regions with no MoU under way after seed_demo (demo/world.py): their programmes take new cases.
FREE_REGIONS = ("kab-serang", "kab-bone-bolango", "kab-tanah-bumbu")
START_TIMEOUT = 180
REQUEST_TIMEOUT = 120


class Failed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- figures

def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p50, p95) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(round(fraction * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values: list[float]) -> str:
    if not values:
        return "n 0"
    ms = [v * 1000 for v in values]
    return (f"n {len(ms):3}  p50 {statistics.median(ms):7.0f} ms  p95 {percentile(ms, 0.95):7.0f} ms  "
            f"max {max(ms):7.0f} ms")


def machine_facts() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{now}; {os.cpu_count()} CPUs ({model}); load {load}; Python {platform.python_version()}; "
            f"SQLite {__import__('sqlite3').sqlite_version}")


# ---------------------------------------------------------------- the stacks

def _base_env() -> dict[str, str]:
    dropped = ("DJANGO_", "SEPAKAT_", "CELERY_", "SECURE_", "SENTRY_")
    return {k: v for k, v in os.environ.items()
            if not k.startswith(dropped) and k not in {
                "DATABASE_URL", "CACHE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "MEDIA_ROOT", "SIGNING_AUTHORITY_DIR",
                "CSRF_TRUSTED_ORIGINS", "DEBUG", "WEB_CONCURRENCY", "PORT", "LOG_LEVEL", "EMAIL_URL"}}


class Stack:
    """A server in a throwaway folder; `with Stack(...) as stack:` starts it, leaving stops it."""

    name = ""
    https = False  # the browser says X-Forwarded-Proto: https (production's SECURE_PROXY_SSL_HEADER)

    def __init__(self, workdir: Path | None = None, keep: bool = False):
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"sepakat-bench-{self.name}-"))
        self.keep = keep
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.env = self.environment()
        self.running: dict[str, subprocess.Popen] = {}
        self.password = self.passphrase = ""

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def manage(self, label: str, *args: str, timeout: float = 1800) -> str:
        started = time.monotonic()
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        (self.logs / f"{label}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-3000:]
            raise Failed(f"manage.py {' '.join(args)} exited {result.returncode}:\n{output}")
        say(f"  {label}: {time.monotonic() - started:.1f} s")
        return result.stdout

    def prepare(self) -> None:
        """The release steps and the demo world; reads the demo password and signing passphrase."""
        self.manage("migrate", "migrate", "--noinput")
        self.manage("init_pki", "init_pki")
        seeded = self.manage("seed_demo", "seed_demo")
        password = re.search(r"Demo password for every account: (\S+)", seeded)
        passphrase = re.search(r"Signing passphrase of the officials the seed signed for: (\S+)", seeded)
        if not (password and passphrase):
            raise Failed("seed_demo printed no demo password or signing passphrase")
        self.password, self.passphrase = password.group(1), passphrase.group(1)

    def shell(self, label: str, code: str) -> str:
        return self.manage(label, "shell", "-c", code)

    def add_programmes(self, regions, years) -> None:
        """More programmes (region, year) than the seed's one per region: each takes one more MoU case."""
        self.shell("programmes", "from agreements.models import Programme, Region\n"
                   f"for slug in {list(regions)!r}:\n"
                   f"    for year in {list(years)!r}:\n"
                   "        Programme.objects.get_or_create(region=Region.objects.get(slug=slug), year=year)\n")

    def start_process(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.running[name] = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise Failed(f"{name} died (exit {process.returncode}):\n{self.log(name)[-3000:]}")

    def wait_web(self) -> None:
        start = time.monotonic()
        while True:
            self.check_alive()
            with contextlib.suppress(OSError):
                connection = HTTPConnection(HOST, self.port, timeout=10)
                connection.request("GET", "/sehat/hidup/", headers={"Host": f"{HOST}:{self.port}"})
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            if time.monotonic() - start > START_TIMEOUT:
                raise Failed(f"{self.name}: the web did not answer within {START_TIMEOUT} s")
            time.sleep(0.5)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running = {}

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def browser(self, who: str) -> "Browser":
        browser = Browser(self, who)
        browser.log_in(self.password)
        return browser


class Embedded(Stack):
    """The embedded default (make run) on a copy in a temporary folder."""

    name = "embedded"

    def environment(self) -> dict[str, str]:
        env = _base_env()
        w = self.workdir
        env.update({
            "DATABASE_URL": f"sqlite:///{w / 'sepakat.sqlite3'}",
            "MEDIA_ROOT": str(w / "media"),
            "SIGNING_AUTHORITY_DIR": str(w / "pki"),
            "SEPAKAT_AUTHORITY_SECRET_FILE": str(w / "authority-secret"),
            "EMAIL_URL": f"filemail://{w / 'mail'}",
            "SEPAKAT_BASE_URL": f"http://{HOST}:{self.port}",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    STATE = ("sepakat.sqlite3", "media", "pki", "authority-secret", "mail")

    def snapshot(self, to: Path) -> None:
        """Copy the stopped server's state (database, files, authority) to `to`."""
        shutil.rmtree(to, ignore_errors=True)
        to.mkdir(parents=True)
        for name in self.STATE:
            source = self.workdir / name
            if source.is_dir():
                shutil.copytree(source, to / name)
            elif source.exists():
                shutil.copy2(source, to / name)

    def restore(self, source: Path) -> None:
        for name in self.STATE:
            target = self.workdir / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                for extra in ("", "-journal", "-wal", "-shm"):
                    Path(f"{target}{extra}").unlink(missing_ok=True)
            if (source / name).is_dir():
                shutil.copytree(source / name, target)
            elif (source / name).exists():
                shutil.copy2(source / name, target)
        (self.workdir / "schedule.json").unlink(missing_ok=True)

    def start(self) -> None:
        self.start_process("web", [PYTHON, "manage.py", "runserver", "--noreload", f"{HOST}:{self.port}"])
        self.start_process("schedule", [PYTHON, "manage.py", "schedule", "--state",
                                        str(self.workdir / "schedule.json")])
        self.wait_web()


class Production(Stack):
    """gunicorn and a Celery worker on PostgreSQL and Redis, as .ci/production_stack starts them."""

    name = "production"
    https = True

    def environment(self) -> dict[str, str]:
        env = _base_env()
        self.smtp_port = free_port()
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        env.update({
            "DJANGO_ENV": "production",
            "DEBUG": "False",
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(50),
            "SEPAKAT_AUTHORITY_SECRET": "bench-" + secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SEPAKAT_BASE_URL": "https://sepakat.example.go.id",
            "SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
            "CELERY_BROKER_URL": redis_url,
            "CACHE_URL": redis_url,
            "MEDIA_ROOT": str(self.workdir / "media"),
            "SIGNING_AUTHORITY_DIR": str(self.workdir / "pki"),
            "SEPAKAT_BIND": f"{HOST}:{self.port}",
            "EMAIL_URL": f"smtp://{HOST}:{self.smtp_port}",
            "DEFAULT_FROM_EMAIL": "Sepakat <sepakat@sepakat.example.go.id>",
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "INFO",  # the worker says "ready." at INFO
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def prepare(self) -> None:
        for command in (["dropdb", *PG, "--if-exists", "--force", DATABASE], ["createdb", *PG, DATABASE]):
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise Failed(f"{' '.join(command)} failed (PostgreSQL at 127.0.0.1:5432?): {done.stderr.strip()}")
        redis_flush()
        super().prepare()
        self.manage("collectstatic", "collectstatic", "--noinput")

    def start(self) -> None:
        self.start_process("smtp", [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{self.smtp_port}",
                                    "-c", "aiosmtpd.handlers.Mailbox", str(self.workdir / "maildir")])
        self.start_process("web", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--timeout", "120",
                                   "sepakat.wsgi"])
        self.start_process("worker", [str(BIN / "celery"), "-A", "sepakat", "worker", "--loglevel", "INFO",
                                      "--concurrency", "1", "--hostname", f"bench-{self.port}@%h"])
        self.wait_web()
        start = time.monotonic()
        while "ready." not in self.log("worker"):
            self.check_alive()
            if time.monotonic() - start > START_TIMEOUT:
                raise Failed("the Celery worker was not ready in time")
            time.sleep(0.5)

    def cleanup(self) -> None:
        if not self.keep:
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", DATABASE], check=False, capture_output=True)
            redis_flush()
        super().cleanup()


def redis_flush() -> None:
    payload = b"".join(f"*{len(c)}\r\n".encode() + b"".join(f"${len(p)}\r\n{p}\r\n".encode() for p in c)
                       for c in (["SELECT", str(REDIS_DB)], ["FLUSHDB"]))
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=10) as connection:
            connection.sendall(payload)
            connection.recv(1024)
    except OSError as error:
        raise Failed(f"Redis is not answering at {REDIS_HOST}:{REDIS_PORT}: {error}") from error


# ---------------------------------------------------------------- a browser, small

class Forms(HTMLParser):
    """Every <form> of a page: action, method, enctype, fields as a browser submits them, radio options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "enctype": a.get("enctype") or "application/x-www-form-urlencoded", "fields": [],
                          "options": {}, "disabled_submit": False}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind, name = (a.get("type") or "text").lower(), a.get("name")
            if kind in ("submit", "button", "file") or not name:
                return
            if kind in ("radio", "checkbox"):
                self._form["options"].setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value", "on")))
            else:
                self._form["fields"].append((name, a.get("value", "")))
        elif tag.startswith("vf-field-") and a.get("name"):
            self._form["fields"].append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "button" and (a.get("type") or "submit") == "submit" and "disabled" in a:
            self._form["disabled_submit"] = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea[1][1:] if self._textarea[1].startswith("\n") else self._textarea[1]
            self._form["fields"].append((self._textarea[0], value))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, first, selected = self._select
            self._form["fields"].append((name, selected if selected is not None else (first or "")))
            self._select = None


def forms_of(page: str) -> list[dict]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, seconds: float):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path


class Unexpected(Failed):
    def __init__(self, message: str, answer: Answer | None = None):
        super().__init__(message)
        self.answer = answer


class Browser:
    """One official's browser: its own cookies (session, CSRF) and connection per request."""

    def __init__(self, stack: Stack, who: str, timeout: float = REQUEST_TIMEOUT):
        self.stack, self.who, self.timeout = stack, who, timeout
        self.port = stack.port
        self.origin = f"{'https' if stack.https else 'http'}://{HOST}:{self.port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Answer:
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "sepakat-bench",
                   "X-Request-ID": f"bench-{uuid.uuid4().hex[:16]}"}
        if self.stack.https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": self.origin, "Referer": self.origin + path, "Content-Type": content_type})
        start = time.monotonic()
        connection = HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        took = time.monotonic() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, content, took)

    def expect(self, answer: Answer, what: str, statuses=(200,)) -> Answer:
        if answer.status not in statuses:
            raise Unexpected(f"{self.who}: {what} answered {answer.status} (expected {statuses}): "
                             f"{answer.text[:300]!r}", answer)
        return answer

    def get(self, path: str) -> str:
        return self.expect(self.request("GET", path), f"GET {path}").text

    def submit(self, form: dict, page_path: str, overrides: dict[str, str] | None = None) -> Answer:
        """POST the form as a browser would; the answer is returned whatever its status."""
        fields = [(k, v) for k, v in form["fields"] if k not in (overrides or {})]
        fields += list((overrides or {}).items())
        action = form["action"] or page_path
        if form["enctype"] == "multipart/form-data":
            boundary = f"----sepakat-bench-{uuid.uuid4().hex}"
            body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                            + value.encode() + b"\r\n" for name, value in fields) + f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", action, body, content_type)

    def log_in(self, password: str) -> None:
        page = self.get("/accounts/login/")
        form = next(f for f in forms_of(page) if any(name == "username" for name, _ in f["fields"]))
        self.expect(self.submit(form, "/accounts/login/", {"username": self.who, "password": password}),
                    "logging in", (302,))
        if "sessionid" not in self.cookies:
            raise Failed(f"{self.who}: no session after logging in")


# ---------------------------------------------------------------- the MoU, step by step

# workflows/flows.py MouFlow (who acts: permissions/steps.py, demo/world.py): step, official, decision.
def mou_steps(region: str) -> list[tuple[str, str, str]]:
    return [
        ("draft", "laip.staf", "submitted"),
        ("review_diskominfo", f"{region}.kominfo", "approved"),
        ("review_legal", f"{region}.hukum", "approved"),
        ("paraf_laip", "laip.direktur", "initialled"),
        ("paraf_sekda", f"{region}.sekda", "initialled"),
        ("sign_region", f"{region}.kdh", "signed"),
        ("sign_ministry", "dirjen", "signed"),
    ]


def open_case(browser: Browser, region: str, year: int) -> str:
    programme = f"/sepakat/program/{region}/{year}/"
    page = browser.get(programme)
    start = next((f for f in forms_of(page) if f["action"].endswith("/mou/mulai/")), None)
    if start is None:
        raise Failed(f"{browser.who}: no form on {programme} opens the MoU")
    case = browser.expect(browser.submit(start, programme), f"opening {programme}'s MoU", (302,)).location
    if not re.fullmatch(r"/sepakat/kasus/\d+/", case):
        raise Failed(f"opening the MoU led to {case!r}, not a case page")
    return case


def step_link(page: str, step: str, what: str) -> str | None:
    found = re.search(rf'(?:action|href)="(/workflow/flows/mou/\d+/{step}/\d+/{what}/)"', page)
    return found.group(1) if found else None


def step_form(page: str, field: str, who: str, step: str) -> dict:
    for form in forms_of(page):
        if form["method"] == "post" and (field in form["options"] or any(n == field for n, _ in form["fields"])):
            return form
    raise Failed(f"{who}: the page of {step} has no form with {field}")


def claim(browser: Browser, case: str, step: str) -> str:
    """Claim the step's task from the case page; returns the task's execute address."""
    page = browser.get(case)
    link = step_link(page, step, "assign")
    if link is None:
        raise Failed(f"{browser.who}: the case page offers no claim of {step}")
    browser.expect(browser.submit(next(f for f in forms_of(page) if f["action"] == link), case),
                   f"claiming {step}", (302,))
    execute = step_link(browser.get(case), step, "execute")
    if execute is None:
        raise Failed(f"{browser.who}: after claiming {step}, the case page offers no way to work on it")
    return execute


def enrol(browser: Browser, passphrase: str) -> None:
    path = "/sepakat/tanda-tangan/passphrase/"
    form = step_form(browser.get(path), "passphrase", browser.who, "enrolment")
    browser.expect(browser.submit(form, path, {"passphrase": passphrase, "confirmation": passphrase}),
                   "setting the passphrase", (302,))


def decision_form(browser: Browser, execute: str, step: str, passphrase: str,
                  prepared_timeout: float = 300) -> tuple[dict, str]:
    """The step's decision form, ready to submit (a signer enrolled, the document prepared); and the page."""
    page = browser.get(execute)
    if step.startswith("sign_") and "belum mengatur passphrase" in page:
        enrol(browser, passphrase)
        page = browser.get(execute)
    start = time.monotonic()
    while True:
        form = next((f for f in forms_of(page) if "decision" in f["options"]), None)
        if "Siapkan ulang dokumen" in page:
            raise Failed(f"{browser.who}: the preparation of {step} failed")
        if form is not None and not form["disabled_submit"] and "sedang disiapkan" not in page:
            return form, page
        if time.monotonic() - start > prepared_timeout:
            raise Failed(f"{browser.who}: {step} was not ready within {prepared_timeout} s")
        time.sleep(1)
        page = browser.get(execute)


def decide(browser: Browser, form: dict, execute: str, step: str, decision: str, passphrase: str) -> Answer:
    """The click: POST the decision (the answer is the redirect, not followed)."""
    offered = form["options"].get("decision", [])
    if decision not in offered:
        raise Failed(f"{browser.who}: {step} offers {offered}, not {decision}")
    overrides = {"decision": decision, "note": ""}
    if step.startswith("sign_"):
        overrides["passphrase"] = passphrase
    return browser.submit(form, execute, overrides)
