"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package (installed by
``make setup`` when missing), a cluster made with ``initdb`` in a temporary directory, listening
on a free loopback port only, stopped and removed at the end.

PostgreSQL refuses to run as root: when the tests run as root (CI), the cluster belongs to the
``postgres`` user the package creates and the server commands run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.service.fhir_server import free_port


def bin_dir() -> Path | None:
    """The newest installed server's bin directory (Debian keeps it off PATH)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    bin: Path
    root: Path
    port: int = field(default_factory=free_port)
    owner: str | None = None  # run the server as this user (when we are root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        # Loopback TCP only; the Unix socket lives in the cluster's own directory. fsync stays
        # on: "acknowledged means stored" is what the tests check.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def start_server() -> PostgresServer:
    found = bin_dir()
    if found is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found: `make setup` installs Debian's `postgresql` "
            "package (apt-get install postgresql)"
        )
    owner = None
    if os.geteuid() == 0:
        owner = "postgres"
        try:
            pwd.getpwnam(owner)
        except KeyError:
            raise RuntimeError("running as root but there is no `postgres` user") from None
    root = Path(tempfile.mkdtemp(prefix="sarcoma-cds-pg-"))
    server = PostgresServer(found, root, owner=owner)
    server.init()
    server.start()
    return server


def remove_server(server: PostgresServer) -> None:
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)
