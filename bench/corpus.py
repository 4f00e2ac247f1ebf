"""A synthetic corpus: N articles in the style of the real one, to measure the build as the story grows.

Run from the repository's top folder:

    python bench/corpus.py --articles 100 --into build/corpus [--seed 7] [--with-real]

``--into`` becomes a project folder: the ontology and the registry of this project, and N article
folders under data/, each with its text and mapping. The articles name the registry's people,
offices, states, outlets and places (so that they share entities with each other and with the real
article), and each brings its own events (meetings, calls, planned summits, arrivals, interviews),
dates (weekdays, "yesterday", "tomorrow", day and month, each resolved against the article's own
date), proposals and aims, claims (through outlets, quotations, the author's hedges), captions,
credits and related headlines. Article k is the same for a given seed whatever N is, so a corpus of
10 is the first 10 of a corpus of 100 (the incremental build adds one and compares).

Every article builds: its facts quote their words, claims keep to the claim/fact boundary, each
proposal has one proposer. ``--with-real`` copies the project's real articles in too.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: The day of the first synthetic article; article k is k days later.
FIRST_DAY = date(2025, 8, 18)
PARTS = ("morning", "afternoon", "evening")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip


@dataclass(frozen=True)
class Actor:
    """A thing of the registry, with the words the synthetic text names it by."""

    id: str
    name: str
    short: str
    office: str | None = None
    office_name: str | None = None


LEADERS = (
    Actor("donald-trump", "Donald Trump", "Mr Trump", "president-of-the-united-states",
          "President of the United States"),
    Actor("vladimir-putin", "Vladimir Putin", "Mr Putin", "president-of-russia", "President of Russia"),
    Actor("volodymyr-zelenskyy", "Volodymyr Zelenskyy", "Mr Zelenskyy", "president-of-ukraine", "President of Ukraine"),
    Actor("keir-starmer", "Keir Starmer", "Sir Keir", "prime-minister-of-the-united-kingdom",
          "Prime Minister of the United Kingdom"),
    Actor("emmanuel-macron", "Emmanuel Macron", "Emmanuel Macron", "president-of-france", "President of France"),
    Actor("friedrich-merz", "Friedrich Merz", "Friedrich Merz", "chancellor-of-germany", "Chancellor of Germany"),
    Actor("giorgia-meloni", "Giorgia Meloni", "Giorgia Meloni", "prime-minister-of-italy", "Prime Minister of Italy"),
    Actor("alexander-stubb", "Alexander Stubb", "Alexander Stubb", "president-of-finland", "President of Finland"),
    Actor("ursula-von-der-leyen", "Ursula von der Leyen", "Ms von der Leyen", "president-of-the-european-commission",
          "President of the European Commission"),
    Actor("mark-rutte", "Mark Rutte", "Mark Rutte", "secretary-general-of-nato", "Secretary General of NATO"),
)  # fmt: skip
ENVOYS = (Actor("steve-witkoff", "Steve Witkoff", "Mr Witkoff"),)
OUTLETS = (Actor("cnn", "CNN", "CNN"), Actor("fox-news", "Fox News", "Fox News"), Actor("afp", "AFP", "AFP"),
           Actor("the-telegraph", "The Telegraph", "The Telegraph"))  # fmt: skip
CITIES = (Actor("washington", "Washington", "Washington"), Actor("london", "London", "London"),
          Actor("brussels", "Brussels", "Brussels"), Actor("anchorage", "Anchorage", "Anchorage"))  # fmt: skip
BUILDINGS = (Actor("white-house", "White House", "White House"),
             Actor("ten-downing-street", "10 Downing Street", "10 Downing Street"))  # fmt: skip
BODIES = (Actor("nato", "NATO", "NATO"), Actor("european-commission", "European Commission", "European Commission"),
          Actor("coalition-of-the-willing", "Coalition of the Willing", "Coalition of the Willing"))  # fmt: skip
PLACES = (Actor("donbas", "Donbas", "Donbas"), Actor("donetsk", "Donetsk", "Donetsk"),
          Actor("luhansk", "Luhansk", "Luhansk"), Actor("ukraine", "Ukraine", "Ukraine"))  # fmt: skip
AUTHOR = Actor("chay-quinn", "Chay Quinn", "Chay Quinn")

#: Proposals: (class, the words, with {place} for a place of PLACES).
PROPOSALS = (
    ("CeasefireAgreement", "a ceasefire along the front line in {place}"),
    ("SecurityGuarantee", "security guarantees for {place}"),
    ("TerritorialConcession", "a withdrawal of troops from {place}"),
    ("FrontLineFreeze", "a freeze of the front line in {place}"),
    ("PeaceAgreement", "a peace agreement covering {place}"),
    ("Proposal", "an exchange of prisoners held in {place}"),
    ("Proposal", "an energy truce across {place}"),
    ("Proposal", "a reconstruction fund for {place}"),
    ("Proposal", "a demilitarised zone around {place}"),
    ("Proposal", "international monitors in {place}"),
)
AIMS = ("end the fighting in {place}", "protect the civilians of {place}", "restore power in {place}",
        "deter further attacks on {place}", "reopen the roads to {place}", "bring the prisoners of {place} home",
        "rebuild the schools of {place}")  # fmt: skip
QUOTES = (
    "We will not accept a deal that rewards aggression.",
    "Our partners stand ready to do more.",
    "There is real progress, but the hardest questions remain open.",
    "Nothing will be decided without Ukraine at the table.",
    "We are closer to an agreement than we were a week ago.",
    "The next days will show whether Moscow is serious.",
    "Europe will carry its share of the burden.",
    "Any agreement must be verifiable on the ground.",
)
HEADLINES = (
    "Markets rally as talks resume", "Energy prices fall for a third week", "Farmers warn of a poor harvest",
    "Rail strike called off at the last minute", "Storm warnings for the east coast", "A record year for tourism",
)  # fmt: skip


@dataclass
class Article:
    """One synthetic article being written: its paragraphs and its mapping, section by section."""

    number: int
    day: date
    rng: random.Random
    paragraphs: list[str] = field(default_factory=list)
    entities: dict = field(default_factory=dict)
    facts: list = field(default_factory=list)
    claims: dict = field(default_factory=dict)
    captions: list = field(default_factory=list)
    headlines: list = field(default_factory=list)
    used: set = field(default_factory=set)
    #: Each proposal's id and words, with its one proposer.
    proposals: list = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"{self.day.isoformat()}-synthetic-{self.number:04d}"

    def id(self, kind: str) -> str:
        """A new id of this article (ids are project-wide: the article's number keeps them apart)."""
        count = sum(1 for key in self.entities if key.startswith(f"s{self.number:04d}-{kind}-"))
        count += sum(1 for key in self.claims if key.startswith(f"s{self.number:04d}-{kind}-"))
        return f"s{self.number:04d}-{kind}-{count + 1}"

    def pick(self, pool, count: int = 1, avoid=()):
        """``count`` different items of ``pool``, none in ``avoid``."""
        choices = [item for item in pool if item not in avoid]
        return self.rng.sample(choices, count)

    def fresh(self, words: str) -> bool:
        """Whether ``words`` are new to the article (each quote, mention and claim stands once)."""
        if words in self.used:
            return False
        self.used.add(words)
        return True

    # -- days ---------------------------------------------------------------------------------------

    def past_day(self) -> tuple[str, str]:
        """(words in the text, words for ``date:``) of a day before the article's."""
        offset = self.rng.choice((1, 2, 3))
        if offset == 1 and self.rng.random() < 0.5:
            return "yesterday", "yesterday"
        day = self.day - timedelta(days=offset)
        if self.rng.random() < 0.3:
            words = f"{day.day} {MONTHS[day.month - 1]}"
            return f"on {words}", words
        return f"on {WEEKDAYS[day.weekday()]}", WEEKDAYS[day.weekday()]

    def next_day(self) -> tuple[str, str]:
        offset = self.rng.choice((1, 2, 3))
        if offset == 1 and self.rng.random() < 0.5:
            return "tomorrow", "tomorrow"
        weekday = WEEKDAYS[(self.day + timedelta(days=offset)).weekday()]
        return f"on {weekday}", weekday

    # -- proposals ----------------------------------------------------------------------------------

    def proposal(self, proposer: Actor) -> tuple[str, str] | None:
        """A new proposal of ``proposer``: (id, words); None when every one is taken."""
        for _ in range(50):
            cls, pattern = self.rng.choice(PROPOSALS)
            words = pattern.format(place=self.rng.choice(PLACES).name)
            if self.fresh(words):
                proposal = self.id("proposal")
                self.entities[proposal] = {"a": cls, "mention": words}
                self.proposals.append((proposal, words, proposer))
                return proposal, words
        return None

    def aim(self) -> tuple[str, str] | None:
        """A new aim: (id, words); None when every one is taken."""
        for _ in range(50):
            words = self.rng.choice(AIMS).format(place=self.rng.choice(PLACES).name)
            if self.fresh(words):
                aim = self.id("aim")
                self.entities[aim] = {"a": "Aim", "mention": words}
                return aim, words
        return None


# -- the story units: each writes a paragraph of text and its mapping -------------------------------------


def meeting(a: Article) -> None:
    first, second = a.pick(LEADERS, 2)
    city = a.rng.choice(CITIES)
    mention = f"{first.name} met {second.name} in {city.name}"
    if not a.fresh(mention):
        return
    when, day = a.past_day()
    if (found := a.proposal(first)) is None:
        return
    proposal, words = found
    event = a.id("meeting")
    a.entities[event] = {"a": "Meeting", "label": f"{first.name} and {second.name} meet in {city.name}",
                         "mention": mention}  # fmt: skip
    sentence = f"{mention} {when}, where the two leaders discussed {words}."
    a.paragraphs.append(sentence + f" {first.short} proposed {words} to the others.")
    a.facts.append({"quote": sentence, "about": event, "date": day, "status": "held", "takesPlaceIn": city.id,
                    "discusses": proposal, "participation": [{"agent": first.id, "status": "attended"},
                                                             {"agent": second.id, "status": "attended"}]})  # fmt: skip
    a.facts.append({"quote": mention, "about": first.id, "meetsWith": second.id})
    a.facts.append({"quote": f"{first.short} proposed {words}", "about": first.id, "proposes": proposal})
    if a.rng.random() < 0.5:
        a.captions.append(sentence)


def planned_summit(a: Article) -> None:
    host, first, second = a.pick(LEADERS, 3)
    building = a.rng.choice(BUILDINGS)
    mention = f"will host {first.name} and {second.name} at the {building.name}"
    if not a.fresh(mention):
        return
    when, day = a.next_day()
    if (found := a.aim()) is None:
        return
    aim, aim_words = found
    event = a.id("summit")
    a.entities[event] = {"a": "Summit", "label": f"Summit of {host.name}, {first.name} and {second.name}",
                         "mention": mention}  # fmt: skip
    sentence = f"{host.name} {mention} {when} in a bid to {aim_words}."
    a.paragraphs.append(sentence)
    a.facts.append({"quote": sentence, "about": event, "date": day, "status": "planned", "location": building.id,
                    "participation": [{"agent": host.id, "role": "hostRole", "status": "expected", "purpose": aim},
                                      {"agent": first.id, "status": "invited"},
                                      {"agent": second.id, "status": "invited"}]})  # fmt: skip


def interview_claim(a: Article) -> None:
    speaker = a.rng.choice(ENVOYS + LEADERS)
    outlet = a.rng.choice(OUTLETS)
    (subject,) = a.pick(LEADERS, 1, avoid=(speaker,))
    when, day = a.past_day()
    told = f"{speaker.name} told {outlet.name} {when}"
    if not a.fresh(told):
        return
    if (found := a.proposal(a.rng.choice(BODIES))) is None:
        return
    proposal, words = found
    owner = proposal_owner(a, proposal)
    a.facts.append({"quote": f"{named(owner)} has put forward {words}", "about": proposal, "proposedBy": owner.id})
    interview = a.id("interview")
    a.entities[interview] = {"a": "Interview", "label": f"{speaker.name}'s interview with {outlet.name}",
                             "mention": told}  # fmt: skip
    clause = f"{subject.name} had agreed to {words}"
    sentence = f"{told} that {clause}."
    a.paragraphs.append(f"{named(owner)} has put forward {words}. {sentence}")
    a.facts.append({"quote": told, "about": interview, "date": day, "status": "held",
                    "placeUnknownReason": "A broadcast interview; the article does not say where it was given.",
                    "participation": [{"agent": speaker.id, "status": "attended"},
                                      {"agent": outlet.id, "status": "attended"}]})  # fmt: skip
    claim = a.id("claim")
    a.claims[claim] = {"label": f"{speaker.name} tells {outlet.name} {subject.name} agreed to {words}",
                       "quote": sentence, "claimant": speaker.id, "verb": "told", "status": "claimedByOneSide",
                       "through": outlet.id, "during": interview, "clause": clause,
                       "says": [[subject.id, "agreesTo", proposal]]}  # fmt: skip


def proposal_owner(a: Article, proposal: str) -> Actor:
    return next(owner for pid, _, owner in a.proposals if pid == proposal)


def named(body: Actor) -> str:
    """A body as a sentence starts with it: "NATO", "The European Commission"."""
    return body.name if body.id == "nato" else f"The {body.name}"


def quotation(a: Article) -> None:
    speaker = a.rng.choice(LEADERS)
    words = next((q for q in a.rng.sample(QUOTES, len(QUOTES)) if a.fresh(q)), None)
    found = a.aim() if words is not None else None
    if found is None:
        return
    aim, aim_words = found
    sentence = f'{speaker.name} said: "{words}" The aim, {speaker.name} said, is to {aim_words}.'
    claim = a.id("claim")
    a.paragraphs.append(sentence)
    a.claims[claim] = {"label": f"{speaker.name}: {words}", "quote": sentence, "claimant": speaker.id,
                       "verb": "said", "status": "officiallyStated", "quotation": words,
                       "clause": [words, f"is to {aim_words}"], "says": [[speaker.id, "supports", aim]]}  # fmt: skip


def outlet_report(a: Article) -> None:
    outlet = a.rng.choice(OUTLETS)
    leader = a.rng.choice(LEADERS)
    aim_found, found = a.aim(), a.proposal(leader)
    if aim_found is None or found is None:
        return
    (aim, aim_words), (proposal, words) = aim_found, found
    place = next(p for p in PLACES if p.name in words)
    clause = f"{leader.name} demanded {words} as a condition for any deal to {aim_words}"
    sentence = f"{outlet.name} reported that {clause}."
    if not a.fresh(sentence):
        return
    a.paragraphs.append(sentence)
    a.claims[a.id("claim")] = {"label": f"{outlet.name} reports {leader.name} demanded {words}", "quote": sentence,
                               "claimant": outlet.id, "verb": "reported", "status": "reportedByOutlets",
                               "clause": clause,
                               "says": [[leader.id, "demands", proposal], [aim, "hasCondition", proposal],
                                        [proposal, "concerns", place.id]]}  # fmt: skip


def phone_call(a: Article) -> None:
    first, second = a.pick(LEADERS, 2)
    mention = f"{first.name} spoke to {second.name} by phone"
    if not a.fresh(mention):
        return
    if a.rng.random() < 0.3:
        when = day = "last night"
    else:
        day = f"{WEEKDAYS[(a.day - timedelta(days=a.rng.choice((1, 2, 3)))).weekday()]} {a.rng.choice(PARTS)}"
        when = f"on {day}"
    event = a.id("call")
    a.entities[event] = {"a": "PhoneCall", "label": f"Phone call of {first.name} and {second.name}", "mention": mention}
    sentence = f"{mention} {when}."
    a.paragraphs.append(sentence)
    a.facts.append({"quote": sentence, "about": event, "date": day, "status": "held",
                    "placeUnknownReason": "A phone call; the two were in different places.",
                    "participation": [{"agent": first.id, "status": "attended"},
                                      {"agent": second.id, "status": "attended"}]})  # fmt: skip


def hedged_stance(a: Article) -> None:
    if not a.proposals:
        return
    proposal, words, owner = a.rng.choice(a.proposals)
    (leader,) = a.pick(LEADERS, 1, avoid=(owner,))
    sentence = f"{leader.name} looks set to back {words}, according to officials."
    if not a.fresh(sentence):
        return
    a.paragraphs.append(sentence)
    a.claims[a.id("claim")] = {"label": f"The article says {leader.name} looks set to back {words}",
                               "quote": sentence, "claimant": AUTHOR.id, "verb": "looks set to",
                               "status": "reportedByOutlets",
                               "says": [{"statement": [leader.id, "supports", proposal], "certainty": "probable",
                                         "time": "planned", "hedge": "looks set to"}]}  # fmt: skip


def arrival(a: Article) -> None:
    leader = a.rng.choice(LEADERS)
    city = a.rng.choice(CITIES)
    mention = f"arrived in {city.name}"
    title = f"The {leader.office_name}, {leader.name},"
    if not a.fresh(title) or not a.fresh(f"{leader.name} {mention}"):
        return
    when, day = a.past_day()
    event = a.id("arrival")
    a.entities[event] = {"a": "Event", "label": f"{leader.name} arrives in {city.name}",
                         "mention": f"{leader.name}, {mention}"}  # fmt: skip
    sentence = f"{title} {mention} {when}."
    a.paragraphs.append(sentence)
    a.facts.append({"quote": title, "about": leader.id, "holdsOffice": leader.office,
                    "titleAsStated": leader.office_name})  # fmt: skip
    a.facts.append({"quote": sentence, "about": event, "date": day, "status": "held", "takesPlaceIn": city.id,
                    "participation": [{"agent": leader.id, "status": "attended"}]})  # fmt: skip
    if a.rng.random() < 0.5:
        a.captions.append(sentence)


def purpose(a: Article) -> None:
    body = a.rng.choice(BODIES)
    aim_found, found = a.aim(), a.proposal(body)
    if aim_found is None or found is None:
        return
    (aim, aim_words), (proposal, words) = aim_found, found
    sentence = f"{named(body)} proposed {words} to {aim_words}."
    a.paragraphs.append(sentence)
    a.facts.append({"quote": sentence, "about": body.id, "proposes": proposal})
    a.facts.append({"quote": f"{words} to {aim_words}", "about": proposal, "hasPurpose": aim})


UNITS = (meeting, planned_summit, interview_claim, quotation, outlet_report, phone_call, hedged_stance, arrival,
         purpose)  # fmt: skip


def write_article(number: int, seed: int, into: Path) -> str:
    """Write synthetic article ``number`` into ``into``/data/; return its folder name."""
    rng = random.Random(seed * 1_000_003 + number)  # noqa: S311 - made-up text, not secrets
    a = Article(number, FIRST_DAY + timedelta(days=number), rng)
    for unit in UNITS:  # every kind once, then more at random
        unit(a)
    for _ in range(rng.randint(10, 14)):
        rng.choice(UNITS)(a)
    headlines = rng.sample(HEADLINES, 2)
    lead = a.paragraphs[0]
    dateline = f"date {a.day.isoformat()}"
    parts = [f"{dateline} {lead} Picture: Getty", f"By {AUTHOR.name}"]
    body = a.paragraphs[:]
    for caption in a.captions:
        body.insert(rng.randint(1, len(body)), f"{caption} Picture: Alamy")
    for headline in headlines:
        body.insert(rng.randint(1, len(body)), f"Read More: {headline}")
    text = "\n\n".join(parts + body) + "\n"
    folder = into / "data" / a.slug
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(text, encoding="utf-8")
    zones = {
        "datelineZone": [{"quote": dateline}],
        "captionZone": [{"quote": f"{lead}", "occurrence": 1}]
        + [{"quote": c, "occurrence": _caption_occurrence(text, c)} for c in a.captions],
        "creditZone": [{"quote": "Picture: Getty"}, {"quote": f"By {AUTHOR.name}"}]
        + ([{"quote": "Picture: Alamy"}] if a.captions else []),
        "relatedHeadlineZone": [{"quote": f"Read More: {h}"} for h in headlines],
    }
    for number_, headline in enumerate(headlines, start=1):
        a.entities[f"s{a.number:04d}-headline-{number_}"] = {"a": "RelatedHeadline", "mention": headline}
    facts = [{"quote": f"By {AUTHOR.name}", "about": "article", "schema:author": AUTHOR.id}]
    facts += [{"quote": f"Read More: {h}", "about": "article", "relatedHeadline": f"s{a.number:04d}-headline-{n}"}
              for n, h in enumerate(headlines, start=1)]  # fmt: skip
    mapping = {
        "article": {"text": "article.txt", "title": lead, "date": a.day.isoformat(), "quote": dateline,
                    "language": "en"},
        "zones": zones,
        "entities": a.entities,
        "facts": facts + a.facts,
        "claims": a.claims,
    }  # fmt: skip
    header = (
        f"# Synthetic article {number} of the benchmark corpus (bench/corpus.py, seed {seed}): made up, in the style\n"
        "# of the real article, naming the registry's people, offices and places.\n"
        "# yaml-language-server: $schema=../schema/mapping.schema.json\n\n"
    )
    dumped = yaml.dump(mapping, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    dumped = re.sub(r"\n(?=[a-z]+:)", "\n\n", dumped)  # a blank line between sections
    (folder / "mapping.yaml").write_text(header + dumped, encoding="utf-8")
    return a.slug


class _Dumper(yaml.SafeDumper):
    """Block style, as the real mapping is written, but short lists and small entries on one line."""


def _short(value) -> bool:
    scalars = value.values() if isinstance(value, dict) else value
    return all(not isinstance(v, dict | list) for v in scalars) and len(str(value)) < 90


_Dumper.add_representer(
    dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=_short(v) and len(v) < 5)
)
_Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=_short(v)))


