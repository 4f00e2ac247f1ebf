"""``kg new-article``: a new article's folder, with its text and a draft mapping to review.

Mapping an article by hand is most of the work of adding it. The draft does what can be found
mechanically and marks each line for review: the article block (title, date and the words that
give it), the zones a page's furniture reveals (dateline, byline and picture credits, "Read more"
links), the things of the registry the text names (with the words found), the date words a reader
resolves ("Friday night", "tomorrow", "17 August") with their sentences as fact skeletons, and the
sentences that report speech (a quotation, "told", "said", "claimed", "according to" ...) as claim
skeletons with the claimant the registry recognises. Capitalised names the registry does not know
are listed to be declared. The draft builds as it is; what needs a reader is commented out.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rdflib import Graph

from kg.dates import resolve_day
from kg.errors import KgError
from kg.evidence import Span
from kg.mapping.context import SLUG
from kg.mapping.mentions import occurrences_of
from kg.mapping.registry import Known, read_registry
from kg.namespaces import NKG
from kg.project import MAPPING_FILE, Project
from kg.text import BODY, Zoning, sentences
from kg.vocabulary import Vocabulary

#: Verbs (and phrases) that report what someone says.
REPORTING = ("according to", "has claimed", "claimed", "claims", "claim", "told", "tells", "said", "says", "added",
             "insisted", "announced", "confirmed", "warned", "reported", "reiterated", "posted", "wrote")  # fmt: skip
#: Words for days that a reader resolves against the article's date.
_DAY_WORDS = re.compile(
    r"\b(?:(?:last|next)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?(?:\s+\d{1,2}\s+[A-Z][a-z]+)?\b"
    r"|\b\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?:\s+\d{4})?\b"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}"
    r"(?:,\s+\d{4})?\b"
    r"|\b(?:today|tomorrow|yesterday|tonight|last night|this morning|this afternoon|this evening)\b",
    re.IGNORECASE,
)
_QUOTATION = re.compile(r"[\"“]([^\"”]{3,}?)[\"”]")
_NAME = re.compile(r"(?<![\w@'’])(?:[A-Z][\w-]+)(?:\s+(?:of\s+the\s+|of\s+|de\s+|von\s+der\s+)?[A-Z][\w-]+)*")
_HEADLINE = (
    r"Read [Mm]ore: [^\n]+?(?=\s+Read [Mm]ore:|\n|$"
    r"|\s+(?:The|A|An|It|He|She|They|This|In|On|At|Mr|Ms|Sir|But|And|After|Before|Moments)\s)"
)
_FURNITURE = (
    ("creditZone", re.compile(r"(?:Picture|Photo|Image)s?:\s*[A-Z][\w .&-]*?(?=\n|$|\s{2})")),
    ("creditZone", re.compile(r"(?m)^By [A-Z][\w'-]+(?: [A-Z][\w'-]+)*$")),
    # a headline runs to the line's end, the next link, or a word that starts a sentence of the body
    ("relatedHeadlineZone", re.compile(_HEADLINE)),
)


@dataclass
class Draft:
    """What ``kg new-article`` wrote and found."""

    mapping: Path
    entities: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.entities)} thing(s) of the registry, {len(self.dates)} date word(s),"
            f" {len(self.claims)} reported sentence(s), {len(self.unknown)} name(s) the registry does not know"
        )


def write_draft(project: Project, folder: str, text_file: Path, day: str) -> Draft:
    """Make ``data/<folder>`` with the text and a draft mapping; never overwrite an existing folder.

    :raises KgError: for a bad folder name or date, an existing folder, an unreadable text, a folder it cannot write.
    """
    if not SLUG.fullmatch(folder):
        raise KgError(f"the folder name must be a lowercase slug (letters, digits, '-'), not {folder!r}")
    try:
        published = date.fromisoformat(day)
    except ValueError:
        raise KgError(f"--date must be YYYY-MM-DD, not {day!r}") from None
    target = project.root / "data" / folder
    if target.exists():
        raise KgError(f"{project.display(target)} exists: kg new-article never overwrites; choose another folder")
    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KgError(f"cannot read the text {text_file}: {getattr(error, 'strerror', None) or error}") from None
    vocabulary = Vocabulary(Graph().parse(project.ontology_file, format="turtle"))
    registry = read_registry(project, vocabulary)
    draft = Draft(target / MAPPING_FILE)
    body = draft_mapping(folder, text, published, list(registry.entities.values()), vocabulary, draft)
    made = False
    try:
        target.mkdir(parents=True)
        made = True
        shutil.copyfile(text_file, target / "article.txt")
        draft.mapping.write_text(body, encoding="utf-8")
    except OSError as error:
        if made:  # half made: the next try must not find that it exists
            shutil.rmtree(target, ignore_errors=True)
        raise KgError(f"cannot write {project.display(target)}: {error.strerror or error}") from None
    return draft


def draft_mapping(folder: str, text: str, published: date, known: list[Known], vocabulary: Vocabulary,
                  draft: Draft) -> str:  # fmt: skip
    """The draft mapping's text (and what was found, into ``draft``)."""
    zones = _zones(text, published)
    zoning = Zoning(len(text), tuple(sorted((s, z) for z, spans in zones.items() for s in spans)))
    content = [s for s, zone in sentences(text, zoning) if zone == BODY]
    lines = [
        f"# Draft mapping of {folder} (kg new-article): every entry is a guess to review, marked 'review'.",
        "# Mapped: a thing of the registry named in the text, its mention; the reported sentences as claims.",
        "# Commented out: facts that need their subject (an event of the article) and what they state.",
        "# yaml-language-server: $schema=../schema/mapping.schema.json",
        "",
        *_article_block(text, published, content),
        *_zone_block(text, zones),
        *_entity_block(text, known, draft),
        *_fact_block(text, published, content, draft),
        *_claim_block(folder, text, content, [k for k in known if _agent(k, vocabulary)], draft),
    ]
    draft.unknown = _unknown_names(text, content, known)
    if draft.unknown:
        lines += ["", "# review: names the registry does not know (declare them under 'entities', or in the registry):"]
        lines += [f"#   {name}" for name in draft.unknown]
    return "\n".join(lines) + "\n"


