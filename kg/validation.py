"""SHACL validation of the asserted data with pySHACL: a failed check is a result; the build turns it into an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.errors import KgError, ShapeViolationError
from kg.namespaces import SH, bind_prefixes


@dataclass(frozen=True)
class Violation:
    """One SHACL result, with IRIs written as prefixed names."""

    focus: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.focus} ({self.path}): {self.message}" if self.path else f"{self.focus}: {self.message}"


def validate_graph(shapes: Graph, ontology: Graph, data: Graph) -> list[Violation]:
    """Check ``data`` against ``shapes``, the ontology alongside; return the violations (none: it conforms).

    :raises KgError: when the shapes themselves cannot be used.
    """
    try:
        conforms, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
        )
    except Exception as error:  # noqa: BLE001 - pySHACL raises many unrelated types for unusable shapes
        raise KgError(f"the SHACL shapes cannot be used: {str(error).splitlines()[0]}") from None
    if conforms:
        return []
    return sorted(_violations(report), key=str)


def _violations(report: Graph) -> list[Violation]:
    names = bind_prefixes(Graph())

    def name(term) -> str:
        return term.n3(names.namespace_manager) if term is not None else ""

    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        found.append(
            Violation(
                focus=name(report.value(result, SH.focusNode)),
                path=name(path) if isinstance(path, URIRef) else "",  # a complex path is a blank node
                message=str(
                    report.value(result, SH.resultMessage) or report.value(result, SH.sourceConstraintComponent)
                ),
            )
        )
    return found


def check_shapes(shapes_file: Path, ontology: Graph, asserted: list[Graph]) -> None:
    """Validate the union of the article graphs; raise with a readable report on any violation.

    :raises ShapeViolationError: listing focus node, path and message of each violation (at most 10 shown).
    """
    shapes = Graph().parse(shapes_file, format="turtle")
    data = Graph()
    for graph in asserted:
        data.addN((s, p, o, data) for s, p, o in graph)
    violations = validate_graph(shapes, ontology, data)
    if violations:
        shown = "; ".join(str(v) for v in violations[:10])
        more = f" (and {len(violations) - 10} more)" if len(violations) > 10 else ""
        raise ShapeViolationError(f"{len(violations)} SHACL violation(s): {shown}{more}")
