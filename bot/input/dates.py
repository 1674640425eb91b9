"""Dates and date ranges as people type them, in Russian or English.

``read_dates("с 21 по 28 ноября", today)`` gives the inclusive range of local dates
the text means. Each date is read by ``dateparser`` (month names, relative words
like «вчера» or "last week", numeric dates day first); this module only splits a
range into its two sides, lets a side borrow what it lacks from the other
(«21–28 ноября»), and picks the year of dates typed without one:

* a date without a year is its latest occurrence not after ``today``;
* a range typed without years is read the shorter way: ``20.12–05.01`` spans the
  new year, while ``28.11–21.11`` is ``21.11–28.11`` of one year;
* an end after ``today`` is cut to ``today`` (and says so); a start after it is an error.

Nothing here reads the clock: every relative word is relative to ``today``.
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import ClassVar, Final

from dateparser.date import DateDataParser

log = logging.getLogger(__name__)

MAX_TEXT: Final = 100
"""Longer text is refused unread: dateparser's time grows with it, and no date is that long."""

MAX_SPLITS: Final = 8
"""At most this many places are tried as the middle of a range, which bounds the work."""

# How far back a date without a year is looked for: far enough for 29.02.
_YEARS_BACK: Final = 8

# Tried by dateparser before its own guessing: without them «21.11» reads as 21:11
# today, and «11.12» could come out month first.
_NUMERIC_FORMATS: Final = (
    "%d.%m",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%Y-%m-%d",
    "%d-%m-%Y",
)

# The parsers that read dates people write; "timestamp" would take «1700000000» for a
# Unix time and "no-spaces-time" reads any run of digits as something.
_PARSERS: Final = ["relative-time", "custom-formats", "absolute-time"]

# Nominative forms dateparser's Russian data lacks; it knows the prepositional ones.
_PHRASES: Final = {
    "прошлая неделя": "на прошлой неделе",
    "прошлую неделю": "на прошлой неделе",
    "предыдущая неделя": "на прошлой неделе",
    "эта неделя": "на этой неделе",
    "эту неделю": "на этой неделе",
    "текущая неделя": "на этой неделе",
    "прошлый месяц": "в прошлом месяце",
    "предыдущий месяц": "в прошлом месяце",
    "этот месяц": "в этом месяце",
    "текущий месяц": "в этом месяце",
    "previous week": "last week",
    "previous month": "last month",
}

# Words that may open a period and mean nothing for it.
_LEADING = re.compile(r"^(?:за|с|со|от|между|from|between|for|in|during)\s+")
# The middle of a range: strong separators are tried before a bare hyphen, which
# also sits inside ISO dates (2026-11-21).
_STRONG_SEPARATOR = re.compile(
    r"\s*(?:\.\.+|…|–|\s-\s|\b(?:по|до|to|till|until|through|and|и)\b)\s*"
)
_HYPHEN = re.compile(r"\s*-\s*")
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63]")
# A numeric date: when dateparser cannot read one, its numbers are wrong (31.02, 10.13).
_NUMERIC_DATE = re.compile(r"\d{1,2}[./]\d{1,2}(?:[./](?:\d{2}|\d{4}))?|\d{4}-\d{1,2}-\d{1,2}")
_DAY_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")


class DateTextError(ValueError):
    """The text is not a usable date or range; ``reason`` is one of the codes below."""

    FORMAT: ClassVar[str] = "format"  # not a date or a range of dates
    INVALID_DATE: ClassVar[str] = "invalid_date"  # a date that is not in the calendar
    ORDER: ClassVar[str] = "order"  # dates with years given, the end before the start
    FUTURE: ClassVar[str] = "future"  # starts after today

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DateSpan:
    """An inclusive range of dates; ``end_clipped`` when the typed end was after today."""

    start: date
    end: date
    end_clipped: bool = False


@dataclass(frozen=True, slots=True)
class _Piece:
    """What one date expression determined; ``None`` parts were not typed."""

    day: int | None
    month: int | None
    year: int | None
    unit: str = "day"  # "day", "week", "month" or "year"


