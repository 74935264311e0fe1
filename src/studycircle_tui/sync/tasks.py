"""Ending asyncio tasks the sync loop started, without losing a cancellation."""

import asyncio
from collections.abc import Collection
from typing import Any


async def cancelled(tasks: Collection[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and wait until they have ended. (Awaiting each under
    ``suppress(CancelledError)`` would also swallow a cancellation of the caller's own,
    and a sync loop told to stop would go on.)"""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
