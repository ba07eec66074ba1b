"""The ``fusion-study`` command line: :mod:`.parser` builds it, :mod:`.commands` holds one module per subcommand."""

from fusion_study.cli.parser import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
