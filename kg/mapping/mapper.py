"""Read one mapping file, section by section, and write the article's asserted graph.

Order matters only where a section needs another: zones before any quote (evidence prefers the
body), entities before facts (a fact must name its subject), everything before the two rules of
faithfulness (``kg.mapping.rules``), which look at the whole.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from kg.dates import day_start
from kg.errors import MappingError
from kg.evidence import Span
from kg.mapping.claims import ClaimRecord, map_claim, proposition_ids
from kg.mapping.context import SLUG, Article, MappingContext
from kg.mapping.corrections import map_anomaly, map_correction
from kg.mapping.entities import map_entity, name_known
from kg.mapping.facts import PendingDate, map_background, map_fact, resolve_pending_dates
from kg.mapping.mentions import AmbiguousName, find_mentions, write_mentions
from kg.mapping.registry import Registry
from kg.mapping.rules import check_claim_fact_boundary, check_one_entity_per_thing, check_one_status_per_article
from kg.mapping.schema import check_structure, schema_for
from kg.mapping.statements import Kind
from kg.namespaces import ARTICLE, ID, NKG, SCHEMA
from kg.project import MAPPING_FILE, Project
from kg.text import Zoning
from kg.vocabulary import Vocabulary
from kg.yamlfile import load_yaml

#: Sections whose entries are named by an id, and the word for one entry in messages.
NAMED_SECTIONS = {"entities": "entity", "claims": "claim", "corrections": "correction", "anomalies": "anomaly"}
#: The id that names the article itself in facts (``about: article``).
ARTICLE_ID = "article"


def map_article(
    folder: Path, project: Project, vocabulary: Vocabulary, registry: Registry | None = None
) -> tuple[Article, Graph]:
    """Read ``folder``'s mapping and text; return the article and its asserted graph.

    :raises MappingError: naming the file, line and entry of the first problem found.
    """
    return map_article_declaring(folder, project, vocabulary, registry)[:2]


def map_article_declaring(
    folder: Path, project: Project, vocabulary: Vocabulary, registry: Registry | None = None
) -> tuple[Article, Graph, list]:
    """``map_article``, and the labels, classes and functional values the mapping declares (``file:line`` each)."""
    ctx = MappingContext(folder / MAPPING_FILE, project, vocabulary, registry or Registry())
    if not SLUG.fullmatch(ctx.slug):
        raise MappingError("folder name must be a lowercase slug (letters, digits, '-')", source=ctx.display)
    mapping = load_yaml(folder / MAPPING_FILE, display=ctx.display)
    check_structure(mapping, schema_for(vocabulary, "mapping"), ctx.display)
    ctx.article = _read_article(ctx, mapping.get("article"))
    ctx.zoning = _read_zones(ctx, mapping.get("zones"))
    _register_ids(ctx, mapping)
    _map_article_node(ctx, mapping["article"])
    names = {ctx.ids[name]: map_entity(ctx, name, entry) for name, entry in _named(mapping, "entities")}
    for known in ctx.registry.entities.values():
        if known.iri not in names and (found := name_known(ctx, known)) is not None:
            names[known.iri] = found
    pinned = {span: entity for entity, found in names.items() for span in found.spans}
    try:
        mentions = find_mentions(ctx.article.text, {entity: found.words for entity, found in names.items()}, pinned)
    except AmbiguousName as problem:
        raise _ambiguous(ctx, mapping, problem) from None
    pending: list[PendingDate] = []
    for entry in mapping.get("facts") or []:
        map_fact(ctx, entry, mentions, pending)
    resolve_pending_dates(ctx, pending)
    claims: list[ClaimRecord] = [map_claim(ctx, name, entry) for name, entry in _named(mapping, "claims")]
    for claim in claims:
        if claim.coreference is not None and mentions.setdefault(*claim.coreference) != claim.coreference[1]:
            raise MappingError(
                f"claim '{claim.name}': its coreference words already name another entity", source=claim.where
            )
    for name, entry in _named(mapping, "corrections"):
        map_correction(ctx, name, entry)
    for name, entry in _named(mapping, "anomalies"):
        map_anomaly(ctx, name, entry)
    for entry in mapping.get("background") or []:
        map_background(ctx, entry)
    check_claim_fact_boundary(ctx, claims)
    check_one_entity_per_thing(ctx, claims)
    check_one_status_per_article(ctx)
    ctx.statements.write(ctx.graph, ctx.slug, ctx.segment, ctx.registry.triples)
    write_mentions(ctx.graph, ctx.slug, mentions, ctx.segment)
    for chunk, _ in ctx.zoning.chunks():  # the page's layout: each stretch of one zone is a part of the article
        ctx.graph.add((ctx.article.iri, DCTERMS.hasPart, ctx.segment(chunk)))
    ctx.describe_segments()
    return ctx.article, ctx.graph, ctx.statements.declarations(vocabulary.functional)


def _ambiguous(ctx: MappingContext, mapping: dict, problem: AmbiguousName) -> MappingError:
    """The error for words that name two entities, at the article's entry (or the registry's) that gives them."""
    entries = dict(_named(mapping, "entities"))
    ids = {ctx.ids.get(n) or ctx.registry.entities[n].iri: n for n in [*entries, *ctx.registry.entities]}
    name, other = ids[problem.second], ids[problem.first]
    if name not in entries and other in entries:
        name, other = other, name
    if name in entries:
        entry = entries[name]
        return ctx.error(
            f"the words {problem.words!r} also name '{other}': give each entity words of its own",
            entry,
            f"entity '{name}'",
            "aka" if problem.words in (entry.get("aka") or []) else None,
        )
    return MappingError(
        f"the words {problem.words!r} name both '{name}' and '{other}' of the registry", source=ctx.display
    )


def _named(mapping: dict, section: str) -> list[tuple[str, Any]]:
    return list((mapping.get(section) or {}).items())


def _read_article(ctx: MappingContext, entry: Any) -> Article:
    fact = "article"
    if entry is None:
        raise MappingError("missing section 'article'", source=ctx.display)
    text_path = ctx.folder / str(ctx.required(entry, "text", fact))
    try:
        text = text_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ctx.error(f"article text not found: {text_path.name}", entry, fact) from None
    except UnicodeDecodeError:
        raise ctx.error(f"article text is not UTF-8: {text_path.name}", entry, fact) from None
    raw_date = str(ctx.required(entry, "date", fact))
    try:
        published = date.fromisoformat(raw_date)
    except ValueError:
        raise ctx.error(f"unparseable date {raw_date!r}; write YYYY-MM-DD", entry, fact) from None
    return Article(
        slug=ctx.slug,
        iri=ARTICLE[ctx.slug],
        text=text,
        date=published,
        language=str(entry.get("language", "en")),
        title=str(ctx.required(entry, "title", fact)),
    )


def _read_zones(ctx: MappingContext, section: Any) -> Zoning:
    """The zones of the page other than the body; each quote marks every occurrence unless one is chosen."""
    zoning = ctx.zoning = Zoning(len(ctx.article.text))  # all body while the zones are read
    if section is None:
        return zoning
    regions: list[tuple[Span, str]] = []
    for name, entries in section.items():  # the schema allows only the zones of the ontology (not the body)
        fact = f"zone '{name}'"
        for entry in ctx.as_list(entries):
            spans = ctx.locate_every(entry["quote"], entry, fact)
            if "occurrence" in entry:
                try:
                    spans = [spans[entry["occurrence"] - 1]]
                except IndexError:
                    raise ctx.error(f"the quote occurs {len(spans)} time(s)", entry, fact, "occurrence") from None
            for span in spans:
                clash = next((r for r, _ in regions if span.start < r.end and r.start < span.end), None)
                if clash is not None:
                    raise ctx.error(f"overlaps another zone's words: {ctx.article.text[clash.start:clash.end]!r}",
                                    entry, fact, "quote")  # fmt: skip
                regions.append((span, str(name)))
    return Zoning(len(ctx.article.text), tuple(sorted(regions)))


def _register_ids(ctx: MappingContext, mapping: dict) -> None:
    """Give every entity, claim, proposition, correction and anomaly its IRI, refusing one IRI for two things."""
    ctx.ids[ARTICLE_ID] = ctx.article.iri
    for section, word in NAMED_SECTIONS.items():
        for name, entry in (mapping.get(section) or {}).items():  # ids and entries as the schema allows
            fact = f"{word} '{name}'"
            if name in ctx.registry.entities and section != "entities":
                known = ctx.registry.entities[name]
                raise ctx.error(f"duplicate IRI {ID[name]}: the id '{name}' names a thing of the registry"
                                f" ({known.where})", entry, fact)  # fmt: skip
            says = entry.get("says") if section == "claims" and isinstance(entry, dict) else None
            for made in [name, *proposition_ids(name, says)]:
                if made in ctx.ids:
                    raise ctx.error(f"duplicate IRI {ID[made]}: the id '{made}' is already used", entry, fact)
                ctx.ids[made] = ID[made]


def _map_article_node(ctx: MappingContext, entry: dict) -> None:
    """The article's own description: metadata of the document, not facts of the story."""
    article, iri = ctx.article, ctx.article.iri
    ctx.graph.add((iri, RDF.type, NKG.Article))
    ctx.graph.add((iri, RDFS.label, Literal(article.title, lang=article.language)))
    ctx.graph.add((iri, SCHEMA.articleBody, Literal(article.text)))
    ctx.graph.add((iri, SCHEMA.inLanguage, Literal(article.language)))
    ctx.labels[iri] = article.title
    span = ctx.locate(ctx.required(entry, "quote", "article"), None, entry, "article")
    published = Literal(day_start(article.date), datatype=XSD.dateTime)
    ctx.statements.add((iri, SCHEMA.datePublished, published), Kind.RECORD, span=span)
