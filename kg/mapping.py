"""Turn one article folder (text + declarative mapping) into its asserted graph.

The mapping (``data/<slug>/mapping.yaml``) names things and states facts, each with the words of
the article that state it. This module checks every name against the ontology and every quote
against the text, and writes each asserted triple together with an ``owl:Axiom`` that carries its
evidence: a ``nkg:TextSegment`` located by Web Annotation selectors, or, for the few facts of
background knowledge the article takes for granted, a ``dcterms:source``.

See ``data/README.md`` for the mapping's format.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg.dates import day_start, resolve_day
from kg.errors import MappingError
from kg.evidence import QuoteError, Span, describe_segment, locate
from kg.namespaces import ARTICLE, ID, NKG, SCHEMA, bind_prefixes
from kg.project import MAPPING_FILE, Project
from kg.vocabulary import PropertyKind, Vocabulary
from kg.yamlfile import Located, load_yaml

SECTIONS = ("article", "entities", "facts", "claims", "corrections", "background")
ARTICLE_KEYS = {"text", "title", "date", "quote", "language"}
#: Keys of an entity, fact or background entry that are not property names.
ENTRY_KEYS = {"quote", "occurrence", "about", "source", "note", "mention", "label", "aka", "a"}
CLAIM_KEYS = {"quote", "occurrence", "label", "claimant", "verb", "status", "through", "during", "quotation", "says"}
CORRECTION_KEYS = {"quote", "occurrence", "wording", "correct", "of", "note", "source"}
#: The id that names the article itself in facts (``about: article``).
ARTICLE_ID = "article"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Article:
    """An article's identity and verbatim text."""

    slug: str
    iri: URIRef
    text: str
    date: date
    language: str
    title: str


Evidence = URIRef  # a nkg:TextSegment, or an external source for background facts


@dataclass
class _Assertions:
    """Asserted triples, each with the set of text segments and sources that support it."""

    evidence: dict[tuple, set[Evidence]] = field(default_factory=dict)
    sources: dict[tuple, set[URIRef]] = field(default_factory=dict)

    def add(self, triple: tuple, *, evidence: Evidence | None = None, source: URIRef | None = None) -> None:
        self.evidence.setdefault(triple, set())
        self.sources.setdefault(triple, set())
        if evidence is not None:
            self.evidence[triple].add(evidence)
        if source is not None:
            self.sources[triple].add(source)

    def write(self, graph: Graph, slug: str) -> None:
        """Add each triple and, for it, one owl:Axiom carrying its evidence (OWL 2's annotated assertion)."""
        for triple in self.evidence:
            graph.add(triple)
            axiom = BNode(f"ax{_digest((slug, *triple))}")
            graph.add((axiom, RDF.type, OWL.Axiom))
            graph.add((axiom, OWL.annotatedSource, triple[0]))
            graph.add((axiom, OWL.annotatedProperty, triple[1]))
            graph.add((axiom, OWL.annotatedTarget, triple[2]))
            for segment in self.evidence[triple]:
                graph.add((axiom, NKG.evidence, segment))
            for source in self.sources[triple]:
                graph.add((axiom, DCTERMS.source, source))


def _digest(terms: tuple) -> str:
    """A short stable label part: the OWL API hashes blank node labels over ~32 characters with a
    library that Java 17 no longer ships, so labels stay short."""
    return hashlib.sha256(" ".join(str(term) for term in terms).encode()).hexdigest()[:20]


def _proposition_id(claim: str, number: int) -> str:
    """The id of a claim's n-th proposition: the claim's id with ``-p<n>``."""
    return f"{claim}-p{number}"


def map_article(folder: Path, project: Project, vocabulary: Vocabulary) -> tuple[Article, Graph]:
    """Read ``folder``'s mapping and text; return the article and its asserted graph.

    :raises MappingError: naming the file, line and fact of the first problem found.
    """
    return _ArticleMapper(folder, project, vocabulary).run()


