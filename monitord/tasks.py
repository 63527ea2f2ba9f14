"""Small asyncio helpers shared by the components that own a task."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it has finished.

    The task's own CancelledError is expected and swallowed; but if the caller is itself being cancelled (its
    enclosing TaskGroup is shutting down), that cancellation must not be swallowed with it, so it is re-raised.
    """
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
