"""Which bytes of an export are regular records: the cheap scan behind both fast paths.

A block of whole lines is *regular* when every line is one record that any RFC 4180
reader splits the same way as Python's csv module, line by line:

- every line holds exactly the header's number of commas, none of them inside quotes,
  so a record is one line and a field is the text between two commas (a blank or
  ragged line is not regular);
- a field is either free of `"`, or quoted as a whole: `"` + text without `"` + `"`
  (so no embedded quote, comma or line end, and nothing outside the quotes);
- line ends are all LF or all CRLF (a lone CR ends a line for the csv module);
- no line is longer than the csv module's field limit (it rejects such values);
- with `validate`, the block is valid UTF-8 and holds no NUL byte (what
  `detect_encoding` would otherwise decide).

Everything is a handful of bytes operations over the whole block (count, translate,
compare), no Python loop per line, so the scan runs at memory speed. A file that is
regular throughout gives the same rows whichever reader parses it; anything else goes
to the csv module, which rejects or skips lines with its exact rules.
"""

from __future__ import annotations

import csv

FIELD_LIMIT = csv.field_size_limit()
# The skeleton of a block keeps only the bytes that decide its shape.
_SHAPE_BYTES = b'",\n'
_OTHER_BYTES = bytes(b for b in range(256) if b not in _SHAPE_BYTES)
_LINE_ENDS_AS_COMMAS = bytes.maketrans(b"\r\n", b",,")


def regular_lines(data: bytes, commas: int, *, crlf: bool, validate: bool) -> bool:
    """True if `data` (whole lines, each ending in LF) is regular (see the module docstring).

    `crlf`: the file's line end, as its header line ends (every line must end alike).
    """
    if validate:
        if b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    lines = data.count(b"\n")
    crs = data.count(b"\r")
    if crs != (lines if crlf else 0) or (crs and crs != data.count(b"\r\n")):
        return False  # a lone CR, or LF and CRLF line ends mixed
    quotes = data.count(b'"')
    if quotes % 2:
        return False
    skeleton = data.translate(None, _OTHER_BYTES)
    if quotes:
        # A quoted field without embedded quote, comma or line end leaves `""` here.
        skeleton = skeleton.replace(b'""', b"")
    if skeleton != (b"," * commas + b"\n") * lines:
        return False
    if quotes and not _quotes_wrap_fields(data, quotes // 2):
        return False
    return _lines_within(data, FIELD_LIMIT)


def _quotes_wrap_fields(data: bytes, pairs: int) -> bool:
    """Every pair of quotes opens a field and closes it: `"` after a line start or comma, `"` before one.

    The skeleton check left an even number of quotes in every field and no comma or
    line end between a pair, so a field holds at most one opening and one closing
    quote; `pairs` openings and `pairs` closings mean every field with quotes is
    exactly `"text"`.
    """
    # With line ends read as commas, two counts find every boundary quote.
    bounded = data.translate(_LINE_ENDS_AS_COMMAS)
    if bounded.startswith(b'"') + bounded.count(b',"') != pairs:
        return False
    return bounded.count(b'",') == pairs


def _lines_within(data: bytes, limit: int) -> bool:
    """No line of `data` is longer than `limit` bytes; a step of about `limit` bytes at a time."""
    start, size = 0, len(data)
    while size - start > limit:
        end = data.rfind(b"\n", start, start + limit + 1)
        if end < 0:
            return False
        start = end + 1
    return True
