"""The ``sarcoma-cds`` console script.

Each subcommand lives in the module that owns its concern; a module registers its parsers
with ``register(subparsers)`` and sets ``handler`` (``args -> exit code``) as a default.
Registration must stay cheap: heavy imports (FastAPI, fhir.resources) happen in handlers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NoReturn

EXIT_ERROR = 2
COMMAND_MODULES: tuple[str, ...] = ("cds.cli", "hooks.service_cli", "hooks.fhir.cli")


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line naming the problem (``prog: error: ...``), exit 2: scripts and
    registrars read the message, and the usage text is one ``--help`` away."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def version() -> str:
    """The installed package's version (its metadata, from pyproject.toml)."""
    try:
        return metadata.version("sarcoma-cds")
    except metadata.PackageNotFoundError:
        return "(not installed: run from a source tree)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="sarcoma-cds",
        description=(
            "Soft tissue sarcoma staging (AJCC 8th edition, FNCLCC grade) as clinical decision "
            "support. Results support, and never replace, the judgement of the treating team."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130  # interrupted by the user: no traceback
    except BrokenPipeError:  # output piped to a command that stopped reading (head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the last resort: a bug, still one line and exit 2
        print(
            f"sarcoma-cds {args.command}: internal error ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:300]}); please report it",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
