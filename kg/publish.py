"""``kg publish``: upload every named graph to a store that speaks the SPARQL 1.1 Graph Store HTTP Protocol.

One PUT per graph (https://www.w3.org/TR/sparql11-http-rdf-update/#http-put): PUT replaces the
graph whole, so publishing twice gives the same store, and a failed PUT leaves that graph as it
was. A graph is reported done only after the store answered 2xx; the first refusal stops the run.
Works with Fuseki (``.../ds/data``), GraphDB (``.../repositories/R/rdf-graphs/service``),
Oxigraph (``.../store``), Virtuoso (``.../sparql-graph-crud``) and Neptune (``.../sparql/gsp``).
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.dataset import Manifest
from kg.errors import PublishError

#: Seconds to wait for the store to take one graph.
TIMEOUT = 120


@dataclass(frozen=True)
class Credentials:
    """HTTP authentication for the store: basic (user and password) or a bearer token."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    def header(self) -> str | None:
        if self.token:
            return f"Bearer {self.token}"
        if self.user is not None:
            pair = f"{self.user}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return None


def graph_url(store_url: str, graph_iri: str) -> str:
    """The Graph Store Protocol URL of one named graph (indirect identification, ``?graph=``).

    >>> graph_url("http://127.0.0.1:7878/store", "https://w3id.org/newskg/graph/inferred")
    'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fw3id.org%2Fnewskg%2Fgraph%2Finferred'
    """
    separator = "&" if "?" in store_url else "?"
    return f"{store_url}{separator}{urllib.parse.urlencode({'graph': graph_iri})}"


def publish(
    store: ox.Store,
    manifest: Manifest,
    store_url: str,
    credentials: Credentials,
    progress: Callable[[str], None],
) -> int:
    """PUT each named graph of the build to ``store_url``; return how many graphs were published.

    ``progress`` gets one line per graph published (the CLI prints them).

    :raises PublishError: naming the graph and the HTTP status (or the network error).
    """
    if not store_url.startswith(("http://", "https://")):
        raise PublishError(f"--to must be an http(s) URL of a Graph Store Protocol endpoint, not {store_url!r}")
    for number, info in enumerate(manifest.graphs, start=1):
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(info.iri))
        body = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES)
        _put(graph_url(store_url, info.iri), body, credentials, info.iri)
        progress(f"kg: published {info.iri} ({info.triples} triples) [{number}/{len(manifest.graphs)}]")
    return len(manifest.graphs)


def _put(url: str, body: bytes, credentials: Credentials, graph: str) -> None:
    request = urllib.request.Request(url, data=body, method="PUT")  # noqa: S310 - http(s) checked in publish()
    request.add_header("Content-Type", "application/n-triples")
    authorization = credentials.header()
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) checked in publish()
            response.read()
    except urllib.error.HTTPError as error:
        reason = error.read(300).decode("utf-8", "replace").strip().splitlines()
        detail = f": {reason[0]}" if reason else ""
        raise PublishError(f"the store refused graph {graph}: HTTP {error.code} {error.reason}{detail}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise PublishError(f"cannot reach the store at {url.split('?')[0]} for graph {graph}: {reason}") from None
