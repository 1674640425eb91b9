"""Which bot process holds a digest claim or runs an export, as recorded in the database."""

from __future__ import annotations

import os
import secrets
import socket
from functools import cache


@cache
def instance_id() -> str:
    """Names this process in the database: ``host:pid:nonce`` (the nonce tells a restarted
    process from its predecessor when the pid repeats, as PID 1 does in a container)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def is_gone(owner: str) -> bool:
    """Whether the process named ``owner`` has certainly ended.

    Only a process of this host can be checked; one of another host counts as alive.
    """
    host, _, rest = owner.partition(":")
    pid_text, _, _nonce = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if owner == instance_id():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # an earlier process with our pid: this one has just started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    return False
