"""`monitord test-alert`: a clearly marked TEST through every configured channel, with a verdict per channel.

Run it after setting up phones and paging, and now and then (a monthly drill): it sends one TEST message per
notifier through the same delivery layer as a real alert (timeouts, retries), prints one line per channel, then
closes what the test opened (resolves the PagerDuty test incident, cancels a Pushover emergency repeat).
Exit code 0 if every channel delivered, 69 (unavailable) if any failed, 78 on a config error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitord.escalation.delivery import DeliveryOutcome

NAME = "test-alert"
HELP = "send a clearly marked TEST alert through every configured channel and report each one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="config file with an [escalation] section (default: $MONITORD_CONFIG or "
                             "/etc/monitord/monitord.toml); MONITORD_* variables and credential files apply")
    parser.add_argument("--target", action="append", default=None, metavar="NAME",
                        help="only this notifier or group (caregivers, oncall, ...); repeatable")
    parser.add_argument("--urgency", choices=["normal", "high", "critical"], default="normal",
                        help="critical rings like a real critical alarm (Pushover emergency, ntfy urgent)")
    parser.add_argument("--max-attempts", type=int, default=3, help="attempts per channel (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import socket

    import aiohttp

    from monitord.clock import SystemClock
    from monitord.config import load_config
    from monitord.errors import ConfigError, ExitCode
    from monitord.escalation.config import EscalationConfig
    from monitord.escalation.delivery import Dispatcher
    from monitord.escalation.messages import render_test
    from monitord.notifiers import build_notifier
    from monitord.notifiers.base import Notifier, Urgency
    from monitord.notifiers.console import ConsoleNotifier

    # The same loader as `monitord run`: environment overrides and systemd credentials apply here too.
    config = load_config(args.config).escalation or EscalationConfig()
    targets = config.expand(args.target) if args.target else config.notifier_names
    unknown = [t for t in targets if t not in config.notifier_names]
    if unknown or not targets:
        raise ConfigError(f"unknown notifier(s): {', '.join(unknown) or '(none selected)'}",
                          hint=f"configured: {', '.join(config.notifier_names)}")
    clock = SystemClock()
    delivery = config.delivery.model_copy(update={
        "max_attempts": max(1, args.max_attempts), "max_attempts_critical": max(1, args.max_attempts),
    })
    async with aiohttp.ClientSession() as session:
        notifiers: dict[str, Notifier] = {"console": ConsoleNotifier(name="console")}
        for cfg in config.notifiers:
            notifiers[cfg.name] = build_notifier(cfg, session=session)
        chosen = {name: notifiers[name] for name in targets}
        dispatcher = Dispatcher(notifiers=chosen, config=delivery, clock=clock)
        base = render_test(node_id=socket.gethostname(), at=clock.now(), contacts=config.contacts, tz=config.tz)
        message = dataclasses.replace(base, urgency=Urgency(args.urgency))
        outcomes: list[DeliveryOutcome] = []
        try:
            async with asyncio.TaskGroup() as tg:
                workers = [tg.create_task(dispatcher.run_worker(n), name=f"test-alert.{n}") for n in chosen]
                outcomes = list(await asyncio.gather(*(dispatcher.submit(n, message) for n in chosen)))
                # Close what the test opened: PagerDuty's test incident, a Pushover emergency repeat.
                closing = [dispatcher.submit(o.job.notifier, message, action="resolve", receipt=o.receipt)
                           for o in outcomes if o.ok and o.receipt is not None and o.receipt.remote_id]
                await asyncio.gather(*closing)
                for worker in workers:
                    worker.cancel()
        finally:
            for notifier in notifiers.values():
                await notifier.aclose()
    failed = 0
    print(f"TEST alert ({args.urgency}) through {len(outcomes)} channel(s):")
    for outcome in outcomes:
        if outcome.ok and outcome.receipt is not None:
            print(f"  ok    {outcome.job.notifier:<20} {outcome.receipt.target}  ({outcome.attempts} attempt(s))")
        else:
            failed += 1
            print(f"  FAIL  {outcome.job.notifier:<20} {outcome.error}  ({outcome.attempts} attempt(s))")
    if failed:
        print(f"{failed} channel(s) failed: alerts through them would not arrive. Fix them before relying on "
              "monitord.")
        return int(ExitCode.UNAVAILABLE)
    print("All channels delivered. Check that every phone showed the TEST message.")
    return int(ExitCode.OK)
