"""Bad mapping input stops the build with one clear message (file, line, fact) and loses nothing."""

from __future__ import annotations

import pytest

from kg.build import build
from kg.errors import MappingError

MAPPING = "data/2031-04-02-harbour-summit/mapping.yaml"


def broken(fixture_project, old: str, new: str):
    """The fixture project, already built, with ``old`` replaced by ``new`` in its mapping."""
    project = fixture_project()
    build(project)
    path = project.root / MAPPING
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return project


def line_of(project, needle: str) -> int:
    """The number of the last line of the mapping that ends with ``needle``."""
    lines = (project.root / MAPPING).read_text(encoding="utf-8").splitlines()
    return max(n for n, line in enumerate(lines, start=1) if line.endswith(needle))


#: case: (text of the good mapping, its replacement, the line the error must point to, the message's end)
CASES = {
    "quote not in the article": (
        "  - quote: The two leaders will meet again in Port Vell tomorrow to sign a fishing treaty\n    about",
        "  - quote: The two leaders will never meet again in Port Vell tomorrow to sign a fishing treaty\n    about",
        "in Port Vell tomorrow to sign a fishing treaty",
        "fact about 'treaty-signing': not found in the article: 'The two leaders will never meet again"
        " in Port Vell tomorrow to sign a fishing treaty'",
    ),
    "unknown entity": (
        "    hasParticipant: [ilse-varga, tomas-reed]",
        "    hasParticipant: [ilse-varga, tomas-reid]",
        "hasParticipant: [ilse-varga, tomas-reid]",
        "fact about 'treaty-signing': unknown entity 'tomas-reid': declare it under 'entities'",
    ),
    "unknown class": (
        "    a: Newspaper",
        "    a: Newspapr",
        "a: Newspapr",
        "entity 'daily-beacon': unknown class 'Newspapr'",
    ),
    "unknown property": (
        "    hostedBy: ilse-varga",
        "    hostedBY: ilse-varga",
        "hostedBY: ilse-varga",
        "fact about 'harbour-summit': unknown key or property 'hostedBY'; did you mean 'hostedBy'?",
    ),
    "unparseable date": (
        "    date: tomorrow",
        "    date: the day after tomorrow",
        "date: the day after tomorrow",
        "fact about 'treaty-signing': unparseable date 'the day after tomorrow': use the printed words, such as"
        " 'Friday night', 'today', 'tomorrow', '17 August' or 'August 17, 2025'",
    ),
    "duplicate IRI": (
        "  tomas-reed:\n",
        "  tomas-reed:\n    a: Person\n    label: Tomas Reed\n    mention: Tomas Reed\n  ilse-varga:\n",
        "  ilse-varga:",
        "YAML error: duplicate key 'ilse-varga'",
    ),
    "duplicate IRI across sections": (
        "  beacon-misspelt:",
        "  reed-northland-agreed:",
        "quote: the Daily Beakon reported",
        "correction 'reed-northland-agreed': duplicate IRI https://w3id.org/newskg/id/reed-northland-agreed:"
        " the id 'reed-northland-agreed' is already used",
    ),
    "duplicate IRI with a claim's proposition": (
        "  western-banks-sharing:\n",
        "  reed-northland-agreed-p1:\n    a: Person\n    label: X\n    mention: Tomas Reed\n  western-banks-sharing:\n",
        "label: Reed claims Northland agreed to share the western banks",
        "claim 'reed-northland-agreed': duplicate IRI https://w3id.org/newskg/id/reed-northland-agreed-p1:"
        " the id 'reed-northland-agreed-p1' is already used",
    ),
    "YAML syntax error": (
        "    label: Ilse Varga",
        "    label: [Ilse Varga",
        "mention: Ilse Varga",
        "YAML error: while parsing a flow sequence expected ',' or ']', but got ':'",
    ),
    "a quote that does not name its subject": (
        "  - quote: the Harbour Hall in Port Vell\n",
        "  - quote: Hall in Port Vell\n",
        "- quote: Hall in Port Vell",
        "fact about 'harbour-hall': the quote does not name 'Harbour Hall': quote words that do, or give the words"
        " that stand for it here ('coreference': 'He', 'the meeting')",
    ),
    "a caption's copy of the body's words": (
        "    about: treaty-signing\n    date: tomorrow",
        "    occurrence: 2\n    about: treaty-signing\n    date: tomorrow",
        "occurrence: 2",
        "fact about 'treaty-signing': occurrence 2 is in the captionZone, but the words also stand in the body:"
        " drop 'occurrence' to quote the body's 'The two leaders will meet again in Port Vell tomorrow to sign a"
        " fishing treaty'",
    ),
    "a date that is not printed": (
        "    date: Monday",
        "    date: 2031-03-31",
        "date: 2031-03-31",
        "fact about 'harbour-summit': the date words '2031-03-31' are not in the quote",
    ),
    "a hypothetical fact": (
        "    date: tomorrow\n",
        "    date: tomorrow\n    time: hypothetical\n",
        "time: hypothetical",
        "fact about 'treaty-signing': a hypothetical statement is not a fact: state it in a claim's 'says'",
    ),
    "an unknown zone": (
        "  creditZone:",
        "  sidebarZone:",
        "  sidebarZone:",
        "zone 'sidebarZone': unknown zone 'sidebarZone'; zones: captionZone, creditZone, datelineZone,"
        " embeddedPostZone, relatedHeadlineZone (the rest is body)",
    ),
    "zones that overlap": (
        "    - quote: By Ada Lorne\n",
        "    - quote: By Ada Lorne\n    - quote: Ada Lorne\n",
        "- quote: Ada Lorne",
        "zone 'creditZone': overlaps another zone's words: 'By Ada Lorne'",
    ),
    "a quote across two zones": (
        "  - quote: the Harbour Hall in Port Vell\n",
        "  - quote: fishing treaty. Picture\n    coreference: fishing treaty\n",
        "- quote: fishing treaty. Picture",
        "fact about 'harbour-hall': the quote runs across two zones of the page: quote each part apart",
    ),
    "a Wikidata item that is not one": (
        "    mention: Northland\n",
        "    mention: Northland\n    wikidata: {item: X12, source: 'https://example.org/x'}\n",
        "wikidata: {item: X12, source: 'https://example.org/x'}",
        "entity 'northland' wikidata: 'item' must be Q and a number, not 'X12'",
    ),
    "the same words for two entities": (
        "    label: Tomas Reed\n",
        "    label: Tomas Reed\n    aka: [Ms Varga]\n",
        "aka: [Ms Varga]",
        "entity 'tomas-reed': the words 'Ms Varga' also name 'ilse-varga': give each entity words of its own",
    ),
    "an attributed clause that is not in the quote": (
        '    clause: Northland "agreed to share the western banks"',
        "    clause: Southmark agreed",
        "clause: Southmark agreed",
        "claim 'reed-northland-agreed': 'clause': not found in the quote: 'Southmark agreed'",
    ),
    "two statuses in one article": (
        "    date: Monday\n    status: held\n",
        "    date: Monday\n    status: held\n"
        "  - quote: a summit on fishing rights\n    about: harbour-summit\n    status: planned\n",
        "- quote: a summit on fishing rights",
        "fact about 'harbour-summit': 'Harbour summit' has the status 'planned' here and 'held' in fact about"
        " 'harbour-summit' (data/2031-04-02-harbour-summit/mapping.yaml:LINE): one article gives one status, as of"
        " its date",
    ),
    "a thing given a certainty": (
        "    mention: Southmark\n",
        "    mention: Southmark\n    certainty: probable\n",
        "certainty: probable",
        "entity 'southmark': unknown key or property 'certainty' (keys: a, aka, descriptions, label, mention,"
        " note, occurrence, source, wikidata, or a property of the ontology)",
    ),
    "a claim that only quotes": (
        "    says:\n      - [northland, agreesTo, western-banks-sharing]\n",
        "",
        "label: Reed claims Northland agreed to share the western banks",
        "claim 'reed-northland-agreed': missing 'says'",
    ),
    "ambiguous quote": (
        "  - quote: Northland's Prime Minister\n    about: prime-minister-of-northland",
        "  - quote: Northland\n    about: prime-minister-of-northland",
        "- quote: Northland",
        "fact about 'prime-minister-of-northland': quote occurs 3 times; add 'occurrence: N' (1 to 3)"
        " or quote more words: 'Northland'",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_mapping_stops_the_build_with_one_clear_message(fixture_project, case):
    old, new, locator, message = CASES[case]
    project = broken(fixture_project, old, new)
    before = {p: p.read_bytes() for p in project.build_dir.rglob("*") if p.is_file()}
    with pytest.raises(MappingError) as raised:
        build(project)
    error = str(raised.value)
    assert "\n" not in error
    if ":LINE)" in message:  # the line of the fixture's first fact, which the message cites
        message = message.replace(":LINE)", f":{line_of(project, 'for a summit on fishing rights.')})")
    assert error == f"{MAPPING}:{line_of(project, locator)}: {message}"
    after = {p: p.read_bytes() for p in project.build_dir.rglob("*") if p.is_file()}
    assert after == before, "a failed build must leave the previous build untouched"
