"""The production server as `make serve` starts it, and the demo's worker (issue 18).

gunicorn runs with o2c_api/gunicorn.conf.py, `O2C_PRODUCTION=1`, DEBUG off and the required
environment, on a free port, against a database of its own prepared as `make serve` prepares
it (migrate, collectstatic; a token from `create_token`): a scratch SQLite file, or a scratch
PostgreSQL database beside the test database when the suite runs on PostgreSQL. The worker is
started and stopped by the function `manage.py demo` uses (`background_worker`).

Marked `server` (subprocesses, about a minute, most of it `migrate`); CI runs it on SQLite
and on PostgreSQL.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from receivables.management.commands.demo import background_worker

pytestmark = pytest.mark.server

BASE_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GUNICORN = [str(BIN / "gunicorn"), "o2c_api.wsgi:application", "-c", "o2c_api/gunicorn.conf.py"]
ANON_RATE = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def get(url: str, token: str | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a GET on a new connection (any worker may answer)."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A scratch database for the server: PostgreSQL beside the suite's, else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('serve') / 'serve.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'o2c'}_serve"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production(database_url, tmp_path_factory):
    """The environment `make serve` needs, and the database prepared as it prepares it."""
    env = {
        **os.environ,
        "O2C_PRODUCTION": "1",
        "DEBUG": "0",
        "SECRET_KEY": "serve-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback (README, "Production")
        "O2C_THROTTLE_ANON": f"{ANON_RATE}/min",
    }
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    token = manage(env, "create_token", "serve-admin", "--role", "admin").strip().splitlines()[-1]
    return {"env": env, "token": token}


@pytest.fixture(scope="module")
def server(production, tmp_path_factory):
    """gunicorn with two workers on a free port; stopped (SIGTERM, graceful) afterwards."""
    port = free_port()
    env = {**production["env"], "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    log = (tmp_path_factory.mktemp("log") / "gunicorn.log").open("w")
    process = subprocess.Popen(GUNICORN, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, Path(log.name).read_text()[-2000:]
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        pytest.fail("gunicorn did not answer /healthz within 120 s")
    yield {"url": base, "token": production["token"], "env": production["env"], "log": log.name}
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    log.close()


def test_the_serve_target_is_what_this_test_runs():
    recipe = (BASE_DIR / "Makefile").read_text().split("\nserve:", 1)[1].split("\n\n", 1)[0]

    assert "O2C_PRODUCTION=1 DEBUG=0 $(BIN)/python manage.py migrate --noinput" in recipe
    assert "collectstatic --noinput" in recipe
    assert "O2C_PRODUCTION=1 DEBUG=0 exec $(BIN)/gunicorn " + " ".join(GUNICORN[1:]) in recipe


def test_the_production_server_answers_health_static_files_and_the_api(server):
    base, token = server["url"], server["token"]

    health = get(f"{base}/healthz")
    static = get(f"{base}/static/o2c_api/admin.css")
    invoices = get(f"{base}/api/v1/invoices/", token)
    missing = get(f"{base}/api/v1/no-such-route/", token)

    assert (health[0], json.loads(health[2])) == (200, {"status": "ok"})
    assert static[0] == 200
    assert static[1]["Content-Type"].startswith("text/css")
    assert invoices[0] == 200
    assert json.loads(invoices[2])["count"] == 0
    assert missing[0] == 404
    assert b"Django tried these URL patterns" not in missing[2]  # DEBUG is off
    assert b"Traceback" not in Path(server["log"]).read_bytes()


def test_readyz_follows_the_demo_worker_as_it_starts_and_stops(server):
    base = server["url"]

    def ready() -> tuple[int, dict]:
        status, _, body = get(f"{base}/readyz")
        return status, json.loads(body)["checks"]

    before = ready()
    with background_worker(env=server["env"]) as worker:
        deadline = time.monotonic() + 90
        while ready()[0] != 200 and time.monotonic() < deadline:
            assert worker.poll() is None
            time.sleep(0.5)
        running = ready()
    after = ready()

    assert before == (
        503,
        {"database": "ok", "migrations": "ok", "worker": "no worker seen in the last 60 s"},
    )
    assert running == (200, {"database": "ok", "migrations": "ok", "worker": "ok"})
    assert worker.returncode == 0  # stopped by the demo's exit, cleanly (SIGTERM)
    assert after == before  # it said goodbye: its heartbeat is gone


def test_rate_limits_are_shared_by_the_servers_workers(server):
    """Two gunicorn workers, one shared cache (the database): a client gets the rate once,
    not once per worker. Anonymous API requests, each on a new connection."""
    statuses = [get(f"{server['url']}/api/v1/invoices/")[0] for _ in range(ANON_RATE + 3)]

    assert statuses == [401] * ANON_RATE + [429] * 3


def alive(pid: int) -> bool:
    """Whether `pid` runs (an exited process nobody reaped yet, a zombie, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_the_worker_process_of_the_demo_stops_if_the_demo_dies(production):
    """`--parent-pid`: a worker whose parent is gone (the demo killed with -9) exits alone."""
    env = {**production["env"], "PYTHONUNBUFFERED": "1"}
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time; "
            "subprocess.Popen([sys.executable, 'manage.py', 'run_worker', "
            "f'--parent-pid={os.getpid()}'], stdout=sys.stdout); time.sleep(600)",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    started = parent.stdout.readline()
    worker_pid = int(re.search(r"-(\d+)-\w{8} started", started)[1])
    parent.kill()
    parent.wait()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not alive(worker_pid):
            break
        time.sleep(0.2)
    else:
        os.kill(worker_pid, signal.SIGKILL)
        pytest.fail("the worker outlived its parent by 30 s")
