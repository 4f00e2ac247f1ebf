"""The second kind of query engine: each query forwarded to a remote SPARQL 1.1 endpoint (``kg serve --backend``).

A backend worker (``python -m server.worker --backend URL``) holds no store; the endpoint in front
stays the same (protocol, formats, limits, errors, query page) and only the evaluation moves, for
a dataset that outgrows one machine. What a query goes through:

1. **Checked here.** It must parse as a SPARQL query with Oxigraph's parser (on an empty store),
   the project's prefixes predeclared and the endpoint's URL as base, as the local endpoint parses
   it: a syntax error reads the same, position included, and nothing but a query reaches the
   backend (some stores run an update sent as ``query``). During the check the worker can open no
   file descriptor, so an ASK (which Oxigraph evaluates at once) cannot call a SERVICE that slipped
   past ``kg.querytext``. For SELECT, CONSTRUCT and DESCRIBE that lexical check is the only stop
   before the backend, which evaluates: switch SERVICE off there too where the store allows it.
2. **Sent as the client wrote it**, after a BASE (the endpoint's URL, unless the query has one)
   and a PREFIX for each of the project's prefixes it does not declare, all on its first line so
   its lines keep their numbers. One form POST, a new connection per query, no proxy, and no
   redirect followed: a 3xx is a 502 that names the URL to use instead.
3. **Dataset.** The protocol's ``default-graph-uri`` and ``named-graph-uri`` are forwarded as given;
   without them the query's FROM / FROM NAMED apply, sent as those parameters too (the same
   graphs, so the same dataset for any store that follows the protocol, and for those that let a
   union setting override FROM, as ``oxigraph serve --union-default-graph`` does). Else the
   dataset is the project's graphs on the backend, those ``kg publish`` wrote (IRIs under
   ``kg.namespaces.GRAPH``), listed first (one more request) and sent as both parameters: the
   default graph their union, as locally, whatever the store's own default graph is. That is not
   only a union setting: Virtuoso's default graph is every graph it holds, its system graphs
   too (``virtrdf#``, thousands of triples), and those would answer ``?s ?p ?o`` and ``GRAPH ?g``.
   A backend with none of the project's graphs is queried on its own default graph.
   ``infer=false`` keeps its local meaning: the default graph is those graphs but the inferred
   one (``kg.namespaces.INFERRED_GRAPH``), and GRAPH still sees them all; with none left, a 400.
   Refusing ``infer=false`` outright would have been simpler, but would break the query page's
   inference switch.
4. **Answer.** The backend is asked for syntaxes that read back losslessly (SPARQL XML for SELECT,
   JSON for ASK, N-Triples for graphs; another one it sends is read by its media type), never for
   the client's: CSV loses terms, and the row cap needs rows. The answer is parsed as it arrives,
   cut at the row limit, its terms made the local engine's (``server.remote_answers``: datatypes
   and canonical forms as Oxigraph stores them, blank node labels Oxigraph can read), and written
   in the negotiated syntax by the code that writes local answers (``server.answers.write_answer``):
   the same bytes and ``X-Result-*`` headers.
5. **Time.** The supervisor kills the worker at the time limit, which closes the connection, and
   the client gets the usual 503; the socket's own timeout, a second later, is only a backstop.
   Closing the connection does not stop every store's evaluation (Oxigraph's goes on): give the
   backend a limit of its own near QUERY_TIMEOUT (``oxigraph serve --timeout-s``, Fuseki's
   ``arq:queryTimeout``).

Errors: the backend's 400 is a 400 with its message on one line; 429, 503 and 504 are a 503 (retry
later); no connection, a redirect, another status, or an answer that cannot be read is a 502 that
names the backend's URL. Never a stack trace.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import resource
import ssl
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from kg import __version__
from kg.errors import KgError, QuerySyntaxError
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES, RdfSyntax, ResultsSyntax
from kg.namespaces import GRAPH, INFERRED_GRAPH
from kg.prefixes import PREFIX_IRIS
from kg.query import QueryResult, result_kind, tidy_syntax_error
from kg.querytext import declares_dataset, keywords_only, tokens
from server.answers import output_syntax, write_answer
from server.errors import (
    BackendError,
    BackendRefusedError,
    BackendUnavailableError,
    OutsideDatasetError,
    ProtocolError,
    QueryTimeoutError,
)
from server.frames import Answered, Job, QueryRequest
from server.remote_answers import AsStored, read_xml_solutions, solution_rows

#: Seconds past the time limit before the socket gives up on its own (the supervisor acts first).
_SOCKET_GRACE = 1.0
#: Syntaxes of ``kg.formats`` the backend is asked for, best first, by kind of result.
#: Not TSV first for SELECT: Virtuoso's text/tab-separated-values is not SPARQL's (IRIs come as strings).
_ASK_FOR = {"solutions": ("xml", "json", "tsv"), "boolean": ("json", "xml"), "graph": ("ntriples", "turtle", "rdfxml")}
#: Results syntaxes that can be read back (Oxigraph cannot parse CSV).
_READABLE_RESULTS = ("json", "xml", "tsv")
#: Statuses that mean "busy or too slow, retry later" rather than a broken backend.
_UNAVAILABLE = (429, 503, 504)
#: Characters of a backend's message passed on to the client.
_DETAIL = 300
#: Lists the backend's named graphs, of which the project's (under ``kg.namespaces.GRAPH``) make the dataset.
_NAMED_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
#: The same for a store whose ``GRAPH ?g {}`` binds no ?g (Virtuoso 7 answers one empty row): over every
#: triple, grouped, which Virtuoso answers at once (0.7 ms on the build; with DISTINCT instead, 125 ms).
_NAMED_GRAPHS_BY_TRIPLES = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"

#: A PREFIX declaration (IRIs blanked out by ``keywords_only``); group 1 is the prefix.
_DECLARED_PREFIX = re.compile(r"(?<![\w:?$\-])PREFIX\s+([^\s:]*):", re.IGNORECASE)
#: A BASE declaration.
_BASE = re.compile(r"(?<![\w:?$\-])BASE(?![\w:\-])", re.IGNORECASE)
#: What an IRI between ``<`` and ``>`` may hold (SPARQL's IRIREF).
_IRIREF = re.compile(r"[^<>\"{}|^`\\\x00-\x20]*")
#: The keywords that end the prologue.
_QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


def check_backend_url(url: str) -> str:
    """``url``, if it can be a SPARQL endpoint to forward queries to: http(s), a host, no credentials, no fragment.

    >>> check_backend_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/query'
    >>> check_backend_url("file:///etc/passwd")
    Traceback (most recent call last):
    kg.errors.KgError: --backend must be the http(s) URL of a SPARQL query endpoint, not 'file:///etc/passwd'

    :raises KgError: otherwise.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise KgError(f"--backend must be the http(s) URL of a SPARQL query endpoint, not {url[:200]!r}")
    if parts.username is not None or parts.password is not None:
        raise KgError("--backend must not carry credentials (user:password@): they would show in logs and errors")
    return url


