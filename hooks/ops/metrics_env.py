"""The environment variable prometheus-client reads at import for multiprocess mode."""

from __future__ import annotations

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
