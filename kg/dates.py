"""Resolve the article's words for a day ("Friday night", "tomorrow", "Sunday 17 August") to a date.

News copy names days relative to its own date. The rule is the one a reader applies: a weekday
means the nearest such day (three days back to three days ahead, the article's own weekday being
the article's date), unless "last" or "next" says which way to look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july",
           "august", "september", "october", "november", "december")  # fmt: skip
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_RELATIVE_DAYS = {
    "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
    "tomorrow": 1, "yesterday": -1, "last night": -1,
}  # fmt: skip
_RELATIVE_RULES = {0: "the anchor's day", 1: "the day after the anchor's day", -1: "the day before the anchor's day"}


@dataclass(frozen=True)
class ResolvedDay:
    """A day, whether it was worked out from a relative expression, and how (the rule, in words)."""

    day: date
    resolved: bool
    rule: str | None = None


def resolve_day(expression: str, article_date: date) -> ResolvedDay | None:
    """Return the day ``expression`` names, as read in an article dated ``article_date``.

    Returns None when the expression is not one this module understands.

    >>> sunday = date(2025, 8, 17)
    >>> resolve_day("Friday night", sunday)
    ResolvedDay(day=datetime.date(2025, 8, 15), resolved=True, rule="the nearest Friday to the anchor's day")
    >>> resolve_day("Monday", sunday).day, resolve_day("Sunday afternoon", sunday).day
    (datetime.date(2025, 8, 18), datetime.date(2025, 8, 17))
    >>> resolve_day("Sunday 17 August", sunday)
    ResolvedDay(day=datetime.date(2025, 8, 17), resolved=False, rule=None)
    >>> resolve_day("August 17, 2025", sunday).day, resolve_day("2025-02-28", sunday).day
    (datetime.date(2025, 8, 17), datetime.date(2025, 2, 28))
    >>> resolve_day("tomorrow", sunday).rule
    "the day after the anchor's day"
    >>> resolve_day("Blursday", sunday) is None
    True
    """
    text = " ".join(expression.lower().split())
    text = re.sub(r"^on\s+", "", text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return _explicit(lambda: date.fromisoformat(text))
    if text in _RELATIVE_DAYS:
        offset = _RELATIVE_DAYS[text]
        return ResolvedDay(article_date + timedelta(days=offset), True, _RELATIVE_RULES[offset])
    match = re.fullmatch(r"(?:\w+day\s+)?(\d{1,2})\s+(\w+)(?:\s+(\d{4}))?", text)
    if match and match[2] in _MONTHS:
        year = int(match[3]) if match[3] else article_date.year
        return _explicit(lambda: date(year, _MONTHS.index(match[2]) + 1, int(match[1])))
    match = re.fullmatch(r"(?:\w+day,?\s+)?(\w+)\s+(\d{1,2})(?:,?\s+(\d{4}))?", text)
    if match and match[1] in _MONTHS:
        year = int(match[3]) if match[3] else article_date.year
        return _explicit(lambda: date(year, _MONTHS.index(match[1]) + 1, int(match[2])))
    match = re.fullmatch(rf"(last\s+|next\s+)?(\w+day){_PART_OF_DAY}", text)
    if match and match[2] in _WEEKDAYS:
        offset = (_WEEKDAYS.index(match[2]) - article_date.weekday()) % 7
        weekday = match[2].capitalize()
        if match[1] and match[1].strip() == "last":
            offset, rule = (offset - 7 if offset else -7), f"the {weekday} before the anchor's day"
        elif match[1]:
            offset, rule = (offset or 7), f"the {weekday} after the anchor's day"
        else:
            offset, rule = (offset - 7 if offset > 3 else offset), f"the nearest {weekday} to the anchor's day"
        return ResolvedDay(article_date + timedelta(days=offset), True, rule)
    return None


def _explicit(make_date) -> ResolvedDay | None:
    try:
        return ResolvedDay(make_date(), False)
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    """The start of ``day``, as nkg:date writes a day (xsd:date is outside the OWL 2 datatype map)."""
    return datetime(day.year, day.month, day.day)