def dataset_clauses(query: str) -> tuple[str, list[str], list[str]]:
    """The prologue of ``query``, and the graphs of its FROM and of its FROM NAMED clauses, as written.

    >>> dataset_clauses("PREFIX g: <urn:g:> SELECT * FROM g:a FROM NAMED <b> # FROM <c>\\nWHERE { ?s ?p ?o }")
    ('PREFIX g: <urn:g:> ', ['g:a'], ['<b>'])
    >>> dataset_clauses("SELECT ?from { ?from <urn:FROM> 'FROM <d>' }")
    ('', [], [])
    >>> dataset_clauses("SELECT*FROM<a>{}")
    ('', ['<a>'], [])
    """
    code = [token for token in tokens(query) if token.kind != "comment"]
    words = [token.text.upper() if token.kind == "word" else None for token in code]
    start = next((t.start for t, w in zip(code, words, strict=True) if w in _QUERY_FORMS), len(query))
    default: list[str] = []
    named: list[str] = []
    for n, word in enumerate(words):
        if word != "FROM":
            continue
        is_named = words[n + 1 : n + 2] == ["NAMED"]
        source = code[n + 2] if is_named and n + 2 < len(code) else code[n + 1] if n + 1 < len(code) else None
        if source is not None and source.kind in ("iri", "word"):
            (named if is_named else default).append(source.text)
    return query[:start], default, named


