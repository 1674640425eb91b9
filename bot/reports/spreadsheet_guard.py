"""Text for CSV cells that no spreadsheet runs as a formula (CSV injection).

A CSV cell has no type: the spreadsheet that opens the file decides whether it
is text, a number, a date or a formula. A formula can call ``HYPERLINK`` or
``WEBSERVICE`` with the sheet's data, or start a program through a DDE link
(``=cmd|' /C calc'!A0``). Summaries, names and signal words come from the API
and, through the calls, from anyone who phones in, so every text cell passes
``guard_cell`` before it is written.

A cell that could become a formula gets a leading apostrophe, the usual
mitigation. Spreadsheets show that apostrophe, so it is added only where one is
needed and everything else stays byte-for-byte:

* ``=`` and ``@`` start a formula in Excel (``=`` also in LibreOffice Calc with
  "Evaluate formulas" on); a leading tab or carriage return is dropped by some
  importers, which then see what follows: always guarded.
* ``+`` and ``-`` start a formula in Excel (the CSV import of LibreOffice 7.4
  keeps them as text even with "Evaluate formulas" on), so they are guarded
  unless what follows cannot do anything:

  - a plain number (``-5``, ``+3,5``, ``-1e5``) or a phone number
    (``+7 (778) 203 66 47``): digits and punctuation, at most arithmetic;
  - prose such as a bullet point (``- Клиент спросил о цене``): a sign, spaces
    and a letter, with no ``(`` (a function call), ``|`` (a DDE link) or ``!``
    (a reference to another sheet or file) anywhere in the cell. Without them
    a formula can only name things; Excel may show such a cell as ``#NAME?``,
    but nothing runs. Prose that has one of them is guarded.
"""

from __future__ import annotations

import re
from typing import Final

# First characters after which a spreadsheet may read a cell as a formula.
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r")

_NUMBER: Final = re.compile(r"[+-](?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# "+7 (778) 203 66 47", "+7-778-203-66-47", "+44 20 7946 0958", "+77782036647".
_PHONE: Final = re.compile(r"\+\d{1,4}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]?\d{1,5}){1,6}")
# A sign, spaces and a letter: "- Клиент…", "+ added".
_PROSE: Final = re.compile(r"[+-] +[^\W\d_]")
# What a formula needs to do anything: a function call, a DDE link, another sheet or file.
_ACTIVE: Final = re.compile(r"[(|!]")


def guard_cell(text: str) -> str:
    """``text`` as a CSV cell: unchanged unless a spreadsheet could run it, else ``'`` + text."""
    if not text or text[0] not in FORMULA_TRIGGERS:
        return text
    if text[0] in "+-" and _is_inert(text):
        return text
    return "'" + text


def _is_inert(signed: str) -> bool:
    """Whether a cell starting with ``+`` or ``-`` can do nothing if read as a formula."""
    if _NUMBER.fullmatch(signed) or _PHONE.fullmatch(signed):
        return True
    return _PROSE.match(signed) is not None and _ACTIVE.search(signed) is None