class _ArticleMapper:
    """One pass over one mapping file; raises on the first problem."""

    def __init__(self, folder: Path, project: Project, vocabulary: Vocabulary) -> None:
        self.folder = folder
        self.slug = folder.name
        self.display = project.display(folder / MAPPING_FILE)
        self.vocabulary = vocabulary
        self.graph = bind_prefixes(Graph())
        self.assertions = _Assertions()
        self.ids: dict[str, URIRef] = {}
        self.labels: dict[URIRef, str] = {}
        self.segments: set[Span] = set()

    # -- driver ---------------------------------------------------------------------------------

    def run(self) -> tuple[Article, Graph]:
        if not SLUG.fullmatch(self.slug):
            raise MappingError("folder name must be a lowercase slug (letters, digits, '-')", source=self.display)
        mapping = load_yaml(self.folder / MAPPING_FILE, display=self.display)
        if not isinstance(mapping, dict):
            raise MappingError("expected a mapping with sections " + ", ".join(SECTIONS), source=self.display)
        self._check_keys(mapping, set(SECTIONS), mapping, "top level")
        self.article = self._read_article(mapping.get("article"))
        self._register_ids(mapping)
        self._map_article_node(mapping["article"])
        for name, entry in (mapping.get("entities") or {}).items():
            self._map_entity(name, entry)
        for entry in mapping.get("facts") or []:
            self._map_fact(entry)
        for name, entry in (mapping.get("claims") or {}).items():
            self._map_claim(name, entry)
        for name, entry in (mapping.get("corrections") or {}).items():
            self._map_correction(name, entry)
        for entry in mapping.get("background") or []:
            self._map_background(entry)
        self.assertions.write(self.graph, self.slug)
        return self.article, self.graph

    # -- errors and checks ------------------------------------------------------------------------

    def error(self, message: str, node: Any, fact: str | None = None, key: str | None = None) -> MappingError:
        """A MappingError at the line of ``key`` in ``node`` (or of ``node`` itself)."""
        line = node.line_of(key) if isinstance(node, Located) else 0
        return MappingError(message, source=f"{self.display}:{line}" if line else self.display, fact=fact)

    def _check_keys(self, entry: Any, allowed: set[str], node: Any, fact: str, properties: bool = False) -> None:
        """Refuse keys that are neither ``allowed`` nor (when ``properties``) declared properties."""
        if not isinstance(entry, dict):
            raise self.error("expected a mapping of keys to values", node, fact)
        for key in entry:
            if key in allowed or (properties and self._property_keys({key: None})):
                continue
            what = "key or property" if properties else "key"
            candidates = sorted(allowed) + (self._property_names() if properties else [])
            hint = difflib.get_close_matches(str(key), candidates, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            expected = f" (keys: {', '.join(sorted(allowed))}{', or a property of the ontology' if properties else ''})"
            raise self.error(f"unknown {what} {key!r}{suggestion}{expected if not hint else ''}", entry, fact, key)

    def _property_names(self) -> list[str]:
        """Names a mapping can use for the ontology's properties: nkg local names, others prefixed."""
        names = []
        for iri in self.vocabulary.properties:
            local = str(iri).removeprefix(str(NKG))
            names.append(local if local != str(iri) else self.graph.namespace_manager.normalizeUri(iri))
        return names

    def _required(self, entry: dict, key: str, fact: str) -> Any:
        value = entry.get(key)
        if value is None or value == "" or value == []:
            raise self.error(f"missing '{key}'", entry, fact, key)
        return value

    # -- the article --------------------------------------------------------------------------------

    def _read_article(self, entry: Any) -> Article:
        fact = "article"
        if entry is None:
            raise MappingError("missing section 'article'", source=self.display)
        self._check_keys(entry, ARTICLE_KEYS, entry, fact)
        text_path = self.folder / str(self._required(entry, "text", fact))
        try:
            text = text_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self.error(f"article text not found: {text_path.name}", entry, fact) from None
        except UnicodeDecodeError:
            raise self.error(f"article text is not UTF-8: {text_path.name}", entry, fact) from None
        raw_date = str(self._required(entry, "date", fact))
        try:
            published = date.fromisoformat(raw_date)
        except ValueError:
            raise self.error(f"unparseable date {raw_date!r}; write YYYY-MM-DD", entry, fact) from None
        return Article(
            slug=self.slug,
            iri=ARTICLE[self.slug],
            text=text,
            date=published,
            language=str(entry.get("language", "en")),
            title=str(self._required(entry, "title", fact)),
        )

    def _map_article_node(self, entry: dict) -> None:
        """The article's own description: metadata of the document, not facts of the story."""
        article, iri = self.article, self.article.iri
        self.graph.add((iri, RDF.type, NKG.Article))
        self.graph.add((iri, RDFS.label, Literal(article.title, lang=article.language)))
        self.graph.add((iri, SCHEMA.articleBody, Literal(article.text)))
        self.graph.add((iri, SCHEMA.inLanguage, Literal(article.language)))
        self.labels[iri] = article.title
        span = self._segment(self._required(entry, "quote", "article"), None, entry, "article")
        published = Literal(day_start(article.date), datatype=XSD.dateTime)
        self.assertions.add((iri, SCHEMA.datePublished, published), evidence=self._evidence(span))

    # -- ids ------------------------------------------------------------------------------------------

    def _register_ids(self, mapping: dict) -> None:
        """Give every entity, claim, proposition and correction its IRI, refusing one IRI for two things."""
        self.ids[ARTICLE_ID] = self.article.iri
        for section in ("entities", "claims", "corrections"):
            entries = mapping.get(section) or {}
            if not isinstance(entries, dict):
                raise self.error(f"section '{section}' must map ids to entries", mapping, section)
            for name, entry in entries.items():
                fact = f"{section[:-1] if section != 'entities' else 'entity'} '{name}'"
                if not isinstance(name, str) or not SLUG.fullmatch(name):
                    raise self.error("id must be a lowercase slug (letters, digits, '-')", entry, fact)
                says = entry.get("says") if section == "claims" and isinstance(entry, dict) else None
                made = [_proposition_id(name, n) for n in range(1, len(says) + 1)] if isinstance(says, list) else []
                for made_name in [name, *made]:
                    if made_name in self.ids:
                        message = f"duplicate IRI {ID[made_name]}: the id '{made_name}' is already used"
                        raise self.error(message, entry, fact)
                    self.ids[made_name] = ID[made_name]
        for section in ("facts", "background"):
            if not isinstance(mapping.get(section) or [], list):
                raise self.error(f"section '{section}' must be a list of entries", mapping, section)

    def _resource(self, name: Any, node: Any, fact: str, key: str | None = None) -> URIRef:
        """An entity id of this mapping, or a named individual of the ontology (``held``, ``nkg:held``)."""
        if isinstance(name, str):
            if name in self.ids:
                return self.ids[name]
            individual = self.vocabulary.individual_from_name(name)
            if individual is not None:
                return individual
        raise self.error(f"unknown entity {name!r}: declare it under 'entities'", node, fact, key)

    # -- evidence -------------------------------------------------------------------------------------

    def _segment(
        self, quote: Any, occurrence: Any, node: Any, fact: str, within: Span | None = None, key: str = "quote"
    ) -> Span:
        if not isinstance(quote, str):
            raise self.error("a quote must be text", node, fact, key)
        if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
            raise self.error("'occurrence' must be a whole number from 1", node, fact, "occurrence")
        try:
            return locate(self.article.text, quote, occurrence, within)
        except QuoteError as problem:
            raise self.error(str(problem), node, fact, key) from None

    def _quoted(self, entry: dict, fact: str) -> tuple[Span, dict]:
        """Where the entry's ``quote`` stands, and the evidence it gives every triple of the entry."""
        span = self._segment(self._required(entry, "quote", fact), entry.get("occurrence"), entry, fact)
        return span, {"evidence": self._evidence(span)}

    def _name(self, subject: URIRef, cls: URIRef, label: str, support: dict) -> None:
        """Type and label a resource the mapping makes itself (claims, propositions, corrections)."""
        self.labels[subject] = label
        self.assertions.add((subject, RDF.type, cls), **support)
        self.assertions.add((subject, RDFS.label, Literal(label, lang=self.article.language)), **support)

    def _evidence(self, span: Span) -> URIRef:
        return describe_segment(self.graph, self.article.iri, self.article.text, span, label_prefix=self.slug)

    # -- sections -------------------------------------------------------------------------------------

    def _map_entity(self, name: str, entry: Any) -> None:
        fact = f"entity '{name}'"
        self._check_keys(entry, ENTRY_KEYS - {"about", "quote"}, entry, fact, properties=True)
        subject = self.ids[name]
        if "mention" in entry and "source" in entry:
            raise self.error("give either 'mention' (words of the article) or 'source' (a URL), not both", entry, fact)
        if "mention" in entry:
            span = self._segment(entry["mention"], entry.get("occurrence", 1), entry, fact, key="mention")
            support = {"evidence": self._evidence(span)}
        elif "source" in entry:
            support = {"source": self._source(entry, fact)}
        else:
            raise self.error("missing 'mention' (the words that name it in the article) or 'source'", entry, fact)
        label = self._required(entry, "label", fact)
        self.labels[subject] = str(label)
        self.assertions.add((subject, RDFS.label, Literal(str(label), lang=self.article.language)), **support)
        for class_name in self._as_list(self._required(entry, "a", fact)):
            self.assertions.add((subject, RDF.type, self._class(class_name, entry, fact)), **support)
        for alias in self._as_list(entry.get("aka")):
            if str(alias) not in self.article.text:
                raise self.error(f"alias not in the article: {alias!r}", entry, fact, "aka")
            self.assertions.add((subject, SKOS.altLabel, Literal(str(alias), lang=self.article.language)), **support)
        self._map_properties(subject, entry, support, fact)

    def _map_fact(self, entry: Any) -> None:
        about = entry.get("about") if isinstance(entry, dict) else None
        fact = f"fact about '{about}'"
        self._check_keys(entry, {"quote", "occurrence", "about", "note", "a"}, entry, fact, properties=True)
        subject = self._resource(self._required(entry, "about", fact), entry, fact)
        _, support = self._quoted(entry, fact)
        for class_name in self._as_list(entry.get("a")):
            self.assertions.add((subject, RDF.type, self._class(class_name, entry, fact)), **support)
        stated = self._map_properties(subject, entry, support, fact, quote=entry["quote"])
        if not stated and not entry.get("a"):
            raise self.error("the fact states nothing: add at least one property", entry, fact)

    def _map_background(self, entry: Any) -> None:
        about = entry.get("about") if isinstance(entry, dict) else None
        fact = f"background about '{about}'"
        self._check_keys(entry, {"source", "about", "note", "a"}, entry, fact, properties=True)
        subject = self._resource(self._required(entry, "about", fact), entry, fact)
        support = {"source": self._source(entry, fact)}
        for class_name in self._as_list(entry.get("a")):
            self.assertions.add((subject, RDF.type, self._class(class_name, entry, fact)), **support)
        if not self._map_properties(subject, entry, support, fact) and not entry.get("a"):
            raise self.error("the background fact states nothing: add at least one property", entry, fact)

    def _map_claim(self, name: str, entry: Any) -> None:
        fact = f"claim '{name}'"
        self._check_keys(entry, CLAIM_KEYS, entry, fact)
        claim = self.ids[name]
        span, support = self._quoted(entry, fact)
        add = self.assertions.add
        self._name(claim, NKG.Claim, str(self._required(entry, "label", fact)), support)
        add(
            (claim, NKG.claimant, self._resource(self._required(entry, "claimant", fact), entry, fact, "claimant")),
            **support,
        )
        add((claim, NKG.reportingVerb, Literal(str(self._required(entry, "verb", fact)))), **support)
        status = self._resource(self._required(entry, "status", fact), entry, fact, "status")
        add((claim, NKG.epistemicStatus, status), **support)
        for key, prop in (("through", NKG.reportedThrough), ("during", NKG.madeDuring)):
            for value in self._as_list(entry.get(key)):
                add((claim, prop, self._resource(value, entry, fact, key)), **support)
        for words in self._as_list(entry.get("quotation")):
            quotation = self._segment(words, None, entry, f"{fact} quotation", within=span, key="quotation")
            add((claim, NKG.quotation, self._evidence(quotation)), **support)
        for number, content in enumerate(self._as_list(entry.get("says")), start=1):
            proposition = ID[_proposition_id(name, number)]
            add((claim, NKG.claimContent, proposition), **support)
            self._map_proposition(proposition, content, entry, support, f"{fact} says #{number}")
        if not entry.get("says") and not entry.get("quotation"):
            raise self.error("a claim needs what it says: 'says' (propositions) or 'quotation'", entry, fact)

    def _map_proposition(self, proposition: URIRef, content: Any, node: Any, support: dict, fact: str) -> None:
        if not isinstance(content, list) or len(content) != 3:
            raise self.error("each 'says' item is [subject, property, object]", node, fact)
        subject_name, property_name, value = content
        subject = self._resource(subject_name, node, fact)
        prop = self.vocabulary.property_from_name(str(property_name))
        if prop is None:
            raise self.error(f"unknown property {property_name!r}", node, fact)
        add = self.assertions.add
        add((proposition, NKG.propositionSubject, subject), **support)
        add((proposition, NKG.propositionPredicate, prop.iri), **support)
        if prop.kind is PropertyKind.OBJECT:
            target = self._resource(value, node, fact)
            add((proposition, NKG.propositionObject, target), **support)
            object_label = self.labels.get(target, str(value))
        else:
            add((proposition, NKG.propositionValue, self._literal(prop, value, node, fact)), **support)
            object_label = f'"{value}"'
        predicate_label = self.vocabulary.labels.get(prop.iri, str(property_name))
        label = f"{self.labels.get(subject, subject_name)} {predicate_label} {object_label}"
        self._name(proposition, NKG.Proposition, label, support)

    def _map_correction(self, name: str, entry: Any) -> None:
        fact = f"correction '{name}'"
        self._check_keys(entry, CORRECTION_KEYS, entry, fact)
        correction = self.ids[name]
        span, support = self._quoted(entry, fact)
        wording = str(self._required(entry, "wording", fact))
        correct = str(self._required(entry, "correct", fact))
        wrong = self._segment(wording, None, entry, f"{fact} wording", within=span, key="wording")
        add = self.assertions.add
        self._name(correction, NKG.Correction, f"The article's {wording!r} should read {correct!r}", support)
        add((correction, NKG.correctsText, self._evidence(wrong)), **support)
        add((correction, NKG.wordingAsStated, Literal(wording)), **support)
        add((correction, NKG.correctWording, Literal(correct)), **support)
        add(
            (correction, NKG.correctionOf, self._resource(self._required(entry, "of", fact), entry, fact, "of")),
            **support,
        )
        add(
            (correction, RDFS.comment, Literal(str(self._required(entry, "note", fact)), lang=self.article.language)),
            **support,
        )
        if entry.get("source"):
            add((correction, DCTERMS.source, self._source(entry, fact)), **support)

    # -- properties and values ------------------------------------------------------------------------

    def _property_keys(self, entry: Any) -> set[str]:
        """The keys of ``entry`` that name a declared property (checked against the ontology)."""
        if not isinstance(entry, dict):
            return set()
        return {key for key in entry if key == "date" or self.vocabulary.property_from_name(str(key))}

    def _map_properties(self, subject: URIRef, entry: dict, support: dict, fact: str, quote: str | None = None) -> int:
        """Assert each property given in ``entry``; return how many values were stated."""
        stated = 0
        for key, values in entry.items():
            if key in ENTRY_KEYS:
                continue
            if key == "date":
                self._map_date(subject, values, entry, support, fact, quote)
                stated += 1
                continue
            prop = self.vocabulary.property_from_name(str(key))
            for value in self._as_list(values):
                if prop.kind is PropertyKind.OBJECT:
                    obj = self._resource(value, entry, fact, key)
                else:
                    obj = self._literal(prop, value, entry, fact, key)
                self.assertions.add((subject, prop.iri, obj), **support)
                stated += 1
        return stated

    def _map_date(
        self, subject: URIRef, expression: Any, entry: dict, support: dict, fact: str, quote: str | None
    ) -> None:
        expression = str(expression)
        day = resolve_day(expression, self.article.date)
        if day is None:
            raise self.error(
                f"unparseable date {expression!r}: use YYYY-MM-DD, a weekday ('Friday night'),"
                " 'today', 'tomorrow' or a day and month ('17 August')",
                entry,
                fact,
                "date",
            )
        if day.resolved and quote is not None and expression.lower() not in quote.lower():
            raise self.error(f"the date words {expression!r} are not in the quote", entry, fact, "date")
        add = self.assertions.add
        add((subject, NKG.date, Literal(day_start(day.day), datatype=XSD.dateTime)), **support)
        add((subject, NKG.dateAsStated, Literal(expression)), **support)
        add((subject, NKG.dateResolved, Literal(day.resolved)), **support)

    def _literal(self, prop, value: Any, node: Any, fact: str, key: str | None = None) -> Literal:
        if prop.kind is PropertyKind.ANNOTATION:
            return Literal(str(value), lang=self.article.language)
        datatype = prop.range
        try:
            if datatype == XSD.boolean:
                if not isinstance(value, bool):
                    raise ValueError("expected true or false")
                return Literal(value)
            if datatype in (XSD.nonNegativeInteger, XSD.integer):
                negative_allowed = datatype == XSD.integer
                if not isinstance(value, int) or isinstance(value, bool) or (value < 0 and not negative_allowed):
                    raise ValueError("expected a whole number" + ("" if negative_allowed else ", 0 or more"))
                return Literal(value, datatype=datatype)
            if datatype == XSD.dateTime:
                return Literal(datetime.fromisoformat(str(value)), datatype=XSD.dateTime)
        except ValueError as problem:
            raise self.error(f"bad value {value!r} for {prop.iri}: {problem}", node, fact, key) from None
        return Literal(str(value))

    def _class(self, name: Any, node: Any, fact: str) -> URIRef:
        iri = self.vocabulary.class_from_name(str(name))
        if iri is None:
            raise self.error(f"unknown class {name!r}", node, fact, "a")
        return iri

    def _source(self, entry: dict, fact: str) -> URIRef:
        source = str(self._required(entry, "source", fact))
        if not re.match(r"https?://\S+$", source):
            raise self.error(f"'source' must be an http(s) URL, not {source!r}", entry, fact, "source")
        return URIRef(source)

    @staticmethod
    def _as_list(value: Any) -> Iterable:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


__all__ = ["Article", "map_article"]