def add_prologue(query: str, base_iri: str | None) -> str:
    """``query`` after a BASE (unless it declares its own) and the project's PREFIX declarations it lacks.

    The local endpoint predeclares the project's prefixes; a backend does not. Everything goes on
    the query's first line, so a position the backend reports on a later line is still right.

    >>> text = add_prologue("PREFIX id: <urn:id:> ASK { id:a ?p ?o }", "http://host/sparql")
    >>> text.startswith("BASE <http://host/sparql> PREFIX rdf: "), text.count("PREFIX id:")
    (True, 1)
    >>> text.endswith(" PREFIX id: <urn:id:> ASK { id:a ?p ?o }")
    True

    :raises ProtocolError: for a base IRI that could end the BASE declaration early (never the
        endpoint's own URL, which Werkzeug builds from checked parts).
    """
    if base_iri is not None and not _IRIREF.fullmatch(base_iri):
        raise ProtocolError(f"the endpoint's URL cannot serve as a base IRI: {base_iri[:100]!r}")
    keywords = keywords_only(query)
    declared = {match[1] for match in _DECLARED_PREFIX.finditer(keywords)}
    prologue = [f"BASE <{base_iri}>"] if base_iri and not _BASE.search(keywords) else []
    prologue += [f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIX_IRIS.items() if prefix not in declared]
    return " ".join([*prologue, query])


