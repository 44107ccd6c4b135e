"""Build steps pyproject.toml cannot declare: a wheel that carries everything the app reads.

The repository keeps `templates/` and `migrations/` at the top level (the house layout), but
an installed package has no top level: `build_py` copies them into the package in the build
(`sesac_ms/templates`, `sesac_ms/migrations`), where `sesac_ms/__init__.py` looks first, and
compiles the message catalogs there, so the wheel always carries fresh .mo files.

The build runs in a temporary directory (`build --build-base` still overrides it), so neither
`pip install .` nor `pip wheel .` leaves a `build/` folder or an egg-info in the checkout;
a reused `build/lib` would also keep shipping files deleted from the source.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build import build
from setuptools.command.build_py import build_py
from setuptools.command.egg_info import egg_info

ROOT = Path(__file__).resolve().parent
PACKAGE = "sesac_ms"
# Top-level folders of the repository shipped inside the package under the same name.
BUNDLED_FOLDERS = ("templates", "migrations")
_temporary: list[str] = []


def _temporary_dir() -> str:
    """One temporary build directory per build process, removed when the process ends."""
    if not _temporary:
        path = tempfile.mkdtemp(prefix="sesac_ms-build-")
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        _temporary.append(path)
    return _temporary[0]


class Build(build):
    def initialize_options(self) -> None:
        super().initialize_options()
        self.build_base = _temporary_dir()


class EggInfo(egg_info):
    def initialize_options(self) -> None:
        super().initialize_options()
        self.egg_base = _temporary_dir()


class BuildPy(build_py):
    """The package plus the top-level templates/ and migrations/, and compiled catalogs."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # An editable install reads the checkout's own folders (see sesac_ms/__init__.py).
            return
        package_dir = Path(self.build_lib) / PACKAGE
        for name in BUNDLED_FOLDERS:
            target = package_dir / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(
                ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]")
            )
        compile_catalogs(package_dir / "translations")


def compile_catalogs(directory: Path) -> None:
    """What `pybabel compile -d DIRECTORY` does, but a catalog with errors stops the build."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    pos = sorted(directory.glob("*/LC_MESSAGES/messages.po"))
    if not pos:
        raise SystemExit(f"no message catalogs under {directory}")
    for po in pos:
        with po.open("rb") as file:
            catalog = read_po(file, locale=po.parent.parent.name)
        problems = [
            f"{po}:{message.lineno}: {error}"
            for message, errors in catalog.check()
            for error in errors
        ]
        if problems:
            raise SystemExit("message catalog errors:\n" + "\n".join(problems))
        if catalog.fuzzy:
            # pybabel skips a catalog marked fuzzy as a whole; so does the build.
            po.with_suffix(".mo").unlink(missing_ok=True)
            continue
        with po.with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog)


setup(cmdclass={"build": Build, "build_py": BuildPy, "egg_info": EggInfo})
