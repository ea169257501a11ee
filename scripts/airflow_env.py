"""Install Airflow's environment (requirements-airflow.txt) once, cached by its pins.

    python scripts/airflow_env.py [--link .venv-airflow]

The virtualenv lives under `<cache>/airflow/venv-<digest>/`, the digest taken from
requirements-airflow.txt and the Python version, so a change of pins installs a new
one and an unchanged file reuses the old one. `<cache>` is `$MEMBERSHIP_ELT_CACHE`,
else `$XDG_CACHE_HOME/membership-elt`, else `~/.cache/membership-elt`: outside the
checkout, so that every clone on the machine (CI's fresh one too) shares it. A finished install leaves a
marker file (an interrupted one is redone, never trusted); concurrent installs
serialise on a lock file. `--link` points a symlink (make airflow: `.venv-airflow`)
at the environment, so `.venv-airflow/bin/airflow` works from the repository root.
Prints the environment's path.

The tests (tests/airflow/test_airflow_dag.py) install through `ensure_installed` too.
Measured on a 2-core machine: about 45 s for the first install, 0.01 s afterwards.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO_ROOT / "requirements-airflow.txt"
CACHE_DIR = Path(os.environ.get("MEMBERSHIP_ELT_CACHE") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "membership-elt") / "airflow"
INSTALL_TIMEOUT_SECONDS = 1200


class AirflowUnavailable(RuntimeError):
    """The Airflow environment could not be installed; the message says why."""


def digest() -> str:
    pins = REQUIREMENTS.read_bytes() + f"python{sys.version_info[0]}.{sys.version_info[1]}".encode()
    return hashlib.sha256(pins).hexdigest()[:16]


def venv_dir() -> Path:
    return CACHE_DIR / f"venv-{digest()}"


def _run(command: list[str], what: str) -> None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True,
                                   timeout=INSTALL_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AirflowUnavailable(f"{what} failed: {error}") from error
    if completed.returncode != 0:
        lines = (completed.stdout + completed.stderr).strip().splitlines()
        tail = [line for line in lines if not line.startswith("WARNING: Location")][-25:]
        raise AirflowUnavailable(f"{what} failed (exit {completed.returncode}) running "
                                 f"{' '.join(command)}:\n" + "\n".join(tail))


def ensure_installed() -> Path:
    """The virtualenv holding requirements-airflow.txt, installed if missing."""
    venv = venv_dir()
    marker = venv / ".installed"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.exists() and (venv / "bin" / "airflow").exists()):
            shutil.rmtree(venv, ignore_errors=True)
            _run([sys.executable, "-m", "venv", str(venv)], "creating the Airflow virtualenv")
            _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                 f"installing {REQUIREMENTS.name} from the package index")
            marker.write_text(REQUIREMENTS.read_text(encoding="utf-8"), encoding="utf-8")
    return venv


def link(venv: Path, path: Path) -> None:
    """Point `path` at `venv`, replacing an older link (never a real directory)."""
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        raise AirflowUnavailable(f"{path} exists and is not a symlink; remove it and rerun")
    os.symlink(venv, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--link", type=Path, help="a symlink to point at the environment")
    args = parser.parse_args(argv)
    try:
        venv = ensure_installed()
        if args.link:
            link(venv, args.link)
    except AirflowUnavailable as error:
        print(f"airflow_env: {error}", file=sys.stderr)
        return 1
    print(venv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
