"""Worker processes that never outlive the bot.

The chart workers (a process pool) and the export workers are spawned children of the bot.
If the bot is killed (``kill -9``, the OOM killer), nothing tells them: a pool worker
waits for its next job forever, and multiprocessing's resource tracker, which lives as long
as any of them holds its pipe, stays with them. Each worker therefore watches the pipe that
multiprocessing keeps open from the parent to the child (``parent_process().sentinel``): it
closes when the parent dies, however it dies, and the worker exits at once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

ORPHAN_EXIT_CODE = 70


def exit_with_parent() -> None:
    """In a spawned worker: exit as soon as the process that started it is gone.

    Call it first thing in the worker (a pool's initializer, a process's target). Does
    nothing in a process that multiprocessing did not start.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        # Nothing to clean up that the parent could still use: leave at once.
        os._exit(ORPHAN_EXIT_CODE)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