def _yaml(value: str) -> str:
    """A YAML scalar for ``value`` (quoted when plain style would not read back the same)."""
    import yaml

    return yaml.safe_dump(value, width=10_000, allow_unicode=True).removesuffix("\n...\n").rstrip("\n")


def _article_block(text: str, published: date, content: list[Span]) -> list[str]:
    title = text[content[0].start : content[0].end].rstrip(".") if content else "review: a title"
    quote = _date_words(text, published) or text.split()[0]
    review = "" if _date_words(text, published) else "  # review: no words of the text give the date"
    return ["article:", "  text: article.txt", f"  title: {_yaml(title)}  # review: the text carries no headline?",
            f"  date: '{published.isoformat()}'", f"  quote: {_yaml(quote)}{review}", "  language: en", ""]  # fmt: skip


def _date_words(text: str, published: date) -> str | None:
    """Words of the text that give the article's date (a dateline, or the date written out)."""
    for words in (f"date {published.isoformat()}", published.isoformat(), f"{published.day} {published:%B %Y}",
                  f"{published:%B} {published.day}, {published.year}"):  # fmt: skip
        if text.count(words) == 1:
            return words
    return None


def _zones(text: str, published: date) -> dict[str, list[Span]]:
    found: dict[str, list[Span]] = {}
    dateline = _date_words(text, published)
    if dateline and dateline.startswith("date "):
        at = text.index(dateline)
        found["datelineZone"] = [Span(at, at + len(dateline))]
    for zone, pattern in _FURNITURE:
        for match in pattern.finditer(text):
            _add(found, zone, Span(match.start(), match.start() + len(match.group().rstrip())))
    for credit in found.get("creditZone", []):  # a picture's credit ends its caption's line
        line_start = text.rfind("\n", 0, credit.start) + 1
        start = max([line_start] + [s.end + 1 for s in found.get("datelineZone", []) if line_start <= s.end])
        if text[credit.end : credit.end + 1] in ("", "\n") and text[start : credit.start].strip():
            words = text[start : credit.start].rstrip()
            _add(found, "captionZone", Span(start, start + len(words)))
    return found


def _add(found: dict[str, list[Span]], zone: str, span: Span) -> None:
    """Add ``span`` to ``zone`` unless it overlaps a zone found before."""
    if not any(span.start < s.end and s.start < span.end for spans in found.values() for s in spans):
        found.setdefault(zone, []).append(span)


def _zone_block(text: str, zones: dict[str, list[Span]]) -> list[str]:
    if not zones:
        return []
    lines = ["zones:  # review: the page's furniture found; add captions and embedded posts"]
    for zone, spans in sorted(zones.items()):
        lines.append(f"  {zone}:")
        for span in sorted(spans):
            words = text[span.start : span.end]
            starts = [m.start() for m in re.finditer(re.escape(words), text)]
            if zone != "captionZone":  # a credit marks every occurrence
                if span.start == starts[0]:
                    lines.append(f"    - quote: {_yaml(words)}")
            else:  # a caption repeats a sentence of the body: this occurrence only
                lines.append(f"    - quote: {_yaml(words)}")
                if len(starts) > 1:
                    lines.append(f"      occurrence: {starts.index(span.start) + 1}")
    return [*lines, ""]