def read_dates(text: str, today: date) -> DateSpan:
    """The range of dates ``text`` means, relative to ``today``; raises ``DateTextError``.

    Never raises anything else, whatever the text.
    """
    cleaned = _clean(text)
    if not cleaned:
        raise DateTextError(DateTextError.FORMAT)
    parser = _parser(today)
    try:
        pair = _split(cleaned, parser)
        if pair is not None:
            start, end = _range(pair[0], pair[1], today)
        else:
            whole = _piece(cleaned, parser)
            if whole is None or not _standalone(whole):
                raise DateTextError(_failure(cleaned, parser))
            start, end = _single(whole, today)
    except (ValueError, OverflowError) as error:
        if isinstance(error, DateTextError):
            raise
        # Arithmetic at the edge of the calendar (year 9999) or a day that does not exist.
        raise DateTextError(DateTextError.INVALID_DATE) from None
    if start > today:
        raise DateTextError(DateTextError.FUTURE)
    if end > today:
        return DateSpan(start, today, end_clipped=True)
    return DateSpan(start, end)


def _clean(text: str) -> str:
    if len(text) > MAX_TEXT:
        return ""
    # NFKC turns full-width digits and odd spaces into plain ones.
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    folded = _DASHES.sub("–", folded)
    folded = " ".join(folded.split()).strip(" .,;:!?")
    folded = _PHRASES.get(folded, folded)
    return _LEADING.sub("", folded)


def _parser(today: date) -> DateDataParser:
    settings = {
        "PREFER_DATES_FROM": "past",
        # Noon, so that "3 hours ago" and the like stay on the day they were said.
        "RELATIVE_BASE": datetime.combine(today, time(12)),
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "PARSERS": _PARSERS,
    }
    return DateDataParser(languages=["ru", "en"], settings=settings, try_previous_locales=False)


def _piece(text: str, parser: DateDataParser) -> _Piece | None:
    text = _PHRASES.get(text, text)
    if not text or not any(char.isalnum() for char in text):
        return None
    try:
        data = parser.get_date_data(text, date_formats=list(_NUMERIC_FORMATS))
    except Exception:
        # A third-party parser on arbitrary text: whatever it trips on is "not a date".
        log.debug("dateparser failed on %r", text, exc_info=True)
        return None
    found = data.date_obj
    parts = set(data.parts or ())
    if found is None or not parts or "time" in parts:
        return None
    year = found.year if "year" in parts else None
    match data.period:
        case "week":
            return _Piece(found.day, found.month, found.year, "week")
        case "month":
            return _Piece(None, found.month, year, "month") if "month" in parts else None
        case "year":
            return _Piece(None, None, found.year, "year") if year is not None else None
        case "day" if "day" in parts:
            month = found.month if "month" in parts else None
            return _Piece(found.day, month, year if month is not None else None)
    return None


def _standalone(piece: _Piece) -> bool:
    """Whether a piece means a date on its own: a lone day number does not."""
    return piece.unit != "day" or piece.month is not None


def _split(text: str, parser: DateDataParser) -> tuple[_Piece, _Piece] | None:
    """The two sides of a range, or ``None`` when ``text`` is not one."""
    tried = 0
    for separator in (_STRONG_SEPARATOR, _HYPHEN):
        for match in separator.finditer(text):
            left, right = text[: match.start()].strip(), text[match.end() :].strip()
            if not left or not right:
                continue
            tried += 1
            if tried > MAX_SPLITS:
                return None
            first = _piece(left, parser)
            if first is None or not _range_side(first):
                continue
            second = _piece(right, parser)
            if second is None or not _range_side(second):
                continue
            if first.month is None and second.month is None:
                continue
            return first, second
    return None


def _range_side(piece: _Piece) -> bool:
    # Whole months and years are left out: «2026-11» would pass for a side of «2026-11-21».
    return piece.unit in ("day", "week")


def _failure(text: str, parser: DateDataParser) -> str:
    """Why nothing was read: a date-shaped chunk with impossible numbers, or no date at all."""
    chunks = [text]
    for separator in (_STRONG_SEPARATOR, _HYPHEN):
        chunks += [chunk.strip() for chunk in separator.split(text)[:MAX_SPLITS]]
    for chunk in chunks:
        if _NUMERIC_DATE.fullmatch(chunk) and _piece(chunk, parser) is None:
            return DateTextError.INVALID_DATE
    for chunk in chunks[:MAX_SPLITS]:
        # «31 февраля»: the same words with day 1 are a date, so the day was impossible.
        number = _DAY_NUMBER.search(chunk)
        if number is None or int(number.group()) < 29:
            continue
        probe = _piece(chunk[: number.start()] + "1" + chunk[number.end() :], parser)
        if probe is not None and probe.unit == "day" and probe.month is not None:
            return DateTextError.INVALID_DATE
    return DateTextError.FORMAT


