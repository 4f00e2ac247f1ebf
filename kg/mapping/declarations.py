"""One thing, one description: what the registry and the articles declare of the same id must agree.

Every file may state the label and class of a thing of the story (the registry declares it, an
article names it) and give a functional property its value (an event's day, an office's state).
Two files that disagree would make the graph say two things at once: two labels, a person who is
an organisation, an office of two states. The build stops at the first such pair, naming both
``file:line``s. Within one file the reasoner finds the same contradictions.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.errors import MappingError
from kg.namespaces import ID
from kg.prefixes import prefixed_name
from kg.vocabulary import Vocabulary

#: A triple a file declares, with ``file:line`` of the entry that declares it.
Declaration = tuple[tuple, str]


def check_declarations(declarations: Iterable[Declaration], vocabulary: Vocabulary) -> None:
    """Refuse two files that give one thing two labels, disjoint classes, or two values of a functional property.

    :raises MappingError: at the second declaration, naming the first one's ``file:line``.
    """
    seen: dict[tuple, list[tuple[object, str]]] = {}
    for (subject, prop, value), where in declarations:
        earlier = seen.setdefault((subject, prop), [])
        for other, there in earlier:
            if _file(there) != _file(where) and _clash(prop, value, other, vocabulary):
                raise MappingError(_message(subject, prop, value, other, there, vocabulary), source=where,
                                   fact=f"entity '{_id(subject)}'")  # fmt: skip
        if all(other != value for other, _ in earlier):
            earlier.append((value, where))


def _clash(prop: URIRef, value, other, vocabulary: Vocabulary) -> bool:
    if prop == RDF.type:
        return vocabulary.disjoint(value, other)
    return value != other and (prop == RDFS.label or prop in vocabulary.functional)


def _message(subject, prop, value, other, there: str, vocabulary: Vocabulary) -> str:
    if prop == RDFS.label:
        return (
            f"the label {str(value)!r} differs from {str(other)!r} given at {there}: one thing has one label"
            " (give the other name as 'aka')"
        )
    if prop == RDF.type:
        return (
            f"a {_name(value, vocabulary)} here is a {_name(other, vocabulary)} at {there}, and nothing is both"
            " (the classes are disjoint)"
        )
    return (
        f"{_name(prop, vocabulary)} is {_value(value, vocabulary)} here and {_value(other, vocabulary)} at {there}:"
        " the property has one value"
    )


def _file(where: str) -> str:
    return where.rsplit(":", 1)[0] if where.rsplit(":", 1)[-1].isdigit() else where


def _id(subject) -> str:
    return str(subject).removeprefix(str(ID))


def _name(iri, vocabulary: Vocabulary) -> str:
    return vocabulary.labels.get(iri) or prefixed_name(str(iri)) or str(iri)


def _value(value, vocabulary: Vocabulary) -> str:
    return repr(str(value)) if isinstance(value, Literal) else f"'{_id(value)}'" if str(value).startswith(
        str(ID)) else _name(value, vocabulary)  # fmt: skip
