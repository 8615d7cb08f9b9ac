"""What ``sarcoma-cds serve`` prepares around uvicorn: the shared Prometheus directory.

uvicorn workers are separate processes; prometheus-client adds their values up from files in
``PROMETHEUS_MULTIPROC_DIR``. The directory must exist before any worker starts, must be empty
at start (files of an earlier run would be counted again) and is removed at exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hooks.ops.metrics_env import MULTIPROC_ENV


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """Use ``$PROMETHEUS_MULTIPROC_DIR`` (emptied) or a new temporary directory."""
    given = os.environ.get(MULTIPROC_ENV, "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        _empty(path)
    else:
        path = Path(tempfile.mkdtemp(prefix="sarcoma-cds-metrics-"))
        os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        if given:
            _empty(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)


def _empty(path: Path) -> None:
    for item in path.glob("*.db"):
        item.unlink(missing_ok=True)