def _caption_occurrence(text: str, caption: str) -> int:
    """Which occurrence of ``caption`` in ``text`` is the picture's caption (the one before its credit)."""
    starts, at = [], text.find(caption)
    while at != -1:
        starts.append(at)
        at = text.find(caption, at + 1)
    return next(n for n, at in enumerate(starts, start=1) if text.startswith(" Picture: Alamy", at + len(caption)))


def write_corpus(into: Path, articles: int, seed: int = 7, *, with_real: bool = False) -> list[str]:
    """Make ``into`` a project of ``articles`` synthetic articles (and the real ones, if asked).

    :return: the synthetic articles' folder names.
    """
    into.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "ontology", into / "ontology", dirs_exist_ok=True)
    (into / "data").mkdir(exist_ok=True)
    for extra in ("registry.yaml", "schema"):
        source = ROOT / "data" / extra
        if source.is_dir():
            shutil.copytree(source, into / "data" / extra, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy(source, into / "data" / extra)
    if with_real:
        for mapping in sorted((ROOT / "data").glob("*/mapping.yaml")):
            shutil.copytree(mapping.parent, into / "data" / mapping.parent.name, dirs_exist_ok=True)
    return [write_article(number, seed, into) for number in range(1, articles + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, required=True, help="how many synthetic articles")
    parser.add_argument("--into", type=Path, required=True, help="the project folder to make (must not exist)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--with-real", action="store_true", help="copy the project's real articles in too")
    args = parser.parse_args()
    if args.into.exists():
        parser.error(f"{args.into} exists: give a new folder")
    folders = write_corpus(args.into, args.articles, args.seed, with_real=args.with_real)
    print(f"corpus: {len(folders)} synthetic article(s) in {args.into}/data")


if __name__ == "__main__":
    main()
