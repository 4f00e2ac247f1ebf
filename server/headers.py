"""What every response gets on its way out: CORS headers for browser clients, security headers, and gzip when it pays.

CORS allows any origin but never credentials: the endpoint is public and has no cookies to
protect, so ``*`` is safe, and a preflight is answered for any method the endpoint serves.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, current_app, request

#: Pages run only the server's own scripts (no inline script, no other origin), may not be framed, and
#: reach nothing but this server; data from the graph is inserted as text, so this is defence in depth.
#: Inline styles are allowed: the editor (CodeMirror) and the graph drawing (cytoscape.js) set them.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Headers every response gets: no MIME sniffing, no Referer sent to the sites pages link to.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
#: Headers every HTML page gets besides (X-Frame-Options for browsers without frame-ancestors).
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}

#: Headers a browser script may read from a response.
_EXPOSED = "X-Result-Rows, X-Result-Truncated, ETag, Content-Encoding"
#: How long a browser may reuse a preflight answer, in seconds.
_PREFLIGHT_MAX_AGE = "86400"
#: Headers every response that is not a page gets: CORS for browser scripts, and the security headers
#: (the front adds them to what it answers itself; Flask's responses get them from ``init_app``'s hooks).
ANSWER_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", _EXPOSED),
    *SECURITY_HEADERS.items(),
]


def content_type(media_type: str) -> str:
    """The Content-Type of a body in ``media_type``: text types say UTF-8, which is all this server writes.

    >>> content_type("text/turtle"), content_type("application/sparql-results+json")
    ('text/turtle; charset=utf-8', 'application/sparql-results+json')
    """
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def init_app(app: Flask) -> None:
    app.after_request(_cors)
    app.after_request(_security)
    app.after_request(_gzip)


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = _EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = _PREFLIGHT_MAX_AGE
    return response


def _security(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if response.mimetype == "text/html":
        response.headers.update(PAGE_HEADERS)
    return response


def _gzip(response: Response) -> Response:
    """Compress a large answer for a client that accepts gzip; small ones are not worth the CPU."""
    if (
        response.status_code != 200
        or response.direct_passthrough  # static files: streamed, and small
        or "Content-Encoding" in response.headers
        or not request.accept_encodings["gzip"]
    ):
        return response
    response.vary.add("Accept-Encoding")
    data = response.get_data()
    if len(data) >= current_app.config["GZIP_MIN_BYTES"]:
        response.set_data(gzip.compress(data, compresslevel=5, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response