class Backend:
    """A remote SPARQL 1.1 query endpoint, as the engine of a query worker.

    :param url: the endpoint's URL, e.g. ``http://127.0.0.1:7878/query`` for ``oxigraph serve``.
    :raises KgError: for a URL ``check_backend_url`` refuses.
    """

    def __init__(self, url: str) -> None:
        self.url = check_backend_url(url)
        parts = urlsplit(url)
        self._host, self._port = parts.hostname, parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        #: Made now: loading the certificates opens files.
        self._tls = ssl.create_default_context() if parts.scheme == "https" else None
        #: Empty: it only parses queries (and answers an ASK with nothing to match).
        self._checker = ox.Store()
        #: Reads the backend's terms as the local engine stores them (on the empty store).
        self._as_stored = AsStored(self._checker)
        #: How the project's graphs are listed on this backend (the slower form once the faster failed).
        self._graphs_query = _NAMED_GRAPHS

    def evaluate(self, job: Job) -> tuple[Answered, bytes]:
        """Answer one job from the backend: the reply and the serialised results.

        :raises QuerySyntaxError: when the query does not parse (the backend is not asked).
        :raises OutsideDatasetError: when checking it tried to open a connection (SERVICE).
        :raises UnsupportedFormat: when the client accepts no syntax for its kind of result (the backend is not asked).
        :raises ProtocolError: for ``infer=false`` when the backend has no named graph.
        :raises BackendRefusedError: when the backend answers 400.
        :raises BackendUnavailableError: when it answers 429, 503 or 504.
        :raises BackendError: when it cannot be reached, redirects, fails, or sends an answer that cannot be read.
        :raises QueryTimeoutError: when its socket times out (a backstop: the supervisor stops the worker first).
        """
        request = job.request
        kind = self._check(request.query, request.base_iri)
        output_syntax(kind, request)
        form = [("query", add_prologue(request.query, request.base_iri)), *self._dataset(request, job.time_limit)]
        with self._exchange(form, kind, job.time_limit) as results:
            rows = self._as_local(kind, results, job.row_limit + 1)
            return write_answer(kind, rows, request, row_limit=job.row_limit, byte_limit=job.byte_limit)

    def probe(self, seconds: float = 5.0) -> str | None:
        """None when the backend answers ``ASK {}`` within ``seconds``; else why not, in one line."""
        try:
            with self._exchange([("query", "ASK {}")], "boolean", seconds):
                return None
        except QueryTimeoutError:
            return f"the SPARQL backend at {self.url} did not answer ASK {{}} within {seconds:g} s"
        except KgError as error:
            return str(error)

    def _check(self, query: str, base_iri: str | None) -> str:
        """The kind of result of ``query`` ('solutions', 'boolean', 'graph'): parsed, with no file to open."""
        with _no_new_files():
            try:
                result = self._checker.query(query, prefixes=PREFIX_IRIS, base_iri=base_iri)
            except SyntaxError as error:
                raise QuerySyntaxError(tidy_syntax_error(str(error), query)) from None
            except OSError:
                message = "the query tried to open a file or a connection; only the dataset can be queried"
                raise OutsideDatasetError(message) from None
        return result_kind(result)

    def _dataset(self, request: QueryRequest, time_limit: float) -> list[tuple[str, str]]:
        """The protocol's dataset parameters to send: the client's own, the query's FROM, or ``infer=false``'s."""
        default, named = list(request.default_graph_uris), list(request.named_graph_uris)
        if not (default or named) and declares_dataset(request.query):
            default, named = self._from(request.query, request.base_iri)
        elif not (default or named):
            named = self._project_graphs(time_limit)
            default = [iri for iri in named if request.infer or iri != str(INFERRED_GRAPH)]
            if not (default or request.infer):
                raise ProtocolError(
                    "infer=false queries the project's graphs on the backend but the inferred one, and it has no"
                    " other: query without infer=false"
                )
        return [("default-graph-uri", iri) for iri in default] + [("named-graph-uri", iri) for iri in named]

    def _from(self, query: str, base_iri: str | None) -> tuple[list[str], list[str]]:
        """The IRIs the query's FROM and FROM NAMED clauses name, resolved by Oxigraph's parser.

        Prefixed names and relative IRIs resolve as in the query itself: its prologue, then
        ``VALUES`` with the graphs as written, evaluated on the empty store. Should that fail on a
        query written in some unforeseen way, nothing is sent, and the backend reads the FROM itself.
        """
        prologue, default, named = dataset_clauses(query)
        graphs = " ".join([*default, *named])
        try:
            with _no_new_files():
                rows = self._checker.query(
                    f"{prologue} SELECT ?g {{ VALUES ?g {{ {graphs} }} }}", prefixes=PREFIX_IRIS, base_iri=base_iri
                )
                iris = [row["g"].value for row in rows]
        except (SyntaxError, OSError):
            return [], []
        if len(iris) != len(default) + len(named):
            return [], []
        return iris[: len(default)], iris[len(default) :]

    def _project_graphs(self, time_limit: float) -> list[str]:
        """The backend's named graphs under the project's graph namespace, as the store lists them."""
        with self._exchange([("query", self._graphs_query)], "solutions", time_limit) as (_, rows):
            graphs = [row[0] for row in rows]
        if any(g is None for g in graphs) and self._graphs_query == _NAMED_GRAPHS:
            self._graphs_query = _NAMED_GRAPHS_BY_TRIPLES
            return self._project_graphs(time_limit)
        return [g.value for g in graphs if isinstance(g, ox.NamedNode) and g.value.startswith(str(GRAPH))]

    def _as_local(self, kind: str, results: Any, limit: int) -> QueryResult | Iterable[ox.Triple]:
        """The parsed answer with the local engine's terms: at most ``limit`` solutions, or every triple."""
        if kind == "solutions":
            return self._as_stored.solutions(*results, limit)
        if kind == "graph":
            return self._as_stored.triples(results)
        return results

    @contextlib.contextmanager
    def _exchange(self, form: list[tuple[str, str]], kind: str, time_limit: float) -> Iterator[Any]:
        """POST ``form`` to the backend; yield its answer's results, parsed as they arrive.

        Errors of the exchange, reading the answer inside the ``with`` block included, come out as
        the errors listed in ``evaluate``.
        """
        connection_type = http.client.HTTPSConnection if self._tls else http.client.HTTPConnection
        options = {"context": self._tls} if self._tls else {}
        connection = connection_type(self._host, self._port, timeout=time_limit + _SOCKET_GRACE, **options)
        response = None
        try:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": accept_header(kind),
                "User-Agent": f"kg-serve/{__version__}",
                "Connection": "close",
            }
            connection.request("POST", self._target, body=urlencode(form).encode(), headers=headers)
            response = connection.getresponse()
            if not 200 <= response.status < 300:
                raise self._refusal(response)
            media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            syntax = _readable_syntax(kind, media_type)
            if syntax is None:
                raise BackendError(
                    f"the SPARQL backend at {self.url} answered in {media_type or 'no media type'}, which cannot be"
                    f" read back; it was asked for {accept_header(kind)}"
                )
            try:
                yield self._parse(kind, syntax, response)
            except SyntaxError as error:
                raise BackendError(
                    f"the SPARQL backend at {self.url} sent {syntax.name} that cannot be read: {_one_line(str(error))}"
                ) from None
        except TimeoutError:
            raise QueryTimeoutError.at(time_limit) from None
        except (OSError, http.client.HTTPException) as error:
            said = "broke off its answer" if response is not None else "cannot be reached"
            raise BackendError(f"the SPARQL backend at {self.url} {said}: {_reason(error)}") from None
        finally:
            if response is not None:
                response.close()
            connection.close()

    def _parse(self, kind: str, syntax: RdfSyntax | ResultsSyntax, response: http.client.HTTPResponse) -> Any:
        """The answer as it arrives: triples, a boolean, or the variables and rows of solutions."""
        if kind == "graph":
            quads = ox.parse(response, format=syntax.oxigraph, base_iri=self.url, rename_blank_nodes=False)
            return (quad.triple for quad in quads)
        if kind == "solutions" and syntax.name == "xml":  # Oxigraph's parser refuses Virtuoso's blank node labels
            return read_xml_solutions(response)
        results = ox.parse_query_results(response, format=syntax.oxigraph)
        if (kind == "boolean") != isinstance(results, ox.QueryBoolean):
            got = "a boolean" if isinstance(results, ox.QueryBoolean) else "solutions"
            raise BackendError(f"the SPARQL backend at {self.url} answered a query for {kind} with {got}")
        return solution_rows(results) if kind == "solutions" else results

    def _refusal(self, response: http.client.HTTPResponse) -> KgError:
        """The error for an answer that is not 2xx, with the backend's own message on one line."""
        try:
            detail = _one_line(response.read(4 * _DETAIL).decode("utf-8", "replace"))
        except (OSError, http.client.HTTPException):
            detail = ""
        status = f"HTTP {response.status} {response.reason}".strip()
        said = f"{status}: {detail}" if detail else status
        if 300 <= response.status < 400:
            location = _one_line(response.getheader("Location") or "an unnamed place")
            return BackendError(
                f"the SPARQL backend at {self.url} redirects to {location}; redirects are not followed:"
                " give the final URL to --backend"
            )
        if response.status == 400:
            return BackendRefusedError(f"the SPARQL backend refused the query: {detail or status}")
        if response.status in _UNAVAILABLE:
            return BackendUnavailableError(f"the SPARQL backend at {self.url} is unavailable ({said}): retry later")
        return BackendError(f"the SPARQL backend at {self.url} answered {said}")


