"""A Lambda task root laid out the way deploy/Dockerfile lays out /var/task, and Python run from it.

``build_task_root`` installs the repository (not editable) with ``pip install --target``, puts
``lambda_handler.py`` beside the packages, compiles the bytecode and makes the tree read-only.
``isolated_command`` runs an interpreter that sees only the standard library and the directories
on PYTHONPATH (``-S``: no site-packages, so neither the development virtual
environment nor the checkout is importable). ``unprivileged_user`` is who runs it: nobody when the
tests run as root, else the current user (who cannot write a read-only tree either).
Shared by pizza_game_tests/deploy/test_handler_e2e.py and benchmarks/lambda_handler.py.
"""

from __future__ import annotations

import compileall
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

REPO = Path(__file__).resolve().parents[2]
# The files deploy/Dockerfile copies beside the installed packages.
TASK_FILES = (REPO / "deploy" / "lambda_handler.py",)
NOBODY = 65534
PIP_TIMEOUT = 900

# Printed by the probe: the interpreter's version and whether it can read the task root.
_PROBE = (
    "import os, sqlite3, sys; "
    "print(f'{sys.version_info[0]}.{sys.version_info[1]}', "
    "os.access(sys.argv[1], os.R_OK | os.X_OK))"
)


class PopenUser(TypedDict, total=False):
    """The keyword arguments of subprocess.run/Popen that switch to another user."""

    user: int
    group: int
    extra_groups: list[int]


@dataclass(frozen=True)
class User:
    """Who the child process runs as; ``switch`` is False when that is the current user."""

    uid: int
    gid: int
    switch: bool

    def popen_kwargs(self) -> PopenUser:
        if not self.switch:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def unprivileged_user() -> User:
    """nobody (65534) when running as root, else the current, already unprivileged, user."""
    if os.geteuid() == 0:
        return User(NOBODY, NOBODY, switch=True)
    return User(os.getuid(), os.getgid(), switch=False)


def pip_install_target(target: Path, *requirements: str) -> None:
    """``pip install --target target requirements`` with this interpreter's pip (compiles .pyc)."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--target",
        str(target),
        *requirements,
    ]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=PIP_TIMEOUT, cwd=target
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install --target {target} failed:\n{done.stderr[-3000:]}")


def build_task_root(target: Path) -> None:
    """Install the repository into ``target`` the way the image does, then make it read-only."""
    pip_install_target(target, str(REPO))
    for path in TASK_FILES:
        shutil.copyfile(path, target / path.name)
    compileall.compile_file(str(target / "lambda_handler.py"), quiet=1)
    make_read_only(target)


def make_read_only(root: Path) -> None:
    """Every directory r-x and every file r-- (executables r-x) for everyone, ``root`` included."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or mode & stat.S_IXUSR
        path.chmod(0o555 if executable else 0o444)


def remove_tree(root: Path) -> None:
    """Delete a tree ``make_read_only`` protected (its owner may need write access back first)."""
    if not root.exists():
        return
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(root)


def tree_state(root: Path) -> dict[str, tuple[int, int, int]]:
    """``{relative path: (mode, size, mtime_ns)}`` of everything under ``root``."""
    state = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        state[path.relative_to(root).as_posix()] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return state


def interpreter_for(user: User, readable: Path) -> str | None:
    """A Python of this version that ``user`` can run and that can read ``readable``; else None.

    Candidates: the interpreter behind this (virtual) environment, then the usual system places.
    A virtual environment under an unreadable home directory is common on CI runners, so the
    candidates are tried, not assumed.
    """
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [
        os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        os.path.realpath(sys.executable),
        shutil.which(f"python{version}") or "",
        f"/usr/local/bin/python{version}",
        f"/usr/bin/python{version}",
    ]
    for candidate in dict.fromkeys(c for c in candidates if c and os.path.isfile(c)):
        try:
            probe = subprocess.run(
                [candidate, "-S", "-c", _PROBE, str(readable)],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": "/usr/bin:/bin"},
                cwd="/",
                **user.popen_kwargs(),
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.split() == [version, "True"]:
            return candidate
    return None


def lambda_environ(
    task_root: Path,
    *,
    home: Path,
    writable: Path,
    endpoint_url: str,
    bucket: str,
    region: str,
    credentials: dict[str, str],
    python_path: tuple[Path, ...] = (),
) -> dict[str, str]:
    """The whole environment of the function in Lambda (deploy/template.yaml), with S3 and SSM on
    ``endpoint_url``, HOME at ``home`` and PIZZA_GAME_WRITABLE_DIR (Lambda's /tmp) at ``writable``.
    """
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        "PYTHONPATH": ":".join(str(path) for path in (task_root, *python_path)),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "pizza-game-pipeline",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": credentials["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": credentials["AWS_SECRET_ACCESS_KEY"],
        "AWS_ENDPOINT_URL_SSM": endpoint_url,
        "S3_BUCKET_NAME": bucket,
        "S3_ENDPOINT_URL": endpoint_url,
        "S3_SSE": "AES256",
        "PIZZA_GAME_WRITABLE_DIR": str(writable),
        "PIZZA_GAME_RUN_LOCK": "on",
    }


def isolated_command(python: str, *args: str) -> list[str]:
    """``python -S args``: the standard library and PYTHONPATH only, no site-packages at all."""
    return [python, "-S", *args]
