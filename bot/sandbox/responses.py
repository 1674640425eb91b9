"""Bodies of the non-200 answers, copied from the Export API spec.

JSON errors are encoded PHP-style; gateway errors are nginx HTML pages, because
that is what a client sees when the PHP backend behind nginx is down.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import web

from bot.sandbox.encoding import php_json

NOT_PAID: dict[str, str] = {
    "error": "API not paid",
    "code": "Your API subscription has expired or not been paid.",
}
DISABLED: dict[str, str] = {
    "error": "API functionality is disabled",
    "message": "The requested API functionality has been disabled. "
    "Please contact support for more details.",
}
TOKEN_NOT_FOUND: dict[str, str] = {
    "error": "Token not found",
    "message": "The access token is missing or invalid. "
    "Please provide a valid token to authenticate the request.",
}

_JSON_BODIES: dict[int, dict[str, Any]] = {
    402: NOT_PAID,
    403: DISABLED,
    404: TOKEN_NOT_FOUND,
    # Laravel's own answers for throttling and an unhandled exception.
    429: {"message": "Too Many Attempts."},
    500: {"message": "Server Error"},
}

# What PHP prints instead of JSON when the request dies half-way.
GARBAGE_BODY = (
    "<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted "
    "(tried to allocate 20480 bytes) in "
    "<b>/var/www/aiokk/vendor/laravel/framework/src/Illuminate/Support/Collection.php</b> "
    "on line <b>1674</b><br />\n"
)


def json_response(payload: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=php_json(payload), status=status, content_type="application/json")


def nginx_page(status: int) -> str:
    title = f"{status} {_phrase(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def status_response(status: int) -> web.Response:
    """The answer a real instance gives with ``status``: spec JSON or an nginx page."""
    if status in _JSON_BODIES:
        return json_response(_JSON_BODIES[status], status=status)
    if status >= 500:
        return web.Response(
            text=nginx_page(status), status=status, content_type="text/html", charset="utf-8"
        )
    return json_response({"message": _phrase(status)}, status=status)


def garbage_response() -> web.Response:
    return web.Response(text=GARBAGE_BODY, content_type="text/html", charset="UTF-8")


def validation_response(field: str, message: str) -> web.Response:
    """Laravel's 422 shape for a failed form request."""
    return json_response({"message": message, "errors": {field: [message]}}, status=422)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