def _entity_block(text: str, known: list[Known], draft: Draft) -> list[str]:
    lines = ["entities:  # review: the things of the registry the text names (its words found), and the article's own"]
    for thing in known:
        found = [w for w in thing.words if occurrences_of(text, w)]
        if found:
            draft.entities.append(thing.id)
            count = sum(len(occurrences_of(text, w)) for w in found)
            lines.append(f"  {thing.id}:  # review: {count} mention(s): {', '.join(found)}")
            lines.append(f"    mention: {_yaml(found[0])}")
    return [*lines, ""] if draft.entities else ["entities: {}", ""]


def _fact_block(text: str, published: date, content: list[Span], draft: Draft) -> list[str]:
    lines = ["facts: []  # review: each sentence with date words, as a fact about the event it dates (give its id)"]
    for sentence in content:
        words = text[sentence.start : sentence.end]
        for match in _DAY_WORDS.finditer(words):
            day = resolve_day(re.sub(r"^(?:on\s+)", "", match.group()), published)
            if day is None:
                continue
            draft.dates.append(match.group())
            how = f"{day.day.isoformat()}, {day.rule}" if day.rule else day.day.isoformat()
            lines += [f"  # - quote: {_yaml(words)}", "  #   about: <the event's id>",
                      f"  #   date: {_yaml(match.group())}  # {how}", "  #   status: held  # or planned"]  # fmt: skip
    return [*lines, ""]


def _claim_block(folder: str, text: str, content: list[Span], known: list[Known], draft: Draft) -> list[str]:
    lines = ["claims: {}  # review: each sentence that reports speech, below; give its content under 'says',",
             "            # then uncomment it (and drop the {})"]  # fmt: skip
    prefix = "-".join(folder.split("-")[3:6]) or folder
    for words in dict.fromkeys(text[s.start : s.end] for s in content):
        verb = next((v for v in REPORTING if re.search(rf"\b{re.escape(v)}\b", words)), None)
        quotations = [m.group(1) for m in _QUOTATION.finditer(words)]
        if verb is None and not quotations:
            continue
        at = re.search(rf"\b{re.escape(verb)}\b", words).start() if verb else len(words)
        claimant = _claimant(words[:at], known) or _claimant(words, known)
        name = f"{prefix}-claim-{len(draft.claims) + 1}"
        draft.claims.append(words)
        who = claimant.id if claimant else "<who>"
        entry = [f"  {name}:", f"    label: {_yaml('review: ' + words[:80])}", f"    quote: {_yaml(words)}",
                 f"    claimant: {who}  # review", f"    verb: {_yaml(verb or 'said')}",
                 "    status: claimedByOneSide  # review: or reportedByOutlets, confirmed ..."]  # fmt: skip
        entry += [f"    quotation: {_yaml(q)}" for q in quotations[:1]] + (
            [f"    # and: {_yaml(q)}" for q in quotations[1:]]
        )
        # commented out: a claim needs what it says ('says'), which only a reader can give
        entry = [f"  # {name}:"] + [f"  #   {line.strip()}" for line in entry[1:]]
        entry.append("  #   says: [[<subject>, <property>, <object>]]")
        lines += entry
    return lines if draft.claims else ["claims: {}"]


def _agent(thing: Known, vocabulary: Vocabulary) -> bool:
    return any(vocabulary.is_a(cls, NKG.Agent) for cls in thing.classes)


def _claimant(words: str, known: list[Known]) -> Known | None:
    """The thing of the registry named last before the reporting verb (the speaker, as news copy puts it)."""
    best = None
    for thing in known:
        for word in thing.words:
            for span in occurrences_of(words, word):
                if best is None or span.start > best[0]:
                    best = (span.start, thing)
    return best[1] if best else None


def _unknown_names(text: str, content: list[Span], known: list[Known]) -> list[str]:
    covered = [s for thing in known for w in thing.words for s in occurrences_of(text, w)]
    names = []
    for sentence in content:
        for match in _NAME.finditer(text, sentence.start, sentence.end):
            span = Span(match.start(), match.end())
            first = not text[sentence.start : span.start].strip("\"“‘' ")
            if first or len(match.group()) < 3 or any(s.start <= span.start and span.end <= s.end for s in covered):
                continue
            names.append(match.group())
    common = {"The", "It", "He", "She", "They", "We", "This", "That", "But", "And", "In", "On", "At", "A", "An"}
    return sorted({n for n in names if n not in common and not _DAY_WORDS.fullmatch(n)})