def _single(piece: _Piece, today: date) -> tuple[date, date]:
    if piece.year is None:
        assert piece.month is not None
        year = _latest_year(piece.month, piece.day or 1, today)
        if year is None:
            raise DateTextError(DateTextError.INVALID_DATE)
        piece = replace(piece, year=year)
    return _bounds(piece)


def _bounds(piece: _Piece) -> tuple[date, date]:
    """The first and last day a piece with its year covers."""
    assert piece.year is not None
    if piece.unit == "year":
        return date(piece.year, 1, 1), date(piece.year, 12, 31)
    assert piece.month is not None
    if piece.unit == "month":
        last = calendar.monthrange(piece.year, piece.month)[1]
        return date(piece.year, piece.month, 1), date(piece.year, piece.month, last)
    assert piece.day is not None
    day = _date(piece.year, piece.month, piece.day)
    if piece.unit == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return day, day


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateTextError(DateTextError.INVALID_DATE) from None


def _latest_year(month: int, day: int, today: date) -> int | None:
    """The latest year in which ``day.month`` exists and is not after ``today``."""
    for year in range(today.year, today.year - _YEARS_BACK, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return year
    return None


def _range(first: _Piece, second: _Piece, today: date) -> tuple[date, date]:
    # A side without a month («21» in «21–28 ноября») takes the other side's month and year.
    if first.month is None:
        first = replace(first, month=second.month, year=second.year)
    if second.month is None:
        second = replace(second, month=first.month, year=first.year)
    if first.year is not None and second.year is not None:
        start, end = _bounds(first)[0], _bounds(second)[1]
        if end < start:
            raise DateTextError(DateTextError.ORDER)
        return start, end
    if second.year is not None:
        end = _bounds(second)[1]
        start = _bounds(replace(first, year=second.year))[0]
        if start > end:
            start = _bounds(replace(first, year=second.year - 1))[0]
        return start, end
    if first.year is not None:
        start = _bounds(first)[0]
        end = _bounds(replace(second, year=first.year))[1]
        if end < start:
            end = _bounds(replace(second, year=first.year + 1))[1]
        return start, end
    return _yearless_range(first, second, today)


def _yearless_range(first: _Piece, second: _Piece, today: date) -> tuple[date, date]:
    """Two dates without years: in one year, or across the new year when that is shorter."""
    assert first.month is not None and first.day is not None
    assert second.month is not None and second.day is not None
    low, high = sorted([first, second], key=lambda piece: (piece.month, piece.day))
    readings: list[tuple[date, date]] = []
    same_year = _anchored(low, high, today, 0)
    if same_year is not None:
        readings.append(same_year)
    if (first.month, first.day) > (second.month, second.day):
        across = _anchored(first, second, today, 1)
        if across is not None:
            readings.append(across)
    if not readings:
        raise DateTextError(DateTextError.INVALID_DATE)
    return min(readings, key=lambda reading: reading[1] - reading[0])


def _anchored(start: _Piece, end: _Piece, today: date, later: int) -> tuple[date, date] | None:
    """``start`` in its latest year not after today, ``end`` ``later`` years on."""
    assert start.month is not None and start.day is not None
    assert end.month is not None and end.day is not None
    for year in range(today.year, today.year - _YEARS_BACK, -1):
        try:
            first = date(year, start.month, start.day)
            last = date(year + later, end.month, end.day)
        except ValueError:
            continue
        if first <= today:
            return first, last
    return None


def period_examples(today: date) -> tuple[str, ...]:
    """Example inputs for a prompt, dated in ``today``'s year and never in the future."""
    end = today - timedelta(days=1) if today.day > 1 else today
    start = max(end - timedelta(days=7), date(end.year, 1, 1))
    return (
        f"{start:%d.%m.%Y}–{end:%d.%m.%Y}",
        f"{start:%d.%m}–{end:%d.%m}",
        f"{start:%d.%m}",
    )
