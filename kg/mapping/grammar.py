"""The grammar of ``mapping.yaml`` and ``registry.yaml``, in one place: every section, entry and key.

The build checks a file's structure against the JSON Schema made from this grammar and the
ontology (``kg.mapping.schema``); the mapping reads entries by these keys; data/README.md's key
reference is generated from it (``kg schema``), and a test checks that the three agree.

A key's ``kind`` says what its value is; ``kg.mapping.schema`` turns each kind into JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One key of an entry: what its value is (``kind``) and what it means."""

    kind: str
    doc: str
    required: bool = False


@dataclass(frozen=True)
class Entry:
    """One kind of entry: its keys, and whether the ontology's properties may be keys too."""

    doc: str
    keys: dict[str, Key]
    properties: bool = False

    def names(self) -> set[str]:
        return set(self.keys)


#: Each kind of value, as data/README.md explains it.
KINDS = {
    "text": "text",
    "texts": "text, or a list of texts",
    "quote": "words of the article, verbatim",
    "quotes": "words of the article, or a list of them",
    "id": "the id of an entity (or a named individual of the ontology)",
    "ids": "an id, or a list of ids",
    "class": "a class of the ontology, or a list of classes",
    "occurrence": "which occurrence of the words, counting from 1",
    "url": "an http(s) URL",
    "day": "a day, YYYY-MM-DD",
    "language": "a language tag (en)",
    "date": "the printed words for a day, or {sameDayAs, words}",
    "time": "happened | planned | hypothetical",
    "certainty": "certain | probable | possible",
    "polarity": "positive | negative",
    "role": "hostRole | coChairRole",
    "participation status": "invited | accepted | expected | attended",
    "epistemic status": "claimedByOneSide | reportedByOutlets | confirmed | officiallyStated | authorsAssessment"
    " | unattributedOpinion",
    "confidence": "certain | conjectural",
    "statement": "[subject, property, object]",
    "statements": "[subject, property, object], or a list of them",
    "descriptions": "a list of words, or of {words, in}",
    "participations": "a list of {agent, role, status, purpose}",
    "says": "a list of [subject, property, object] or {statement, certainty, polarity, time, hedge, condition}",
    "wikidata": "{item, source}",
    "wikidata item": "Q and a number",
}

