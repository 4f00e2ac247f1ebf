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
    "a person who is an organisation": (
        "  tomas-reed:\n    a: Person\n",
        "  tomas-reed:\n    a: [Person, Organisation]\n",
        "the data contradicts the ontology: Disjoint classes nkg:Organisation and nkg:Person have a common"
        " individual id:tomas-reed",
    ),
    "two places made one by a functional property": (
        "    location: harbour-hall\n",
        "    location: harbour-hall\n  - quote: in Port Vell on Monday for a summit on fishing rights\n"
        "    about: harbour-summit\n    location: port-vell\n",
        "the data contradicts the ontology: id:harbour-hall and id:port-vell would be one thing, because"
        " id:harbour-summit has both as values of the functional property nkg:location",
    ),
    "an event on two days": (
        "    date: tomorrow\n",
        "    date: tomorrow\n  - quote: met at the Harbour Hall in Port Vell on Monday\n"
        "    about: treaty-signing\n    coreference: met\n    date: Monday\n",
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
        "1 SHACL violation(s): id:treaty-signing (nkg:status): An event needs a status: held, planned or ongoing."
    )


#: fixture file (one per shape) -> the violations it must produce, as "focus (path): message"
VIOLATIONS = {
    "anomaly": [
        "id:odd (oa:hasTarget): An anomaly needs the words it is about (oa:hasTarget).",
        "id:odd (oa:motivatedBy): An anomaly is a Web Annotation motivated by oa:questioning.",
        "id:odd (rdf:type): An anomaly is asserted an oa:Annotation, for clients that read it without reasoning.",
        "id:odd (rdfs:comment): An anomaly needs a note saying what cannot be right (rdfs:comment).",
    ],
    "asserted-fact": [
        "id:an-axiom (nkg:certainty): An asserted fact is certain: an uncertain statement is a claim's proposition.",
        "id:an-axiom (nkg:polarity): An asserted fact is positive: a negated statement is a claim's proposition or a value (false).",
        "id:an-axiom (nkg:timeStatus): An asserted fact has happened or is planned: a hypothetical statement is a claim's proposition.",
    ],
    "claim-content": [
        "id:empty-claim (nkg:attributedClause): A claim needs its attributed clause: the words the claimant, not the article, answers for.",
        "id:empty-claim (nkg:claimContent): A claim needs what it says: at least one proposition (nkg:claimContent); a"
        " quotation alone says nothing a query can find.",
        "id:empty-claim: A claim needs the quote of the article that reports it (evidence with a quote selector).",
    ],
    "claim": [
        "id:rumour (nkg:attributedClause): A claim needs its attributed clause: the words the claimant, not the article, answers for.",
        "id:rumour (nkg:claimContent): A claim needs what it says: at least one proposition (nkg:claimContent); a"
        " quotation alone says nothing a query can find.",
        "id:rumour (nkg:claimant): A claim needs exactly one claimant, an agent.",
        "id:rumour (nkg:epistemicStatus): A claim needs one epistemic status.",
        "id:rumour (nkg:reportingVerb): A claim needs the reporting verb the article uses ('claimed', 'told', ...).",
        "id:rumour: A claim needs the quote of the article that reports it (evidence with a quote selector).",
    ],
    "condition-and-purpose": [
        "id:a-plan (nkg:hasCondition): A condition is a proposal, a proposition or an event.",
        "id:a-plan (nkg:hasPurpose): A purpose is a proposal (an aim) or an event.",
    ],
    "correction": [
        "id:vague-correction (nkg:confidence): A correction needs one confidence: certain or conjectural.",
        "id:vague-correction (nkg:correctWording): A correction needs the correct wording (nkg:correctWording).",
        "id:vague-correction (nkg:correctionOf): A correction needs the thing it is about (nkg:correctionOf).",
        "id:vague-correction (nkg:correctsText): A correction needs the words it corrects (nkg:correctsText).",
        "id:vague-correction (nkg:wordingAsStated): A correction needs the article's wording (nkg:wordingAsStated).",
        "id:vague-correction (oa:bodyValue): A correction's body is the correct wording (oa:bodyValue, asserted beside"
        " nkg:correctWording).",
        "id:vague-correction (oa:hasTarget): A correction targets the words it corrects (oa:hasTarget, asserted beside"
        " nkg:correctsText).",
        "id:vague-correction (oa:motivatedBy): A correction is a Web Annotation motivated by oa:editing.",
        "id:vague-correction (rdf:type): A correction is asserted an oa:Annotation, for clients that read it without"
        " reasoning.",
        "id:vague-correction (rdfs:comment): A correction needs a note saying why (rdfs:comment).",
    ],
    "event-date": [
        "id:undated-call: An event needs a date (nkg:date) or a stated reason why not (nkg:dateUnknownReason).",
    ],
    "event-date-words": [
        "id:unprinted: A day read off the text needs its printed words (nkg:dateAsStated); a day worked out needs its"
        " anchor and rule (nkg:dateAnchor, nkg:dateRule).",
        "id:worked-out: A day read off the text needs its printed words (nkg:dateAsStated); a day worked out needs its"
        " anchor and rule (nkg:dateAnchor, nkg:dateRule).",
    ],
    "event-place": [
        "id:placeless-summit: An event needs a place (nkg:location, nkg:takesPlaceIn) or a stated reason why not (nkg:placeUnknownReason).",
    ],
    "event": [
        "id:ghost-meeting (nkg:status): An event needs a status: held, planned or ongoing.",
        "id:ghost-meeting: An event needs its participants (nkg:hasParticipant or nkg:hostedBy).",
    ],
    "external-match": [
        "id:somewhere (skos:exactMatch): An external identifier is a Wikidata item (http://www.wikidata.org/entity/Q...).",
        "id:somewhere: An external identifier needs the public source it was verified in (dcterms:source on its statement).",
    ],
    "factuality": [
        "id:p1 (nkg:certainty): A statement needs one certainty: certain, probable or possible.",
        "id:p1 (nkg:hedge): A hedge is the article's words, a plain string.",
        "id:p1 (nkg:polarity): A statement needs one polarity: positive or negative.",
        "id:p1 (nkg:timeStatus): A statement needs one time status: happened, planned or hypothetical.",
    ],
    "labelled": [
        "id:nameless (rdfs:label): Every entity needs a label (rdfs:label).",
    ],
    "mention": [
        "<https://w3id.org/newskg/article/a/mention/1-2> (oa:hasBody): A mention names exactly one entity (oa:hasBody).",
        "<https://w3id.org/newskg/article/a/mention/1-2> (oa:hasTarget): A mention stands at exactly one span of the article (oa:hasTarget).",
        "<https://w3id.org/newskg/article/a/mention/1-2> (oa:motivatedBy): A mention is a Web Annotation motivated by oa:identifying.",
        "<https://w3id.org/newskg/article/a/mention/1-2> (rdf:type): A mention is asserted an oa:Annotation, for clients that read it without reasoning.",
    ],
    "office": [
        "id:grand-vizier (nkg:officeOf): An office belongs to exactly one state or organisation (nkg:officeOf).",
    ],
    "participation": [
        "id:a-part (nkg:participant): A participation needs exactly one participant, an agent.",
        "id:a-part (nkg:participationStatus): A participation needs a status: invited, accepted, expected or attended.",
        "id:a-part (nkg:role): A participant's role is host or co-chair (none for a plain participant).",
        "id:a-part: A participation is a part in exactly one event.",
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
        "<https://w3id.org/newskg/article/a#char=1,2> (nkg:zone): A text segment lies in one zone of the page (nkg:zone).",
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
