"""Run many async jobs with at most N at once: the one loop behind whole-lecture generation."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_limit() -> int:
    """How many generations run at once by default: the CPU count, between 2 and 8."""
    return max(2, min(8, os.cpu_count() or 2))


async def run_bounded(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    *,
    limit: int,
    on_done: Callable[[T, R], None] | None = None,
) -> list[R]:
    """`work(item)` for every item, at most `limit` running at once; the results in item order.

    `on_done(item, result)` is called (on the loop) as each one finishes. The first failure cancels the
    jobs still waiting or running, waits for them to stop, and is raised.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            result = await work(item)
        if on_done is not None:
            on_done(item, result)
        return result

    tasks = [asyncio.ensure_future(one(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