ENTRIES: dict[str, Entry] = {
    "article": Entry(
        "The document itself.",
        {
            "text": Key("text", "The file of the verbatim text, beside the mapping.", required=True),
            "title": Key("text", "The title (the text carries no headline).", required=True),
            "date": Key("day", 'The date the relative words ("Friday") are read against.', required=True),
            "quote": Key("quote", "The words of the text that give that date.", required=True),
            "language": Key("language", "The language of the text and of labels (default en)."),
        },
    ),
    "zone": Entry(
        "Words of a zone of the page that is not its body; every occurrence, unless one is chosen.",
        {
            "quote": Key("quote", "The words of the zone.", required=True),
            "occurrence": Key("occurrence", "Only this occurrence of the words."),
        },
    ),
    "entity": Entry(
        "A named thing: its class, names and the words that name it; properties state facts about it.",
        {
            "a": Key("class", "Its class (not needed for a thing of the registry)."),
            "label": Key("text", "The preferred name (default: the mention, or the registry's label)."),
            "mention": Key("quote", "The words that name it: their first body occurrence evidences class and label."),
            "occurrence": Key("occurrence", "Which occurrence of the mention is the evidence."),
            "aka": Key("texts", "Other names (labels; each must occur in the text)."),
            "descriptions": Key("descriptions", "Other words that refer to it: mentions, not labels."),
            "source": Key("url", "For a thing the text does not name: the source that states what it is."),
            "wikidata": Key("wikidata", "The Wikidata item (skos:exactMatch) and the source that verified it."),
            "note": Key("text", "A note for the reader of the mapping (not in the graph)."),
        },
        properties=True,
    ),
    "description": Entry(
        "Words that refer to the thing only inside other words.",
        {
            "words": Key("quote", "The words.", required=True),
            "in": Key("quote", "Only inside every occurrence of these words.", required=True),
        },
    ),
    "wikidata": Entry(
        "A Wikidata item, never written from memory.",
        {
            "item": Key("wikidata item", "The item.", required=True),
            "source": Key("url", "The public source that states the identifier.", required=True),
        },
    ),
    "fact": Entry(
        "What the article states in its own voice, with the words that state it; properties state it.",
        {
            "quote": Key("quote", "The words that state the fact; they must name its subject.", required=True),
            "occurrence": Key("occurrence", "Which occurrence of the quote (one in the body is preferred)."),
            "about": Key("id", "The subject: an entity id, or 'article' for the page itself.", required=True),
            "a": Key("class", "Classes the words give the subject."),
            "coreference": Key("quote", 'The words of the quote that stand for the subject ("He").'),
            "date": Key("date", "The day: the printed words, or {sameDayAs, words}."),
            "time": Key("time", "Whether it happened (default) or is planned."),
            "certainty": Key("certainty", "Certain, the only value: what is less than certain is a claim's."),
            "polarity": Key("polarity", "Positive, the only value: what is negated is a claim's (or a value, false)."),
            "hedge": Key("quotes", "Words that qualify its words, verbatim (in the quote); never its certainty."),
            "participation": Key("participations", "Who takes part, in which role and with which status."),
            "note": Key("text", "A note for the reader of the mapping (not in the graph)."),
        },
        properties=True,
    ),
    "same day": Entry(
        "A day worked out from another event's.",
        {
            "sameDayAs": Key("id", "The event whose day it is.", required=True),
            "words": Key("quote", 'The words that say so ("shortly before").', required=True),
        },
    ),
    "participation": Entry(
        "An agent's part in an event.",
        {
            "agent": Key("id", "The agent.", required=True),
            "role": Key("role", "Host or co-chair (none for a plain participant)."),
            "status": Key("participation status", "Invited, accepted, expected or attended.", required=True),
            "purpose": Key("ids", "The aims it serves."),
        },
    ),
    "claim": Entry(
        "Who said what, through whom, in which words; what they say is described, never asserted.",
        {
            "quote": Key("quote", "The words of the article that report the claim.", required=True),
            "occurrence": Key("occurrence", "Which occurrence of the quote."),
            "label": Key("text", "A short summary.", required=True),
            "claimant": Key("id", "Who claims it.", required=True),
            "verb": Key("text", "The article's reporting verb (for the author's own hedge: the hedge).", required=True),
            "status": Key("epistemic status", "How well established the report is.", required=True),
            "through": Key("ids", "The outlet or office it reached the public through."),
            "during": Key("ids", "The event it was made during."),
            "coreference": Key("quote", "The words of the quote that stand for the claimant."),
            "clause": Key("quotes", "The words the claimant answers for (default: the whole quote)."),
            "quotation": Key("quotes", "The claimant's own words, inside the quote."),
            "says": Key(
                "says",
                "What it says: statements with their factuality (a quotation alone is not enough).",
                required=True,
            ),
        },
    ),
    "said": Entry(
        "One statement of a claim, with its factuality.",
        {
            "statement": Key("statement", "[subject, property, object].", required=True),
            "certainty": Key("certainty", "How sure the claimant is (default certain)."),
            "polarity": Key("polarity", "Whether it says the thing is or is not so (default positive)."),
            "time": Key("time", "Happened (default), planned or hypothetical."),
            "hedge": Key("quotes", "The words that qualify it, verbatim (in the quote)."),
            "condition": Key("statements", "What it holds on: a statement, or a list of them."),
        },
    ),
    "correction": Entry(
        "Where the article is wrong: a Web Annotation on every occurrence of the passage.",
        {
            "quote": Key("quote", "The passage (every occurrence).", required=True),
            "wording": Key("quote", "The wrong words, inside the passage.", required=True),
            "correct": Key("text", "The right words.", required=True),
            "of": Key("id", "The thing the wrong words are about.", required=True),
            "confidence": Key("confidence", "Certain or conjectural.", required=True),
            "note": Key("text", "Why (rdfs:comment).", required=True),
            "source": Key("url", "Where the right words can be checked."),
        },
    ),
    "anomaly": Entry(
        "What cannot be right but is not corrected yet.",
        {
            "quote": Key("quotes", "The words (every occurrence), or a list of passages.", required=True),
            "label": Key("text", "A short summary.", required=True),
            "note": Key("text", "What cannot be right (rdfs:comment).", required=True),
        },
    ),
    "background": Entry(
        "What a reader is expected to know, with a source to check it; properties state it.",
        {
            "source": Key("url", "Where it can be checked.", required=True),
            "about": Key("id", "The subject.", required=True),
            "a": Key("class", "Classes the source gives it."),
            "note": Key("text", "A note for the reader of the mapping (not in the graph)."),
        },
        properties=True,
    ),
    "known": Entry(
        "A thing of the registry: declared once, named by id in any article, its names found in every text.",
        {
            "a": Key("class", "Its class.", required=True),
            "label": Key("text", "The preferred name.", required=True),
            "aka": Key("texts", "Other names, found as mentions in every article."),
            "source": Key("url", "The source that states what it is (cited on its class and names)."),
            "wikidata": Key("wikidata", "The Wikidata item (skos:exactMatch) and the source that verified it."),
            "note": Key("text", "A note for the reader of the registry (not in the graph)."),
        },
    ),
}


