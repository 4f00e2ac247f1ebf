"""The registry (``data/registry.yaml``): the things any article may name, declared once for the project.

People, states, organisations, outlets, offices and places recur from report to report. The
registry gives each one its id, class, label and other names once; an article names it by id, and
the build finds its names in the article's text as mentions. In each article that names it, its
class and label are asserted again with that article's words as evidence: one IRI, evidence from
every article. The registry's own graph declares each thing (class, label, other names: citing its
``source`` where one is given), its Wikidata link and background knowledge ("Anchorage is in
Alaska"), each fact with the source that states it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.mapping.context import SLUG, MappingContext
from kg.mapping.entities import map_wikidata
from kg.mapping.facts import map_background
from kg.mapping.schema import check_structure, schema_for
from kg.mapping.statements import Kind
from kg.namespaces import ID, bind_prefixes
from kg.project import Project
from kg.vocabulary import Vocabulary
from kg.yamlfile import Located, load_yaml

#: The registry's file, in data/.
REGISTRY_FILE = "registry.yaml"


@dataclass(frozen=True)
class Known:
    """One thing the registry declares."""

    id: str
    iri: URIRef
    label: str
    classes: tuple[URIRef, ...]
    aliases: tuple[str, ...]
    #: ``file:line`` of its entry.
    where: str
    #: The source that states what it is, if given.
    source: URIRef | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """Every name of it: its label, then its other names."""
        return (self.label, *(a for a in self.aliases if a != self.label))


@dataclass
class Registry:
    """The registry's things by id, and what it states itself."""

    entities: dict[str, Known] = field(default_factory=dict)
    graph: Graph = field(default_factory=lambda: bind_prefixes(Graph()))
    #: SHA-256 of the file (empty when the project has none): an article's mapping depends on it.
    digest: str = ""
    #: Label, class and functional values it declares, for the check across files (``kg.mapping.declarations``).
    declarations: list = field(default_factory=list)
    #: What it asserts (its graph without the annotations): an article that states one of these adds its evidence.
    triples: frozenset = frozenset()


def read_registry(project: Project, vocabulary: Vocabulary) -> Registry:
    """The project's registry (an empty one when ``data/registry.yaml`` does not exist).

    :raises MappingError: naming the file, line and entry of the first problem found.
    """
    path = project.root / "data" / REGISTRY_FILE
    if not path.is_file():
        return Registry()
    ctx = MappingContext(path, project, vocabulary)
    content = load_yaml(path, display=ctx.display) or Located()
    check_structure(content, schema_for(vocabulary, "registry"), ctx.display)
    registry = Registry(digest=hashlib.sha256(path.read_bytes()).hexdigest())
    entries = content.get("entities") or {}
    if not isinstance(entries, dict):
        raise ctx.error("section 'entities' must map ids to entries", content, "entities", "entities")
    owners: dict[str, str] = {}
    for name, entry in entries.items():
        known = _known(ctx, name, entry)
        for word in known.words:
            if owners.setdefault(word, name) != name:
                first = registry.entities[owners[word]]
                raise ctx.error(
                    f"the words {word!r} also name '{first.id}' ({first.where}): give each thing names of its own",
                    entry,
                    f"entity '{name}'",
                    "aka" if word != known.label else "label",
                )
        registry.entities[name] = known
        ctx.ids[name] = known.iri
    for name, entry in entries.items():
        _state(ctx, registry.entities[name], entry)
    background = content.get("background") or []
    if not isinstance(background, list):
        raise ctx.error("section 'background' must be a list of entries", content, "background", "background")
    for entry in background:
        map_background(ctx, entry)
    ctx.statements.write(registry.graph, "registry", ctx.segment)
    axioms = set(registry.graph.subjects(RDF.type, OWL.Axiom))
    registry.triples = frozenset(t for t in registry.graph if t[0] not in axioms)
    registry.declarations = ctx.statements.declarations(vocabulary.functional)
    return registry


def _known(ctx: MappingContext, name: Any, entry: Any) -> Known:
    fact = f"entity '{name}'"
    if not isinstance(name, str) or not SLUG.fullmatch(name):
        raise ctx.error("id must be a lowercase slug (letters, digits, '-')", entry, fact)
    classes = tuple(ctx.class_(c, entry, fact) for c in ctx.as_list(ctx.required(entry, "a", fact)))
    aliases = tuple(str(alias) for alias in ctx.as_list(entry.get("aka")))
    source = ctx.source(entry, fact) if "source" in entry else None
    label = str(ctx.required(entry, "label", fact))
    return Known(name, ID[name], label, classes, aliases, ctx.where(entry), source)


def _state(ctx: MappingContext, known: Known, entry: Any) -> None:
    """What the registry asserts: each thing's class and names (citing its source, if given), its Wikidata link.

    The registry declares its things as the ontology declares its individuals: every article that
    names one states its class and label again, with the article's words as evidence.
    """
    fact = f"entity '{known.id}'"
    support = {"origin": ctx.origin(entry, fact), "source": known.source}
    naming = [(known.iri, RDFS.label, Literal(known.label, lang=ctx.language))]
    naming += [(known.iri, RDF.type, cls) for cls in known.classes]
    naming += [(known.iri, SKOS.altLabel, Literal(alias, lang=ctx.language)) for alias in known.aliases]
    for triple in naming:
        ctx.statements.add(triple, Kind.BACKGROUND if known.source else Kind.DECLARATION, **support)
    if "wikidata" in entry:
        map_wikidata(ctx, known.iri, entry["wikidata"], entry, fact)
