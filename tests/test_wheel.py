"""The built wheel runs anywhere: README's production steps, from outside the checkout.

The wheel is built from the checkout (no build isolation, so nothing is downloaded; the
build happens in a temporary directory, see setup.py) and installed into a new, clean
virtualenv. To keep the run fast and offline, that virtualenv gets the *dependencies* from
the project's own virtualenv through a .pth file, while the package itself comes only from
the wheel: a plain path in a .pth file does not run the .pth files found there, so the
editable install of the project is not seen, and the test asserts that every file the app
uses (code, templates, migrations, catalogs, static files) lies in the new site-packages.
`pip check` proves that the wheel's declared dependencies are all satisfied there.

Then, from a temporary directory (never the checkout), the steps README.md's "Running in
production" gives: `flask --app sesac_ms db upgrade` (run as `python -m flask`, since the
`flask` script lives in the project's virtualenv), `demo-data`, `import-records` of a
small CSV, `report employment`, and gunicorn serving `sesac_ms.wsgi:app`, whose log-in
page must come out in Korean from the compiled catalog the wheel carries.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from cryptography.fernet import Fernet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
KO_PO = ROOT / "sesac_ms" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
TIMEOUT = 120
# Settings of the developer's shell that would point the installed app back at the checkout.
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "DATABASE_URL", "SECRET_KEY", "RATELIMIT_STORAGE_URI")
COURSE = "패키지 검증 과정"
RECORDS_CSV = (
    "campus,course,cohort,cohort_start,cohort_end,name,email,status,status_date,"
    "outcome,company,employment_type,insured,outcome_date\r\n"
    f"구로,{COURSE},1기,2025-03-03,2025-08-29,김하늘,sky@example.com,수료,2025-08-29,"
    "취업,한빛소프트,정규직,Y,2025-09-15\r\n"
    f"구로,{COURSE},1기,2025-03-03,2025-08-29,이민,min@example.com,수료,2025-08-29,,,,,\r\n"
)
# What the installed package reports about where it reads its files from.
WHERE_SCRIPT = """
import json, sesac_ms
from sesac_ms import create_app
app = create_app()
print(json.dumps({
    "package": sesac_ms.__file__,
    "templates": app.template_folder,
    "static": app.static_folder,
    "migrations": app.extensions["migrate"].directory,
    "translations": app.extensions["babel"].translation_directories[0],
    "instance": app.instance_path,
}))
"""


@dataclass
class Installed:
    wheel: Path
    venv: Path
    python: Path
    site_packages: Path
    workdir: Path  # a temporary directory outside the checkout, the cwd of every step
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "flask", "--app", "sesac_ms", *args)


def _checkout_state() -> dict[str, float]:
    """The build output a build in the checkout would leave: build/, dist/, *.egg-info."""
    paths = [ROOT / "build", ROOT / "dist", *ROOT.glob("*.egg-info")]
    return {path.name: path.stat().st_mtime for path in paths if path.exists()}


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, f"pip {args} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if Version(version("setuptools")) < Version("70.1"):
        pytest.fail("building the wheel needs setuptools>=70.1: pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("wheel")
    before = _checkout_state()
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(base), str(ROOT))
    assert _checkout_state() == before, "the build left build output in the checkout"
    (wheel,) = base.glob("sesac_ms-*.whl")

    venv = base / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT
    )
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            text=True,
        ).strip()
    )
    dependencies = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site_packages / "_sesac_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")
    # --ignore-installed: never touch the project's own (editable) installation.
    install = ["install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)]
    _pip("--python", str(python), *install)
    _pip("--python", str(python), "check")

    workdir = base / "elsewhere"
    workdir.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED and not name.startswith(("SESAC_", "FLASK_"))
    }
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        SESAC_DATA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{workdir / 'sesac_ms.sqlite3'}",
        # Production refuses limits kept in one worker's memory; Redis is up in CI, and the
        # limiter falls back to memory if it is not (RATELIMIT_SWALLOW_ERRORS).
        RATELIMIT_STORAGE_URI=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        PUBLIC_BASE_URL="https://ms.sesac.example",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return Installed(wheel, venv, python, site_packages, workdir, env)


def test_the_wheel_carries_templates_migrations_static_files_and_fresh_catalogs(
    installed: Installed,
) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        mo = read_mo(io.BytesIO(wheel.read("sesac_ms/translations/ko/LC_MESSAGES/messages.mo")))
    shipped_as = {
        "templates": "sesac_ms/templates",
        "migrations": "sesac_ms/migrations",
        "sesac_ms/static": "sesac_ms/static",
    }
    for source, shipped in shipped_as.items():
        files = [
            path.relative_to(ROOT / source).as_posix()
            for path in (ROOT / source).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        ]
        assert files
        missing = [name for name in files if f"{shipped}/{name}" not in names]
        assert not missing, f"{source}/ files missing from the wheel: {missing}"
    assert "sesac_ms/wsgi.py" in names
    assert not [name for name in names if name.startswith(("templates/", "migrations/"))]
    # The catalog is compiled in the build, from the .po as it is now (not a stale .mo).
    with KO_PO.open("rb") as file:
        po = read_po(file)
    translated = [m for m in po if m.id and m.string and not m.fuzzy]
    assert translated

    def text(
        string: str | tuple | list,
    ) -> tuple:  # a plural's forms: a list in .mo, a tuple in .po
        return tuple(string) if isinstance(string, list | tuple) else (string,)

    stale = [
        m.id for m in translated if text(mo.get(m.id, context=m.context).string) != text(m.string)
    ]
    assert not stale, f"the wheel's ko catalog is not compiled from the .po: {stale[:5]}"


def test_the_installed_wheel_runs_the_production_steps_outside_the_checkout(
    installed: Installed,
) -> None:
    where = json.loads(installed.run("-c", WHERE_SCRIPT).stdout)
    package = installed.site_packages / "sesac_ms"
    assert Path(where["package"]) == package / "__init__.py"
    for folder in ("templates", "static", "migrations", "translations"):
        assert Path(where[folder]) == package / folder, folder
    # The instance folder is Flask's for an installed package: in the virtualenv, never
    # in site-packages, never the checkout's.
    assert Path(where["instance"]) == installed.venv / "var" / "sesac_ms-instance"

    installed.flask("db", "upgrade")
    assert "trainee@sesac.example" in installed.flask("demo-data").stdout
    (installed.workdir / "records.csv").write_text(RECORDS_CSV, encoding="utf-8")
    imported = installed.flask("import-records", "records.csv").stdout
    assert "created 2, updated 0, unchanged 0" in imported
    report = installed.flask("report", "employment", "--by", "cohort").stdout
    (row,) = [row for row in csv.DictReader(io.StringIO(report)) if row["course"] == COURSE]
    assert (row["campus"], row["completed"], row["target"], row["employed"], row["rate"]) == (
        "구로",
        "2",
        "2",
        "1",
        "50.0",
    )

    with KO_PO.open("rb") as file:
        log_in_ko = read_po(file).get("Log in").string
    assert log_in_ko
    page, stylesheet = _serve_with_gunicorn(installed, ["/auth/login", "/static/css/app.css"])
    assert '<html lang="ko">' in page
    assert f"<title>{log_in_ko} · SeSAC MS</title>" in page
    assert "Log in" not in page
    assert stylesheet == (package / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert not (installed.site_packages / "instance").exists()


def _serve_with_gunicorn(installed: Installed, paths: list[str]) -> list[str]:
    """Start gunicorn on a free port (port 0: it picks one and logs it), GET each path
    expecting 200, stop it. HOME is the temporary directory, where gunicorn may keep its
    control socket."""
    log = installed.workdir / "gunicorn.log"
    env = {**installed.env, "HOME": str(installed.workdir)}
    command = [str(installed.python), "-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:0"]
    command.append("sesac_ms.wsgi:app")
    with log.open("w") as output:
        server = subprocess.Popen(
            command, cwd=installed.workdir, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())):
            assert server.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
            time.sleep(0.2)
        port = int(found[1])
        bodies = []
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no http_proxy
        for path in paths:
            with direct.open(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                assert response.status == 200, path
                bodies.append(response.read().decode("utf-8"))
        return bodies
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            server.kill()
            server.wait()
