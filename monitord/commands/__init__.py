"""One module per `monitord <command>`.

Each module defines `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`, keeps its top-level imports
light (the CLI imports every command module to build --help) and is registered by one line in monitord/cli.py.
"""
