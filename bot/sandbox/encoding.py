"""JSON encoded the way PHP's ``json_encode`` (and so Laravel) does by default.

Defaults there escape every non-ASCII character as ``\\uXXXX`` and every ``/``
as ``\\/``, and emit no whitespace. Clients must cope with both, so the sandbox
reproduces it byte for byte.
"""

from __future__ import annotations

import json
from typing import Any


def php_json(value: Any) -> bytes:
    """Encode ``value`` like PHP ``json_encode($value)`` with no flags."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    # Safe as a plain replace: outside strings JSON has no "/", and inside them
    # Python never emits "/" as part of an escape sequence.
    return text.replace("/", "\\/").encode("ascii")
