"""Consistency and shape: contradictions stop the build naming what clashes; each SHACL shape catches bad data."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from rdflib import Graph
from rdflib.namespace import RDF, RDFS

from kg.build import build
from kg.errors import InconsistencyError, ShapeViolationError
from kg.namespaces import SH
from kg.validation import validate_graph

SHAPES_FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
MAPPING = "data/2031-04-02-harbour-summit/mapping.yaml"


def edited(fixture_project, old: str, new: str):
    project = fixture_project()
    path = project.root / MAPPING
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return project


CONTRADICTIONS = {
    "an event both held and planned": (
        "    date: Monday\n    status: held\n",
        "    date: Monday\n    status: held\n"
        "  - quote: a summit on fishing rights\n    about: harbour-summit\n    status: planned\n",
        "the data contradicts the ontology: 'sameAs' and 'AllDifferent' cannot be used on the same subject-object"
        " pair: (nkg:held, nkg:planned), because id:harbour-summit has both as values of the functional property"
        " nkg:status",
    ),
    "a person who is an organisation": (
        "  tomas-reed:\n    a: Person\n",
        "  tomas-reed:\n    a: [Person, Organisation]\n",
        "the data contradicts the ontology: Disjoint classes nkg:Organisation and nkg:Person have a common"
        " individual id:tomas-reed",
    ),
    "an event on two days": (
        "    date: tomorrow\n",
        "    date: tomorrow\n  - quote: met at the Harbour Hall in Port Vell on Monday\n"
        "    about: treaty-signing\n    date: Monday\n",
        "the data contradicts the ontology: id:treaty-signing has several values of the functional property"
        " nkg:date: '2031-03-31T00:00:00', '2031-04-03T00:00:00'",
    ),
}


@pytest.mark.parametrize("case", CONTRADICTIONS, ids=str)
def test_a_contradiction_stops_the_build_naming_individuals_and_axioms(fixture_project, case):
    old, new, message = CONTRADICTIONS[case]
    project = edited(fixture_project, old, new)
    with pytest.raises(InconsistencyError) as raised:
        build(project)
    assert str(raised.value) == message
    assert not project.build_dir.exists()


def test_a_shape_violation_stops_the_build_with_a_readable_report(fixture_project):
    project = edited(fixture_project, "    status: planned\n", "")
    with pytest.raises(ShapeViolationError) as raised:
        build(project)
    assert str(raised.value) == (
        "1 SHACL violation(s): id:treaty-signing (nkg:status): An event needs one status: held, planned or ongoing."
    )


#: fixture file (one per shape) -> the violations it must produce, as "focus (path): message"
VIOLATIONS = {
    "claim-content": [
        "id:empty-claim: A claim needs the quote of the article that reports it (evidence with a quote selector).",
        "id:empty-claim: A claim needs what it says: a proposition (nkg:claimContent) or a quotation (nkg:quotation).",
    ],
    "claim": [
        "id:rumour (nkg:claimant): A claim needs exactly one claimant, an agent.",
        "id:rumour (nkg:epistemicStatus): A claim needs one epistemic status.",
        "id:rumour (nkg:reportingVerb): A claim needs the reporting verb the article uses ('claimed', 'told', ...).",
        "id:rumour: A claim needs the quote of the article that reports it (evidence with a quote selector).",
        "id:rumour: A claim needs what it says: a proposition (nkg:claimContent) or a quotation (nkg:quotation).",
    ],
    "correction": [
        "id:vague-correction (nkg:correctWording): A correction needs the correct wording (nkg:correctWording).",
        "id:vague-correction (nkg:correctionOf): A correction needs the thing it is about (nkg:correctionOf).",
        "id:vague-correction (nkg:correctsText): A correction needs the words it corrects (nkg:correctsText).",
        "id:vague-correction (nkg:wordingAsStated): A correction needs the article's wording (nkg:wordingAsStated).",
        "id:vague-correction (rdfs:comment): A correction needs a note saying why (rdfs:comment).",
    ],
    "event-date": [
        "id:undated-call: An event needs a date (nkg:date) or a stated reason why not (nkg:dateUnknownReason).",
    ],
    "event-place": [
        "id:placeless-summit: An event needs a place (nkg:location, nkg:takesPlaceIn) or a stated reason why not (nkg:placeUnknownReason).",
    ],
    "event": [
        "id:ghost-meeting (nkg:status): An event needs one status: held, planned or ongoing.",
        "id:ghost-meeting: An event needs its participants (nkg:hasParticipant or nkg:hostedBy).",
    ],
    "labelled": [
        "id:nameless (rdfs:label): Every entity needs a label (rdfs:label).",
    ],
    "office": [
        "id:grand-vizier (nkg:officeOf): An office belongs to exactly one state or organisation (nkg:officeOf).",
    ],
    "proposition": [
        "id:p1 (nkg:propositionPredicate): A proposition needs one predicate, an IRI.",
        "id:p1: A proposition needs exactly one of an object or a value.",
    ],
    "text-position-selector": [
        "id:bad-selector (oa:end): A position selector needs one end offset, a non-negative integer.",
        "id:bad-selector (oa:start): A position selector needs one start offset, a non-negative integer.",
    ],
    "text-segment": [
        "<https://w3id.org/newskg/article/a#char=1,2> (oa:hasSelector): A text segment needs one position selector (oa:TextPositionSelector).",
        "<https://w3id.org/newskg/article/a#char=1,2> (oa:hasSelector): A text segment needs one quote selector (oa:TextQuoteSelector).",
        "<https://w3id.org/newskg/article/a#char=1,2> (oa:hasSource): A text segment needs the one article it is part of (oa:hasSource).",
    ],
}


def shape_names() -> set[str]:
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    return {str(shapes.value(s, RDFS.label)).replace(" ", "-") for s in shapes.subjects(RDF.type, SH.NodeShape)}


def test_every_shape_has_a_bad_fixture():
    assert set(VIOLATIONS) == shape_names()
    assert {p.stem for p in SHAPES_FIXTURES.glob("*.ttl")} == shape_names()


@pytest.mark.parametrize("shape", sorted(VIOLATIONS))
def test_the_shape_reports_bad_fixture_data(shape):
    ontology = Graph().parse(ROOT / "ontology" / "newskg.ttl")
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    data = Graph().parse(SHAPES_FIXTURES / f"{shape}.ttl")
    assert [str(v) for v in validate_graph(shapes, ontology, data)] == VIOLATIONS[shape]
