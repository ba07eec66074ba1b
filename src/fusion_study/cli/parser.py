"""The ``fusion-study`` command line.

Each subcommand lives in its own module under :mod:`fusion_study.cli.commands`
with ``register(subparsers)``; add a module name to :data:`COMMANDS` to add one.
Errors a user can act on are printed as one clear message (exit code 2), never
as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fusion_study import __version__

COMMANDS = [
    "init",
    "validate",
    "codebook",
    "import-survey",
    "simulate",
    "report",
    "demo",
    "index",
    "validate-estimators",
    "plan",
    "validity",
    "notebooks",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fusion-study",
        description="Measure party-business integration (党业融合) and test what moves customer satisfaction.",
    )
    parser.add_argument("--version", action="version", version=f"fusion-study {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"fusion_study.cli.commands.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    from fusion_study.data.readers import TableReadError
    from fusion_study.data.study import StudyFolderError
    from fusion_study.data.validation import StudyValidationError

    try:
        return int(args.func(args) or 0)
    except StudyValidationError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (PermissionError, FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        print(f"error: {_write_problem(exc)}", file=sys.stderr)
        return 2
    except (StudyFolderError, TableReadError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _write_problem(exc: OSError) -> str:
    """One sentence for a file-system refusal: which path, and what to do."""
    path = exc.filename if exc.filename is not None else "the output path"
    if isinstance(exc, PermissionError):
        return (f"cannot write to {path}: permission denied (the folder or file is read-only for you). "
                "Choose a folder you can write to (--out/--study) or change its permissions.")
    if isinstance(exc, FileExistsError):
        return (f"cannot create the folder {path}: a file with that name already exists. "
                "Give the name of a new or existing folder (--out/--study), or move the file away.")
    if isinstance(exc, NotADirectoryError):
        return (f"cannot write into {path}: part of that path is a file, not a folder. "
                "Give a folder path (--out/--study).")
    return (f"cannot write {path}: it is a folder, not a file. "
            "Give a file name (e.g. ending in .csv or .xlsx).")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
