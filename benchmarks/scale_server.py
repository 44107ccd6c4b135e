"""The benchmark's server side: gunicorn on a free local port, logged-in HTTP clients, wrk.

The server runs the installed app (`sesac_ms.wsgi:app`) with 2 sync workers, outside
production mode so it serves plain http on 127.0.0.1 with the memory rate-limit storage;
nothing of the app is weakened: CSRF stays on, the log-in limit is only raised so repeated
runs never meet it, and sessions outlive a long run (their idle expiry is a setting).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WRK = "/usr/bin/wrk"
USER_AGENT = "sesac-benchmark"
SESSION_COOKIE = "sesac_session"
LIGHT_PATH = "/auth/password"  # the light logged-in page every ratio is measured against


def benchmark_environment(database_url: str, instance: Path) -> dict[str, str]:
    """The settings both gunicorn and the in-process app run with (the same SECRET_KEY, so
    one session cookie is good in both)."""
    return {
        "DATABASE_URL": database_url,
        "SESAC_INSTANCE_PATH": str(instance),
        "SESAC_ENV": "benchmark",  # not "production": plain http, memory rate-limit storage
        "SECRET_KEY": secrets.token_hex(32),
        "SESAC_LOGIN_RATE_LIMIT": "1000 per minute",
        # The demo accounts log in with their password alone (no second factor).
        "SESAC_SECOND_FACTOR_ROLES": "",
        "SESAC_PERMANENT_SESSION_LIFETIME": str(24 * 3600),
        "WEB_CONCURRENCY": "2",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_INFO = re.compile(r"\[INFO\]| INFO ")


class Server:
    """gunicorn serving the app on 127.0.0.1:<free port> until stop()."""

    def __init__(self, env: dict[str, str], workers: int = 2, source: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="sesac-bench-gunicorn-", suffix=".log")[1])
        command = [
            str(GUNICORN),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "sesac_ms.wsgi:app",
        ]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=source,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {seconds:.0f} s ({self.log_path})")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def errors(self, lines: int = 80) -> str:
        """The end of what the server logged besides its one line per request."""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join([line for line in text if not _INFO.search(line)][-lines:])

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@dataclass
class Fetched:
    status: int
    body: bytes
    content_type: str


CSRF_INPUT = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One logged-in user over HTTP: a cookie jar, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Fetched:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base + path, data=body, headers={"User-Agent": USER_AGENT}
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return Fetched(response.status, response.read(), response.headers["Content-Type"])
        except urllib.error.HTTPError as error:
            return Fetched(error.code, error.read(), error.headers.get("Content-Type", ""))

    def csrf_token(self, path: str) -> str:
        page = self.request(path)
        found = CSRF_INPUT.search(page.body)
        if page.status != 200 or not found:
            raise RuntimeError(f"no form with a CSRF token at {path} ({page.status})")
        return found.group(1).decode()

    def log_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/auth/login")
        answer = self.request(
            "/auth/login", {"csrf_token": token, "email": email, "password": password}
        )
        if answer.status != 302:
            raise RuntimeError(f"log-in as {email} refused ({answer.status})")
        # Read the welcome message once and put a CSRF secret in the session, as a browser
        # would have, so the cookie replayed by wrk carries neither a flash nor a missing token.
        self.request("/")
        self.request("/auth/password")

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def session_cookie(self) -> str:
        return next(c.value for c in self.jar if c.name == SESSION_COOKIE)


@dataclass
class Throughput:
    requests_per_second: float
    requests: int
    non_200: int
    socket_errors: int
    mean_latency_ms: float
    cpu_seconds: float = 0.0  # spent by the server's processes during the run (CpuMeter)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    """User + system CPU of a process, in clock ticks; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


class CpuMeter:
    """CPU time the server spends: gunicorn's workers, plus the PostgreSQL backends serving
    the database (`backends()` lists their pids; SQLite works inside the workers). Unlike
    requests/s, it hardly moves when other work shares the machine."""

    def __init__(self, server: Server, backends: Callable[[], list[int]] | None = None) -> None:
        self.server = server
        self.backends = backends

    def pids(self) -> list[int]:
        master = self.server.process.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return [int(pid) for pid in children] + (self.backends() if self.backends else [])

    def snapshot(self) -> dict[int, int]:
        return {pid: _cpu_ticks(pid) for pid in self.pids()}

    def seconds_since(self, before: dict[int, int], settle: float = 60.0) -> float:
        """CPU seconds spent since `before`, once the requests still running when wrk
        stopped are done (each worker finishes the one it holds: count them served)."""

        def spent() -> int:
            after = self.snapshot()
            return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())

        deadline = time.monotonic() + settle
        last = spent()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = spent()
            if now == last:
                break
            last = now
        return last / CLOCK_TICKS


# wrk counts only non-2xx/3xx answers; this script counts every answer that is not a 200
# (a 302 to the log-in page would otherwise look like success), and sends form posts.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("non200") end
  io.write(string.format("NON200 %d\\n", total))
  io.write(string.format("MEANLAT %f\\n", latency.mean / 1000.0))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    url: str,
    cookie: str,
    seconds: int,
    form: dict[str, str] | None = None,
    threads: int = 2,
    connections: int = 8,
    meter: CpuMeter | None = None,
) -> Throughput:
    script = WRK_SCRIPT
    if form is not None:
        script = (
            'wrk.method = "POST"\n'
            f"wrk.body = {_lua_string(urllib.parse.urlencode(form))}\n"
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' + script
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    before = meter.snapshot() if meter else {}
    try:
        output = subprocess.run(
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "60s",
                "-H",
                f"Cookie: {cookie}",
                "-H",
                f"User-Agent: {USER_AGENT}",
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    speed = _parse_wrk(output)
    if meter:
        speed.cpu_seconds = meter.seconds_since(before)
    return speed


def _parse_wrk(output: str) -> Throughput:
    def number(pattern: str, default: float = 0.0) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else default

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Throughput(
        requests_per_second=number(r"Requests/sec:\s+([\d.]+)"),
        requests=int(number(r"(\d+) requests in")),
        non_200=int(number(r"NON200 (\d+)")),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        mean_latency_ms=number(r"MEANLAT ([\d.]+)"),
    )
