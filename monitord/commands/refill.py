"""`monitord refill`: log a refill (or set the pump's dates) from the refill printout.

Moves the low-reservoir alarm date (and optionally the replacement/ERI date) in `<state_dir>/calendar.json`; the
running daemon picks it up within a minute, announces `RefillLogged` (which ends a low-reservoir episode and stops
the escalation's daily reminder) and publishes the new days-until state.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

from monitord.commands.check_config import add_config_arguments

NAME = "refill"
HELP = "log a pump refill and the next low-reservoir alarm date (from the refill printout)"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--next-alarm-date", type=_date, metavar="YYYY-MM-DD",
                        help="the low-reservoir alarm date printed on the refill printout")
    parser.add_argument("--replacement-date", type=_date, metavar="YYYY-MM-DD",
                        help="the elective replacement indicator (ERI) date, if the clinic gave a new one")
    parser.add_argument("--on", type=_date, default=None, metavar="YYYY-MM-DD", help="refill date (default: today)")
    parser.add_argument("--by", default=None, help="who logs it (default: the user name)")


def run(args: argparse.Namespace) -> int:
    import getpass

    from monitord.calendar import RefillCalendar
    from monitord.config import config_path_from, load_config, secrets_dirs_from
    from monitord.daemon.calendar_service import CALENDAR_FILE, CalendarFile, log_refill
    from monitord.errors import ExitCode, UserError

    config = load_config(config_path_from(args.config), secrets_dirs=secrets_dirs_from(args.secrets_dir),
                         use_default_path=False)
    if args.next_alarm_date is None and args.replacement_date is None:
        raise UserError("give --next-alarm-date (from the refill printout) and/or --replacement-date",
                        exit_code=ExitCode.USAGE)
    today = date.today()
    refilled_on = args.on or today
    if args.next_alarm_date is not None and args.next_alarm_date <= refilled_on:
        raise UserError(f"the next low-reservoir alarm date {args.next_alarm_date} is not after the refill "
                        f"({refilled_on})", hint="copy the date from the refill printout", exit_code=ExitCode.USAGE)
    state_dir = config.monitor.state_dir
    try:
        log_refill(state_dir, config=config.calendar, refilled_on=refilled_on, next_alarm_date=args.next_alarm_date,
                   replacement_date=args.replacement_date, by=args.by or getpass.getuser())
    except OSError as exc:
        raise UserError(f"cannot write {state_dir / CALENDAR_FILE}: {exc.strerror}",
                        hint="run it as the monitord user: sudo -u monitord monitord refill ...",
                        exit_code=ExitCode.FAILURE) from None
    stored = CalendarFile.read(state_dir / CALENDAR_FILE)
    calendar = RefillCalendar.from_config(config.calendar).with_dates(
        reservoir_alarm_date=stored.reservoir_alarm_date if stored else None,
        replacement_date=stored.replacement_date if stored else None)
    state = calendar.state_event(node_id=config.monitor.node_id, now=_now(), today=today)
    print(f"refill logged ({refilled_on}).")
    if state.reservoir_alarm_date:
        print(f"  next low-reservoir alarm: {state.reservoir_alarm_date} (in {state.days_until_reservoir_alarm} days); "
              f"reminders {', '.join(str(d) for d in calendar.reminder_days)} days before")
    if state.replacement_date:
        print(f"  replacement (ERI) date:   {state.replacement_date} (in {state.days_until_replacement} days)")
    print("The running monitor picks this up within a minute.")
    return 0


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
