"""The ``corrections`` and ``anomalies`` sections: where the article is wrong, and where it reads wrongly.

The article's words are never changed. A correction is a Web Annotation motivated by ``oa:editing``
that targets the wrong words in every occurrence of the passage (a caption that repeats a sentence
of the body repeats its mistake), with the right words as its body and a confidence (certain or
conjectural). An anomaly, motivated by ``oa:questioning``, marks words that cannot be right but that
no correction settles yet, in every passage that has them (one quote or several).

Both are asserted as plain Web Annotations (``oa:Annotation``, ``oa:motivatedBy``, ``oa:hasTarget``,
a correction's ``oa:bodyValue``) beside the ontology's sub-properties, so that a client of the W3C
model reads them from the asserted graph alone, without reasoning.
"""

from __future__ import annotations

from typing import Any

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.evidence import Span
from kg.mapping.context import MappingContext
from kg.mapping.statements import Kind
from kg.namespaces import NKG, OA


def map_correction(ctx: MappingContext, name: str, entry: Any) -> None:
    fact = f"correction '{name}'"
    correction = ctx.ids[name]
    passages = ctx.locate_every(ctx.required(entry, "quote", fact), entry, fact)
    wording = str(ctx.required(entry, "wording", fact))
    correct = str(ctx.required(entry, "correct", fact))
    wrong = [ctx.words_in(wording, passage, entry, fact, "wording") for passage in passages]
    support = {"span": _first(ctx, passages), "origin": ctx.origin(entry, fact)}
    ctx.name(correction, NKG.Correction, f"The article's {wording!r} should read {correct!r}", **support)

    def state(prop, obj, key: str, **override) -> None:
        ctx.add((correction, prop, obj), Kind.RECORD, entry, fact, key, **(support | override))

    state(RDF.type, OA.Annotation, "quote")
    state(OA.motivatedBy, OA.editing, "quote")
    for passage, words in zip(passages, wrong, strict=True):
        for target in (NKG.correctsText, OA.hasTarget):
            state(target, ctx.segment(words), "wording", span=passage)
    state(NKG.wordingAsStated, Literal(wording), "wording")
    for body in (NKG.correctWording, OA.bodyValue):
        state(body, Literal(correct), "correct")
    state(NKG.correctionOf, ctx.resource(ctx.required(entry, "of", fact), entry, fact, "of"), "of")
    state(RDFS.comment, Literal(str(ctx.required(entry, "note", fact)), lang=ctx.language), "note")
    state(NKG.confidence, ctx.choice(entry, "confidence", fact, NKG.CorrectionConfidence), "confidence")
    if entry.get("source"):
        state(DCTERMS.source, ctx.source(entry, fact), "source")


def map_anomaly(ctx: MappingContext, name: str, entry: Any) -> None:
    fact = f"anomaly '{name}'"
    anomaly = ctx.ids[name]
    quotes = ctx.as_list(ctx.required(entry, "quote", fact))
    passages = [passage for quote in quotes for passage in ctx.locate_every(quote, entry, fact)]
    support = {"span": _first(ctx, passages), "origin": ctx.origin(entry, fact)}
    ctx.name(anomaly, NKG.Anomaly, str(ctx.required(entry, "label", fact)), **support)
    ctx.add((anomaly, RDF.type, OA.Annotation), Kind.RECORD, entry, fact, "quote", **support)
    ctx.add((anomaly, OA.motivatedBy, OA.questioning), Kind.RECORD, entry, fact, "quote", **support)
    for passage in passages:
        ctx.add((anomaly, OA.hasTarget, ctx.segment(passage)), Kind.RECORD, entry, fact, "quote", **support)
    note = Literal(str(ctx.required(entry, "note", fact)), lang=ctx.language)
    ctx.add((anomaly, RDFS.comment, note), Kind.RECORD, entry, fact, "note", **support)


def _first(ctx: MappingContext, passages: list[Span]) -> Span:
    """The passage that evidences the annotation itself: the first in the body, else the first."""
    return next((p for p in passages if ctx.in_body(p)), passages[0])
