"""The ``kg`` command: build, coverage, schema, new-article, validate, query, explain, export, publish, serve.

Exit codes: 0 success; 1 a check or question answered "no" (not entailed, violations); 2 a user
error (bad input, bad arguments, no build, unknown format), with one line on stderr and no
traceback; a misspelled command or option gets a suggestion. ``kg COMMAND --help`` says what a
command does, its defaults, and gives an example.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kg import __version__
from kg.coverage import Coverage
from kg.errors import KgError
from kg.export import GRAPH_SELECTIONS
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES
from kg.project import Project

if TYPE_CHECKING:
    from pyoxigraph import Store

    from kg.dataset import GraphInfo, Manifest
    from kg.publish import Upload


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _ArgumentError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        return args.command(_project(args), args)
    except KgError as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (kg query ... | head): not a failure of kg
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _project(args: argparse.Namespace) -> Project | None:
    """The project folder; None for ``kg serve`` in front of a backend, which reads nothing from one.

    :raises KgError: when the folder is not a project and the command needs one.
    """
    try:
        return Project.at(args.project, args.build_dir)
    except KgError:
        if args.command is cmd_serve and _backend(args):
            return None
        raise


def _backend(args: argparse.Namespace) -> str | None:
    """The backend ``kg serve`` fronts: ``--backend``, or the ``BACKEND`` setting."""
    from server.settings import load_settings  # Flask loads only for `kg serve`

    return args.backend or load_settings()["BACKEND"]


class _ArgumentError(Exception):
    """Bad arguments: the one line to print (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line, a suggestion for a misspelled command or option, and no exit."""

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown option is told by the command it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            owner = next((p for p in self._parsers() if p.get_default("command") is command), self)
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> None:
        """Raise the one-line error (argparse prints the usage and exits)."""
        raise _ArgumentError(f"{self.prog}: error: {message}{self._suggestion(message)} (see {self.prog} --help)")

    def _suggestion(self, message: str) -> str:
        """'; did you mean ...?' for an unknown command or option close to a known one."""
        if "invalid choice: " in message:
            wrong = message.split("invalid choice: ", 1)[1].split("'")[1]
            known = [choice for action in self._actions for choice in (action.choices or [])]
        elif message.startswith("unrecognized arguments: "):
            wrong = message.removeprefix("unrecognized arguments: ").split()[0].split("=")[0]
            known = [option for parser in self._parsers() for option in parser._option_string_actions]
        else:
            return ""
        close = difflib.get_close_matches(wrong, [str(k) for k in known], n=1, cutoff=0.6)
        return f"; did you mean {close[0]!r}?" if close else ""

    def _parsers(self) -> list[argparse.ArgumentParser]:
        """This parser and its commands' parsers."""
        found: list[argparse.ArgumentParser] = [self]
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += list(action.choices.values())
        return found


class _Help(argparse.RawDescriptionHelpFormatter):
    """Help with each default shown (``--port PORT  ... (default: 8000)``) and the examples as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, [], argparse.SUPPRESS) and "default" not in text
        return f"{text} (default: %(default)s)" if shown and action.option_strings else text


def _command(
    commands, run: Callable[..., int], summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """The parser of the command that ``run`` (``cmd_NAME``) carries out, with its help and examples."""
    parser = commands.add_parser(
        run.__name__.removeprefix("cmd_").replace("_", "-"),
        help=summary,
        description=textwrap.fill(f"{summary[0].upper()}{summary[1:]}. {description}", 100),
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples.strip().splitlines()),
        formatter_class=_Help,
    )
    parser.set_defaults(command=run)
    return parser


def _port(value: str) -> int:
    """A TCP port number, 0 (any free port) to 65535.

    >>> _port("8080"), _port("0")
    (8080, 0)
    """
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535 (0: any free one), not {value[:20]!r}")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kg",
        description="The news story knowledge graph: build it from the articles, query it, explain it, export and"
        " serve it. 'kg COMMAND --help' tells more of each command.",
        epilog="examples:\n  kg build\n  kg query @queries/08-starmer-events.rq\n  kg serve",
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    parser.add_argument("--project", metavar="DIR", help="project folder (default: $KG_PROJECT or the current folder)")
    parser.add_argument("--build-dir", metavar="DIR", help="build folder (default: $KG_BUILD_DIR or DIR/build)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    build = _command(
        commands,
        cmd_build,
        "map the articles, reason, check, and write the build folder",
        "Nothing is done when the inputs (ontology, data, the code of kg) have not changed since the last build;"
        " a failed build leaves the previous one in place.",
        "kg build\nkg build --force",
    )
    build.add_argument("--force", action="store_true", help="rebuild even when the inputs have not changed")

    coverage = _command(
        commands,
        cmd_coverage,
        "how much of each article its graph covers, and the content sentences it leaves out",
        "Counts, per article, the content sentences with a fact, with a claim only, or with nothing, and the"
        " mentions; lists the sentences no statement covers.",
        "kg coverage\nkg coverage --format json",
    )
    coverage.add_argument("--format", default="text", choices=["text", "json"], help="how to write the figures")

    _command(
        commands,
        cmd_schema,
        "write the JSON Schemas of mapping.yaml and registry.yaml and data/README.md's key reference",
        "Generated from the grammar of the mapping language (kg/mapping/grammar.py) and the ontology's classes,"
        " properties and definitions; editors that read the yaml-language-server line of each mapping complete"
        " and explain its keys with them. Files that would not change are left as they are.",
        "kg schema",
    )

    new_article = _command(
        commands,
        cmd_new_article,
        "start an article: copy its text into data/FOLDER and write a draft mapping to review",
        "The draft names the registry's things whose names occur in the text (with their mentions), the date"
        " words it can resolve against --date, and quoted or reported passages as claim skeletons; every line"
        " is marked for review. An existing folder is never overwritten.",
        "kg new-article 2025-08-18-white-house-meeting --text article.txt --date 2025-08-18",
    )
    new_article.add_argument("folder", help="the article's folder name under data/ (a lowercase slug: DATE-words)")
    new_article.add_argument("--text", required=True, type=Path, help="the article's text, verbatim (UTF-8)")
    new_article.add_argument("--date", required=True, help="the article's date, YYYY-MM-DD")

    _command(
        commands,
        cmd_validate,
        "run every check of the build without writing the build folder",
        "The mapping, the reasoner's consistency check and the SHACL shapes; exit code 2 and one line naming"
        " the problem when a check fails. What it maps and validates is kept in the build's cache.",
        "kg validate",
    )

    query = _command(
        commands,
        cmd_query,
        "run a SPARQL query against the build",
        "The project's prefixes (nkg:, id:, schema: ...) are predeclared; the default graph is the union of the"
        " named graphs, inferences included. SERVICE and updates are refused.",
        "kg query 'SELECT ?who WHERE { id:alaska-summit nkg:hostedBy/rdfs:label ?who }'\n"
        "kg query --format csv @queries/09-timeline.rq\n"
        "echo 'ASK { ?s ?p ?o }' | kg query --no-infer -",
    )
    query.add_argument("query", help="the query text, or @FILE to read it from a file, or - for standard input")
    query.add_argument(
        "--format",
        default="table",
        choices=["table", *RESULTS_SYNTAXES, *GRAPH_SYNTAXES],
        help="how to write the answer: a table, or a standard syntax",
    )
    query.add_argument("--no-infer", action="store_true", help="query without the inferred graph")

    explain = _command(
        commands,
        cmd_explain,
        "why a triple holds: the rules and premises behind an inference",
        "Prints the proof down to the asserted triples and the article's words that state them; exit code 1"
        " and 'not entailed' for a triple that does not hold.",
        "kg explain id:keir-starmer nkg:holdsOfficeIn id:united-kingdom\n"
        "kg explain --format json id:keir-starmer a nkg:Agent",
    )
    explain.add_argument("subject", help="prefix:name, <IRI>")
    explain.add_argument("predicate", help="prefix:name, <IRI> or a")
    explain.add_argument("object", help='prefix:name, <IRI> or a literal in N-Triples form ("...")')
    explain.add_argument("--format", default="text", choices=["text", "json"], help="how to write the proof")

    export = _command(
        commands,
        cmd_export,
        "write graphs of the build to a file",
        "Dataset syntaxes (trig, nquads) keep the named graphs apart; triple syntaxes write their union.",
        "kg export --graph all --format trig -o newskg.trig\nkg export --graph inferred -o inferred.nt\n"
        "kg export --protege -o newskg.owl",
    )
    export.add_argument("--graph", default="all", choices=GRAPH_SELECTIONS, help="which named graphs")
    export.add_argument(
        "--format", choices=sorted(RDF_SYNTAXES), help="the syntax (default: from the file's extension)"
    )
    export.add_argument("--protege", action="store_true", help="ontology + individuals as one OWL (RDF/XML) file")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write")

    publish = _command(
        commands,
        cmd_publish,
        "upload every named graph to a Graph Store Protocol endpoint",
        "One PUT per graph (a repeat is idempotent); the store's triple counts are compared with the build's at"
        " the end (exit code 1 when they differ).",
        "kg publish --to http://127.0.0.1:7878/store\n"
        "KG_PUBLISH_PASSWORD=dba kg publish --to http://127.0.0.1:8890/sparql-graph-crud-auth --user dba",
    )
    publish.add_argument(
        "--to", required=True, metavar="URL", help="the store's GSP URL, e.g. http://host:3030/ds/data"
    )
    publish.add_argument(
        "--query-url",
        metavar="URL",
        help="the store's SPARQL query endpoint, to count the triples published (default: derived from --to"
        " for Oxigraph, Virtuoso, Fuseki, GraphDB and Neptune)",
    )
    publish.add_argument(
        "--user", help="user for Basic or Digest authentication, as the store asks (password from $KG_PUBLISH_PASSWORD)"
    )
    publish.add_argument("--token", help="bearer token (default: $KG_PUBLISH_TOKEN)")
    publish.add_argument(
        "--resume",
        action="store_true",
        help="skip the graphs published to this store before, unchanged since and still whole there",
    )
    publish.add_argument(
        "--retries",
        default="3",
        metavar="N",
        help="try a graph that failed for a transient reason (reset, timeout, 5xx) N more times (default: 3)",
    )

    serve = _command(
        commands,
        cmd_serve,
        "build if needed, then serve the SPARQL endpoint (or put it in front of another with --backend)",
        "When the inputs do not build, the last good build is served with a warning. Settings come from"
        " KG_SERVER_* variables (see the README); SIGHUP reloads the build, SIGTERM stops.",
        "kg serve\nkg serve --host 0.0.0.0 --port 8080\nkg serve --backend http://127.0.0.1:7878/query",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=_port, default=8000, help="the port to listen on (0: any free one)")
    source = serve.add_mutually_exclusive_group()
    source.add_argument(
        "--graph",
        action="append",
        default=[],
        type=_graph_option,
        metavar="IRI=FILE",
        help="also serve an RDF file (.ttl, .nt, .rdf, .jsonld) as the named graph IRI, beside the build;"
        " repeatable; replaces $KG_SERVER_GRAPHS",
    )
    source.add_argument(
        "--backend",
        metavar="URL",
        help="answer queries from this remote SPARQL 1.1 query endpoint (e.g. a store filled by kg publish)"
        " instead of the local build, with the same protocol, limits and query page; nothing is built",
    )
    return parser


def _graph_option(value: str) -> tuple[str, str]:
    """``IRI=FILE`` as (IRI, FILE), split at the last ``=``: an IRI may hold one, a file name rarely does.

    >>> _graph_option("http://example.org/g?v=2=extra.ttl")
    ('http://example.org/g?v=2', 'extra.ttl')
    """
    iri, _, file = value.rpartition("=")
    if not iri or not file:
        raise argparse.ArgumentTypeError(f"expected IRI=FILE, e.g. http://example.org/g=extra.ttl, not {value!r}")
    return iri, file


def _built_store(project: Project, *, infer: bool = True) -> tuple[Manifest, Store]:
    """The build, made first if the inputs changed: its manifest and its store (with inferences or not), read-only."""
    from kg.build import build
    from kg.dataset import open_store

    build(project)
    return open_store(project.build_dir, infer=infer)


def cmd_build(project: Project, args: argparse.Namespace) -> int:
    from kg.build import build

    report = build(project, force=args.force)
    counts = report.manifest.counts
    if report.reused:
        print(f"kg: build is up to date in {project.display(project.build_dir)} (inputs unchanged)")
    else:
        print(f"kg: built {len(report.manifest.articles)} article(s) into {project.display(project.build_dir)}")
    print(
        f"  triples: {counts['asserted']} asserted, {counts['ontology']} ontology, "
        f"{counts['inferred']} inferred, {counts['filtered out']} filtered out"
    )
    for reason, count in report.manifest.filtered.items():
        print(f"    filtered: {count:6d}  {reason}")
    for coverage in report.manifest.coverage:
        print(f"  coverage: {Coverage(**coverage).summary()}")
    if report.timings:
        total = sum(report.timings.values())
        steps = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.timings.items())
        print(f"  time: {steps} (total {total:.2f} s)")
    return 0


def cmd_coverage(project: Project, args: argparse.Namespace) -> int:
    import json

    from kg.build import build

    manifest = build(project).manifest
    if args.format == "json":
        print(json.dumps(manifest.coverage, indent=2, ensure_ascii=False))
        return 0
    for data in manifest.coverage:
        coverage = Coverage(**data)
        print(f"kg: coverage of {coverage.summary()}")
        for zone, counts in coverage.zones.items():
            shown = ", ".join(f"{counts.get(what, 0)} {what}" for what in ("mentions", "facts", "claims"))
            print(f"  {zone}: {shown}")
        print(f"  content sentences without a statement: {len(coverage.unmapped)}")
        for sentence in coverage.unmapped:
            print(f"    - {sentence}")
        if coverage.unlinked:
            print(f"  capitalised words no mention covers: {', '.join(coverage.unlinked)}")
    return 0


def cmd_schema(project: Project, args: argparse.Namespace) -> int:
    from rdflib import Graph

    from kg.mapping.schema import written_files
    from kg.vocabulary import Vocabulary

    vocabulary = Vocabulary(Graph().parse(project.ontology_file, format="turtle"))
    for path, text in written_files(project.root, vocabulary).items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            print(f"kg: unchanged {project.display(path)}")
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise KgError(f"cannot write {project.display(path)}: {error.strerror or error}") from None
        print(f"kg: wrote {project.display(path)}")
    return 0


def cmd_new_article(project: Project, args: argparse.Namespace) -> int:
    from kg.draft import write_draft

    draft = write_draft(project, args.folder, args.text, args.date)
    print(f"kg: wrote {project.display(draft.mapping)}: a draft to review (every line marked 'review')")
    print(f"  found {draft.summary()}")
    print("  next: edit it, then 'kg build' (data/README.md explains each key)")
    return 0


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    from kg.build import check

    counts = check(project)
    print(
        f"kg: valid: {counts['articles']} article(s), {counts['asserted']} asserted triples, "
        f"{counts['inferred']} inferred; mapping, reasoning and SHACL checks passed"
    )
    return 0


def cmd_query(project: Project, args: argparse.Namespace) -> int:
    from kg.query import format_table, result_kind, run_query, serialize_result

    text = _read_query(args.query)
    _check_query(text)
    _, store = _built_store(project, infer=not args.no_infer)
    result = run_query(store, text)
    if args.format == "table" and result_kind(result) != "graph":
        print(format_table(result))
    else:  # a graph has no table: Turtle, with the project's prefixes
        sys.stdout.buffer.write(serialize_result(result, "turtle" if args.format == "table" else args.format))
    return 0


def _check_query(text: str) -> None:
    """Refuse what the endpoint refuses, before anything runs: an update, or a SERVICE clause (no network here).

    :raises KgError: saying what is refused.
    """
    from kg.querytext import QueryText, is_update

    if is_update(text):
        raise KgError("kg query runs SPARQL queries only: updates are not accepted (kg build makes the data)")
    if QueryText.scan(text).uses_service:
        raise KgError("SERVICE is not allowed: kg query answers from the build's dataset only")


def _read_query(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        try:
            return Path(argument[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise KgError(f"cannot read the query file {argument[1:]}: {error.strerror}") from None
    return argument


def cmd_explain(project: Project, args: argparse.Namespace) -> int:
    import json

    from kg.explain import Explainer, parse_term, short

    triple = (parse_term(args.subject), parse_term(args.predicate), parse_term(args.object))
    manifest, store = _built_store(project)
    proof = Explainer(store, manifest, project.build_dir).explain(triple)
    if proof is None:
        print(f"not entailed: {' '.join(short(t) for t in triple)} is neither asserted nor inferred")
        return 1
    print(json.dumps(proof.to_json(), indent=2, ensure_ascii=False) if args.format == "json" else proof.to_text())
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    from kg.export import check_output, export, export_protege
    from kg.formats import rdf_syntax, rdf_syntax_from_extension

    check_output(args.output)
    syntax = rdf_syntax(args.format) if args.format else rdf_syntax_from_extension(str(args.output))
    if syntax is None and not args.protege:
        raise KgError(f"cannot tell the format from {args.output.name!r}: pass --format")
    manifest, store = _built_store(project)
    if args.protege:
        count = export_protege(store, manifest, args.output)
        print(f"kg: wrote {count} triples (ontology + individuals, RDF/XML) to {args.output}")
        return 0
    count = export(store, manifest, args.graph, syntax, args.output)
    unit = "quads" if syntax.datasets else "triples"
    print(f"kg: wrote {count} {unit} ({args.graph}, {syntax.name}) to {args.output}")
    return 0


def cmd_publish(project: Project, args: argparse.Namespace) -> int:
    """Publish, then compare the store's triple counts with the build's: exit 1 when they differ."""
    from kg.build import build
    from kg.publish import Credentials, Target, check_target, publish, summary_lines

    if not args.retries.isdigit() or int(args.retries) > 100:
        raise KgError(f"--retries must be a whole number from 0 to 100, not {args.retries[:50]!r}")
    credentials = Credentials(
        user=args.user,
        password=os.environ.get("KG_PUBLISH_PASSWORD"),
        token=args.token or os.environ.get("KG_PUBLISH_TOKEN"),
    )
    target = Target(args.to, credentials, args.query_url)
    check_target(target)  # before building: a wrong URL is told at once
    build(project)
    report = publish(
        project.build_dir, target, resume=args.resume, retries=int(args.retries), progress=_PublishProgress()
    )
    for line in summary_lines(report, args.to):
        print(line)
    return 1 if report.mismatches else 0


class _PublishProgress:
    """``kg publish``'s output (a ``kg.publish.Progress``): a line per graph on stdout, retries and
    warnings on stderr, and a live progress bar on stderr only when it is a terminal."""

    def __init__(self) -> None:
        self.bar = sys.stderr.isatty()
        self.drawn = 0.0

    def sending(self, info: GraphInfo, sent: int, size: int, seconds: float) -> None:
        from kg.publish import bar_text

        if self.bar and (seconds - self.drawn >= 0.1 or seconds < self.drawn or sent == size):
            self.drawn = seconds
            sys.stderr.write("\r" + bar_text(info, sent, size, seconds) + "\x1b[K")
            sys.stderr.flush()

    def done(self, upload: Upload, number: int, total: int) -> None:
        from kg.publish import upload_line

        self._clear()
        print(upload_line(upload, number, total), flush=True)

    def retrying(self, info: GraphInfo, attempt: int, delay: float, reason: str) -> None:
        self._clear()
        print(f"kg: warning: {reason}; attempt {attempt} in {delay:g} s", file=sys.stderr, flush=True)

    def warning(self, message: str) -> None:
        self._clear()
        print(f"kg: warning: {message}", file=sys.stderr, flush=True)

    def _clear(self) -> None:
        if self.bar:
            self.drawn = 0.0
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def cmd_serve(project: Project | None, args: argparse.Namespace) -> int:
    """Serve the build (built first if needed), or, with a backend, front it; then no project is needed."""
    from server.settings import ENV_PREFIX  # Flask loads only for `kg serve`

    config: dict = {}
    if args.backend:
        config["BACKEND"] = args.backend
    if args.graph:
        config["GRAPHS"] = {iri: str(Path(file).resolve()) for iri, file in args.graph}
    if project is not None and f"{ENV_PREFIX}_EXAMPLES_DIR" not in os.environ:  # the page's examples
        config["EXAMPLES_DIR"] = str(project.root / "queries")
    if project is not None and not _backend(args):  # a remote backend needs no build
        _build_or_keep(project)
    from server.run import serve

    build_dir = None if project is None else project.build_dir
    return serve(build_dir, host=args.host, port=args.port, config=config)


def _build_or_keep(project: Project) -> None:
    """Build if the inputs changed; when they do not build, keep the last good build, saying so loudly.

    :raises KgError: why the inputs do not build, when there is no build to serve instead.
    """
    from kg.build import build
    from kg.dataset import read_manifest
    from server.front import WARNING_VARIABLE  # /health carries the warning

    try:
        report = build(project)
    except KgError as error:
        if read_manifest(project.build_dir) is None:
            raise
        folder = project.display(project.build_dir)
        for line in (
            "the inputs do not build; serving the last good build instead",
            f"why: {error}",
            f"fix the inputs, then run kg build and send kg serve SIGHUP (or restart it) to serve {folder} anew",
        ):
            print(f"kg: WARNING: {line}", file=sys.stderr, flush=True)
        os.environ[WARNING_VARIABLE] = (
            f"the inputs did not build when kg serve started ({error}): the last good build is served"
        )
        return
    if not report.reused:
        print(f"kg: built {len(report.manifest.articles)} article(s)")


if __name__ == "__main__":
    sys.exit(main())
