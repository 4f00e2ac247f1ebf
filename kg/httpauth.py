"""HTTP authentication for ``kg publish``: Basic, bearer tokens and Digest (RFC 7616), with the standard library only.

A store says which scheme it wants in the ``WWW-Authenticate`` header of a 401: Virtuoso's Graph
Store endpoint (``/sparql-graph-crud-auth``) asks for Digest, Fuseki and GraphDB for Basic. Digest
never sends the password: each request carries a hash of it, the server's nonce, the method and
the URL, so one authorization header is good for one request only. urllib's
``HTTPDigestAuthHandler`` answers a 401 by sending the whole request again, which for a streamed
graph means sending it twice (or, once the stream is spent, an empty graph), and it lacks SHA-256;
hence this module, which computes the header for a challenge obtained beforehand.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from kg.errors import PublishError

#: Digest algorithms (RFC 7616, section 3.3), strongest first: the name and its hash function.
DIGEST_ALGORITHMS = {"SHA-512-256": "sha512_256", "SHA-256": "sha256", "MD5": "md5"}
#: A token (RFC 9110, section 5.6.2): a scheme's or a parameter's name.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # noqa: S105 - a grammar rule, not a secret
#: One auth parameter, ``name=value`` with a token or a quoted string as value, and the comma after it.
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN})\s*(?:,|$)')
#: The start of a challenge: its scheme, not followed by ``=`` (that would be a parameter).
_SCHEME = re.compile(rf"\s*,?\s*({_TOKEN})(?:\s+|$)(?!=)")


@dataclass(frozen=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header: its scheme (lower case) and parameters."""

    scheme: str
    params: dict[str, str]

    @property
    def algorithm(self) -> str:
        """A Digest challenge's algorithm as the server names it (RFC 7616: MD5 when it names none)."""
        return self.params.get("algorithm", "MD5")

    @property
    def hash_algorithm(self) -> str:
        """The algorithm's hash, upper case, without the ``-sess`` of a session variant: a key of ``DIGEST_ALGORITHMS``.

        >>> Challenge("digest", {"algorithm": "sha-256-sess"}).hash_algorithm
        'SHA-256'
        """
        return self.algorithm.upper().removesuffix("-SESS")


def parse_challenges(header: str) -> list[Challenge]:
    """The challenges of a ``WWW-Authenticate`` header, in order (a header may hold several).

    >>> [c.scheme for c in parse_challenges('Digest realm="a, b", qop="auth", Basic realm="x"')]
    ['digest', 'basic']
    >>> parse_challenges('Digest realm="SPARQL", nonce="5c", stale=false')[0].params
    {'realm': 'SPARQL', 'nonce': '5c', 'stale': 'false'}
    """
    challenges: list[Challenge] = []
    position = 0
    while position < len(header):
        scheme = _SCHEME.match(header, position)
        if scheme is None:
            break
        position = scheme.end()
        params: dict[str, str] = {}
        while (param := _PARAM.match(header, position)) is not None:
            value = param[2]
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[param[1].lower()] = value
            position = param.end()
        challenges.append(Challenge(scheme[1].lower(), params))
    return challenges


@dataclass(frozen=True)
class Credentials:
    """What the user gave to authenticate with the store: a user and a password, or a bearer token."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    def basic(self) -> str:
        """The Basic authorization header (RFC 7617), user and password in UTF-8.

        >>> Credentials("Aladdin", "open sesame").basic()
        'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='
        """
        pair = f"{self.user}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def digest_authorization(
    challenge: Challenge, credentials: Credentials, method: str, uri: str, *, cnonce: str | None = None, nc: int = 1
) -> str:
    """The Digest authorization header answering ``challenge`` for one request (RFC 7616, section 3.4).

    :param uri: the request target exactly as sent (path and query).
    :param cnonce: the client nonce; random unless given (tests give the RFC's).
    :raises PublishError: for an algorithm or a quality of protection this client does not implement
        (``auth-int``, which would hash the body before sending it), or a challenge without a nonce.
    """
    params, algorithm, base = challenge.params, challenge.algorithm, challenge.hash_algorithm
    session = algorithm.upper().endswith("-SESS")
    if base not in _available_algorithms():
        raise PublishError(f"the store asks for Digest algorithm {algorithm}, which kg publish does not support")
    if "nonce" not in params:
        raise PublishError("the store's Digest challenge has no nonce: it cannot be answered")
    offered = [q.strip() for q in params["qop"].split(",")] if "qop" in params else []
    if offered and "auth" not in offered:
        raise PublishError(f"the store asks for Digest qop={params['qop']}; kg publish supports qop=auth only")

    def hash_hex(text: str) -> str:
        return hashlib.new(DIGEST_ALGORITHMS[base], text.encode()).hexdigest()

    realm, nonce = params.get("realm", ""), params["nonce"]
    user = credentials.user or ""
    cnonce = cnonce or base64.b64encode(os.urandom(24)).decode("ascii")
    count = f"{nc:08x}"
    secret = hash_hex(f"{user}:{realm}:{credentials.password or ''}")
    if session:
        secret = hash_hex(f"{secret}:{nonce}:{cnonce}")
    request_hash = hash_hex(f"{method}:{uri}")
    if offered:
        response = hash_hex(f"{secret}:{nonce}:{count}:{cnonce}:auth:{request_hash}")
    else:  # RFC 2069 servers: no qop, no client nonce
        response = hash_hex(f"{secret}:{nonce}:{request_hash}")
    userhash = params.get("userhash", "").lower() == "true"
    fields = [_user_field(user, realm, userhash, hash_hex)]
    fields += [f'realm="{_quote(realm)}"', f'uri="{_quote(uri)}"', f"algorithm={algorithm}"]
    fields += [f'nonce="{_quote(nonce)}"']
    if offered:
        fields += [f"nc={count}", f'cnonce="{cnonce}"', "qop=auth"]
    fields += [f'response="{response}"']
    if "opaque" in params:
        fields += [f'opaque="{_quote(params["opaque"])}"']
    if userhash:
        fields += ["userhash=true"]
    return "Digest " + ", ".join(fields)


def _user_field(user: str, realm: str, userhash: bool, hash_hex: Callable[[str], str]) -> str:
    """``username=`` (hashed when the server asks), or ``username*=`` for a name that is not ASCII (RFC 8187)."""
    if userhash:
        return f'username="{hash_hex(f"{user}:{realm}")}"'
    if user.isascii() and '"' not in user and "\\" not in user:
        return f'username="{user}"'
    return f"username*=UTF-8''{urllib.parse.quote(user, safe='')}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _available_algorithms() -> set[str]:
    return {name for name, function in DIGEST_ALGORITHMS.items() if function in hashlib.algorithms_available}


def choose_challenge(challenges: list[Challenge], credentials: Credentials) -> Challenge | None:
    """The challenge to answer with ``credentials``: Digest (strongest algorithm first), else Basic; None if none fits.

    >>> choose_challenge(parse_challenges('Basic realm="r", Digest nonce="n"'), Credentials("u", "p")).scheme
    'digest'
    """
    if credentials.user is None:
        return None
    usable = _available_algorithms()
    digests = [c for c in challenges if c.scheme == "digest" and c.hash_algorithm in usable]
    rank = list(DIGEST_ALGORITHMS)
    digests.sort(key=lambda c: rank.index(c.hash_algorithm))
    basics = [c for c in challenges if c.scheme == "basic"]
    return (digests or basics or [None])[0]