@dataclass(frozen=True)
class Section:
    """A top-level section of a file: an entry, a list of entries, or entries by id (or by zone name)."""

    entry: str
    shape: str  # "one" | "list" | "by id" | "by zone"
    doc: str
    required: bool = False


#: The sections of an article's mapping.yaml, in the order the build reads them.
MAPPING: dict[str, Section] = {
    "article": Section("article", "one", "The document itself.", required=True),
    "zones": Section("zone", "by zone", "The parts of the page that are not its body (the rest is body)."),
    "entities": Section("entity", "by id", "Every named thing of the article, under its id."),
    "facts": Section("fact", "list", "What the article states in its own voice."),
    "claims": Section("claim", "by id", "Who said what: the content is described, never asserted."),
    "corrections": Section("correction", "by id", "Where the article is wrong."),
    "anomalies": Section("anomaly", "by id", "What cannot be right but is not corrected yet."),
    "background": Section("background", "list", "What a reader is expected to know, with a source."),
}

#: The sections of data/registry.yaml.
REGISTRY: dict[str, Section] = {
    "entities": Section("known", "by id", "The things any article may name, under their ids."),
    "background": Section("background", "list", "What a reader is expected to know about them, with a source."),
}


def keys(entry: str) -> set[str]:
    """The keys of an entry (the ontology's properties aside)."""
    return ENTRIES[entry].names()


def reference() -> str:
    """The key reference data/README.md holds, made from this grammar (``kg schema`` writes it there)."""
    lines = ["| file | section | holds |", "|---|---|---|"]
    for file, sections in (("mapping.yaml", MAPPING), ("registry.yaml", REGISTRY)):
        for name, section in sections.items():
            shape = {"one": "an entry", "list": "a list of entries", "by id": "entries by id",
                     "by zone": "lists of entries by zone"}[section.shape]  # fmt: skip
            required = " (required)" if section.required else ""
            lines.append(f"| {file} | `{name}`{required} | {shape}: {section.entry} |")
    for name, entry in ENTRIES.items():
        lines += [
            "",
            f"**{name}**: {entry.doc}" + (" Any property of the ontology is a key too." if entry.properties else ""),
            "",
        ]
        lines += ["| key | value | meaning |", "|---|---|---|"]
        for key, spec in entry.keys.items():
            lines.append(f"| `{key}`{' (required)' if spec.required else ''} | {KINDS[spec.kind]} | {spec.doc} |")
    return "\n".join(lines) + "\n"
