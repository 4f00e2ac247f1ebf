"""The ``kg`` command: build, validate, query, explain, export, serve.

Exit codes: 0 success; 1 a check or question answered "no" (not entailed, violations); 2 a user
error (bad input, no build, unknown format), with one line on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kg import __version__
from kg.coverage import Coverage
from kg.errors import KgError
from kg.export import GRAPH_SELECTIONS
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES
from kg.project import Project

if TYPE_CHECKING:
    from kg.dataset import GraphInfo
    from kg.publish import Upload


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="The news story knowledge graph.")
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    parser.add_argument("--project", metavar="DIR", help="project folder (default: $KG_PROJECT or the current folder)")
    parser.add_argument("--build-dir", metavar="DIR", help="build folder (default: $KG_BUILD_DIR or DIR/build)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="map the articles, reason, check, and write the build folder")
    build.add_argument("--force", action="store_true", help="rebuild even when the inputs have not changed")
    build.set_defaults(command=cmd_build)

    coverage = commands.add_parser(
        "coverage", help="how much of each article its graph covers, and the content sentences it leaves out"
    )
    coverage.add_argument("--format", default="text", choices=["text", "json"])
    coverage.set_defaults(command=cmd_coverage)

    schema = commands.add_parser(
        "schema", help="write the JSON Schemas of mapping.yaml and registry.yaml and data/README.md's key reference"
    )
    schema.set_defaults(command=cmd_schema)

    new_article = commands.add_parser(
        "new-article", help="start an article: copy its text into data/FOLDER and write a draft mapping to review"
    )
    new_article.add_argument("folder", help="the article's folder name under data/ (a lowercase slug: DATE-words)")
    new_article.add_argument("--text", required=True, type=Path, help="the article's text, verbatim (UTF-8)")
    new_article.add_argument("--date", required=True, help="the article's date, YYYY-MM-DD")
    new_article.set_defaults(command=cmd_new_article)

    validate = commands.add_parser("validate", help="run every check of the build without writing anything")
    validate.set_defaults(command=cmd_validate)

    query = commands.add_parser("query", help="run a SPARQL query against the build")
    query.add_argument("query", help="the query text, or @FILE to read it from a file, or - for standard input")
    query.add_argument("--format", default="table", choices=["table", *RESULTS_SYNTAXES, *GRAPH_SYNTAXES])
    query.add_argument("--no-infer", action="store_true", help="query without the inferred graph")
    query.set_defaults(command=cmd_query)

    explain = commands.add_parser("explain", help="why a triple holds: the rules and premises behind an inference")
    explain.add_argument("subject", help="prefix:name, <IRI>")
    explain.add_argument("predicate", help="prefix:name, <IRI> or a")
    explain.add_argument("object", help='prefix:name, <IRI> or a literal in N-Triples form ("...")')
    explain.add_argument("--format", default="text", choices=["text", "json"])
    explain.set_defaults(command=cmd_explain)

    export = commands.add_parser("export", help="write graphs of the build to a file")
    export.add_argument("--graph", default="all", choices=GRAPH_SELECTIONS)
    export.add_argument("--format", choices=sorted(RDF_SYNTAXES), help="default: from the file's extension")
    export.add_argument("--protege", action="store_true", help="ontology + individuals as one OWL (RDF/XML) file")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
    export.set_defaults(command=cmd_export)

    publish = commands.add_parser("publish", help="upload every named graph to a Graph Store Protocol endpoint")
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
    publish.set_defaults(command=cmd_publish)

    serve = commands.add_parser(
        "serve", help="build if needed, then serve the SPARQL endpoint (or put it in front of another with --backend)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
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
    serve.set_defaults(command=cmd_serve)
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
        path.parent.mkdir(parents=True, exist_ok=True)
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"kg: {'wrote' if changed else 'unchanged'} {project.display(path)}")
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
    from kg.build import build
    from kg.dataset import load_store
    from kg.query import format_table, result_kind, run_query, serialize_result

    text = _read_query(args.query)
    build(project)
    manifest, store = load_store(project.build_dir)
    result = run_query(store, manifest, text, infer=not args.no_infer)
    if args.format == "table" and result_kind(result) != "graph":
        print(format_table(result))
    else:  # a graph has no table: Turtle, with the project's prefixes
        sys.stdout.buffer.write(serialize_result(result, "turtle" if args.format == "table" else args.format))
    return 0


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

    from kg.build import build
    from kg.dataset import load_store
    from kg.explain import Explainer, parse_term, short

    triple = (parse_term(args.subject), parse_term(args.predicate), parse_term(args.object))
    build(project)
    manifest, store = load_store(project.build_dir)
    proof = Explainer(store, manifest, project.build_dir).explain(triple)
    if proof is None:
        print(f"not entailed: {' '.join(short(t) for t in triple)} is neither asserted nor inferred")
        return 1
    print(json.dumps(proof.to_json(), indent=2, ensure_ascii=False) if args.format == "json" else proof.to_text())
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    from kg.build import build
    from kg.dataset import load_store
    from kg.export import export, export_protege
    from kg.formats import rdf_syntax, rdf_syntax_from_extension

    build(project)
    manifest, store = load_store(project.build_dir)
    if args.protege:
        count = export_protege(store, manifest, args.output)
        print(f"kg: wrote {count} triples (ontology + individuals, RDF/XML) to {args.output}")
        return 0
    syntax = rdf_syntax(args.format) if args.format else rdf_syntax_from_extension(str(args.output))
    if syntax is None:
        raise KgError(f"cannot tell the format from {args.output.name!r}: pass --format")
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
        from kg.build import build

        report = build(project)
        if not report.reused:
            print(f"kg: built {len(report.manifest.articles)} article(s)")
    from server.run import serve

    build_dir = None if project is None else project.build_dir
    return serve(build_dir, host=args.host, port=args.port, config=config)


if __name__ == "__main__":
    sys.exit(main())
