"""The `monitord` command line: a thin dispatcher over monitord/commands/.

Errors the user can fix (`UserError`) are printed as a message and a hint, with a meaningful exit code;
anything else is a bug and says so.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from monitord import __version__
from monitord.errors import ExitCode, UserError

# One line per command; the module lives in monitord/commands/.
COMMANDS: tuple[str, ...] = (
    "enroll",
    "analyze",
    "check_config",
    "demo",
    "devices",
    "refill",
    "run",
    "status",
    "escalate",
    "test_alert",
)


def _load_commands() -> list[ModuleType]:
    return [importlib.import_module(f"monitord.commands.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitord",
        description="Hears the alarms of an implanted baclofen pump and makes sure a human responds.",
    )
    parser.add_argument("--version", action="version", version=f"monitord {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--log-json", action=argparse.BooleanOptionalAction, default=None,
        help="log JSON lines (default: JSON unless stderr is a terminal)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _load_commands():
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from monitord.logs import configure_logging

    configure_logging(json=args.log_json, level=args.log_level)
    try:
        return int(args._run(args))
    except UserError as exc:
        print(f"monitord {args.command}: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `monitord analyze --json ... | head` closing the pipe early is not an error worth a traceback.
        return int(ExitCode.OK)
    except Exception:
        print(f"monitord {args.command}: internal error — this is a bug in monitord, please report it:",
              file=sys.stderr)
        traceback.print_exc()
        return int(ExitCode.SOFTWARE)


if __name__ == "__main__":
    raise SystemExit(main())