def accept_header(kind: str) -> str:
    """The Accept header asking a backend for syntaxes that read back losslessly, best first.

    >>> accept_header("solutions")
    'application/sparql-results+xml, application/sparql-results+json;q=0.9, text/tab-separated-values;q=0.8'
    """
    registry = RDF_SYNTAXES if kind == "graph" else RESULTS_SYNTAXES
    ranges = [registry[name].media_type for name in _ASK_FOR[kind]]
    return ", ".join(media if n == 0 else f"{media};q={1 - n / 10:g}" for n, media in enumerate(ranges))


def _readable_syntax(kind: str, media_type: str) -> RdfSyntax | ResultsSyntax | None:
    """The syntax of an answer in ``media_type`` that can be parsed for a result of ``kind``, or None.

    >>> _readable_syntax("graph", "text/turtle").name, _readable_syntax("solutions", "text/csv")
    ('turtle', None)
    """
    if kind == "graph":
        syntaxes: list[RdfSyntax | ResultsSyntax] = list(GRAPH_SYNTAXES.values())
    else:
        syntaxes = [RESULTS_SYNTAXES[name] for name in _READABLE_RESULTS]
    return next((s for s in syntaxes if media_type in (s.media_type, *s.aliases)), None)


@contextlib.contextmanager
def _no_new_files() -> Iterator[None]:
    """Inside the block no file descriptor can be opened (no file, no socket); afterwards they can again."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(3, soft), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _reason(error: BaseException) -> str:
    """An OS or HTTP error in a few words: 'Connection refused', not '[Errno 111] Connection refused'."""
    return _one_line(getattr(error, "strerror", None) or str(error) or type(error).__name__)


def _one_line(text: str) -> str:
    """``text`` on one line, cut short.

    >>> _one_line("error at 1:11: expected\\n  one of '}'")
    "error at 1:11: expected one of '}'"
    """
    line = " ".join(text.split())
    return line if len(line) <= _DETAIL else line[:_DETAIL] + " ..."
