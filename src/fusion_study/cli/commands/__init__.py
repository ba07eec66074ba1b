"""Subcommands of the ``fusion-study`` command line, one module each."""
