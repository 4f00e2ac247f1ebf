"""Write graphs of the build in any RDF syntax, and one OWL document for Protege."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.dataset import Manifest
from kg.errors import KgError, UnsupportedFormat
from kg.formats import RdfSyntax, rdf_syntax
from kg.prefixes import PREFIX_IRIS

#: The ``--graph`` choices: which named graphs each one takes.
GRAPH_SELECTIONS = ("ontology", "asserted", "inferred", "all")
_OWL = "http://www.w3.org/2002/07/owl#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def graph_iris(manifest: Manifest, selection: str) -> list[str]:
    """The IRIs of the named graphs a ``--graph`` choice stands for."""
    if selection == "all":
        return [g.iri for g in manifest.graphs]
    if selection == "asserted":
        return [g.iri for g in manifest.graphs if g.name.startswith("article-") or g.name == "registry"]
    if selection in ("ontology", "inferred"):
        return [g.iri for g in manifest.graphs if g.name == selection]
    raise KgError(f"unknown graph selection {selection!r}; choose one of {', '.join(GRAPH_SELECTIONS)}")


def export(store: ox.Store, manifest: Manifest, selection: str, syntax: RdfSyntax, output: Path) -> int:
    """Write the selected graphs to ``output``; return the number of statements written.

    Triple syntaxes get the union of the graphs; dataset syntaxes (N-Quads, TriG) keep them apart.

    :raises KgError: for an unknown selection, or when ``output`` cannot be written.
    """
    iris = graph_iris(manifest, selection)
    quads = [q for iri in iris for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))]
    if syntax.datasets:
        statements = quads
    else:
        statements = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    _write(statements, syntax, output)
    return len(statements)


def export_protege(store: ox.Store, manifest: Manifest, output: Path) -> int:
    """Ontology and asserted individuals as one OWL document in RDF/XML, as Protege opens it.

    Every individual is declared ``owl:NamedIndividual`` so that Protege lists it under its classes.
    """
    if not output.suffix:
        raise UnsupportedFormat("give the Protege file an extension, such as .owl or .rdf")
    triples = {
        ox.Triple(q.subject, q.predicate, q.object)
        for iri in graph_iris(manifest, "ontology") + graph_iris(manifest, "asserted")
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
    }
    individuals = {
        t.subject
        for t in triples
        if t.predicate == _RDF_TYPE and isinstance(t.subject, ox.NamedNode) and not t.object.value.startswith(_OWL)
    }
    declarations = {ox.Triple(i, _RDF_TYPE, ox.NamedNode(_OWL + "NamedIndividual")) for i in individuals}
    statements = sorted(triples | declarations, key=str)
    _write(statements, rdf_syntax("rdfxml"), output)
    return len(statements)


def check_output(output: Path) -> None:
    """Refuse, before anything is built, a file name that can never be written.

    :raises KgError: for a folder, a path under a file, or no file name at all.
    """
    if not output.name or output.is_dir():
        raise KgError(f"cannot write {output}: it is a folder; give a file name, such as newskg.trig")
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise KgError(f"cannot write {output}: {parent} is a file, not a folder")
            break


def _write(statements: list, syntax: RdfSyntax, output: Path) -> None:
    check_output(output)
    partial = output.with_name(output.name + ".partial")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        ox.serialize(statements, str(partial), format=syntax.oxigraph, prefixes=PREFIX_IRIS)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise KgError(f"cannot write {output}: {error.strerror or _reason(error)}") from None


def _reason(error: OSError) -> str:
    """What an OSError without an errno (Oxigraph's) says, on one line."""
    return " ".join(str(error).split()) or type(error).__name__
