"""How a membership CSV is checked and turned into the one shape every warehouse loads.

`prepare()` checks a local file (its encoding as `detect_encoding()` decides it) and
writes two UTF-8 CSV files that any sink can bulk-load without interpreting them:

- rows: header `_source_row_number,<column>,...`, one record per readable row, values
  exactly as in the source (an empty field stays an empty string);
- rejects: header `_source_row_number,reason,raw_line`, one record per row that could
  not be read (wrong number of fields, broken quoting).

Rules (docs/specification.md, "Membership exports"):
- encoding: a UTF-8 byte-order mark means UTF-8 with BOM; else the file must be valid
  UTF-8; else valid CP949 (Excel on Korean Windows); else it is refused, naming the
  first byte that is not UTF-8.
- header: names are matched case-insensitively after normalising to snake_case
  (`Member ID`, `memberId`, `MEMBER_ID` all become `member_id`), then mapped through the
  alias list (`DEFAULT_ALIASES`, plus a JSON file named by `$LOADER_COLUMN_ALIASES`,
  plus the `aliases` argument). `member_id` and `signup_at` are required; a column
  without a name becomes `column_<position>`; two columns meaning the same name are
  refused.
- a row's number is the line on which its record starts (the header is line 1); a
  quoted value spanning lines counts all of them. Blank (or whitespace-only) lines
  are skipped, neither loaded nor rejected.
- a file with a header and no rows is a valid, empty export; a file with no header
  at all is refused.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from loader.csvscan import FIELD_LIMIT, regular_lines
from loader.errors import LoadError, RefusedObject
from loader.progress import Progress

CANONICAL_COLUMNS = ("member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at")
REQUIRED_COLUMNS = ("member_id", "signup_at")
ROW_NUMBER_COLUMN = "_source_row_number"
REJECT_COLUMNS = (ROW_NUMBER_COLUMN, "reason", "raw_line")
ALIASES_ENV = "LOADER_COLUMN_ALIASES"

DEFAULT_ALIASES: dict[str, str] = {
    "회원ID": "member_id",
    "회원번호": "member_id",
    "사용자ID": "user_id",
    "가입일시": "signup_at",
    "가입일": "signup_at",
    "요금제": "plan",
    "플랜": "plan",
    "첫결제일시": "first_paid_at",
    "첫결제일": "first_paid_at",
    "해지일시": "canceled_at",
    "해지일": "canceled_at",
    # plan_price is an optional canonical column: an export may lack it.
    "plan_price_krw": "plan_price",
    "요금": "plan_price",
    "결제금액": "plan_price",
}

_CHUNK_BYTES = 8 * 1024 * 1024
_LINE_END = "\r\n"
_MAX_RAW_LINE_CHARS = 65536
# Magic numbers of files people export by mistake instead of CSV.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls workbook"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"SQLite format 3", "an SQLite database"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class PreparedCsv:
    """A checked object, rewritten as UTF-8 rows and rejects files (see the module docstring)."""

    rows_path: Path
    rejects_path: Path
    columns: tuple[str, ...]
    encoding: str
    rows: int
    rejected: int
    # How the records were read: "lines" (the byte-level fast path: every line a
    # regular record) or "csv" (Python's csv module, for everything else).
    reader: str = "csv"


def normalise_header(name: str) -> str:
    """`' Member ID'`, `'memberId'`, `'MEMBER-ID'` -> `'member_id'`; letters of any script are kept."""
    name = name.replace("\ufeff", "").strip()
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    name = re.sub(r"[^\w]+", "_", name.lower())
    return re.sub(r"_+", "_", name).strip("_")


def column_aliases(extra: Mapping[str, str] | None = None, alias_file: Path | None = None) -> dict[str, str]:
    """Normalised header -> canonical column: defaults, then `alias_file` ($LOADER_COLUMN_ALIASES), then `extra`."""
    merged = dict(DEFAULT_ALIASES)
    if alias_file:
        merged.update(_read_alias_file(Path(alias_file)))
    merged.update(extra or {})
    return {normalise_header(k): normalise_header(v) for k, v in merged.items()}


def _read_alias_file(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the alias file named by ${ALIASES_ENV} ({exc.strerror}).") from exc
    except ValueError as exc:
        raise LoadError(
            f"{path}: the alias file named by ${ALIASES_ENV} is not valid JSON ({exc}); "
            'it must be an object such as {"회원ID": "member_id"}.'
        ) from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise LoadError(
            f'{path}: the alias file must be one JSON object of header -> column names, e.g. {{"회원ID": "member_id"}}.'
        )
    return data


# ---------------------------------------------------------------- encoding


def detect_encoding(path: Path, uri: str) -> str:
    """'utf-8-sig', 'utf-8' or 'cp949'; refuses empty, binary and undecodable files."""
    with path.open("rb") as f:
        head = f.read(16)
    if not head:
        raise RefusedObject(uri, "the object is empty (0 bytes): there is no header and no row; export it again.")
    if head.startswith(codecs.BOM_UTF8):
        problem = _first_decode_error(path, "utf-8", skip=len(codecs.BOM_UTF8))
        if problem:
            raise RefusedObject(uri, f"it starts with a UTF-8 byte-order mark but {problem}; save it again as UTF-8.")
        return "utf-8-sig"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise RefusedObject(uri, f"this is not a CSV file: it is {what}; export the member table as CSV.")
    if head.startswith(_UTF16_BOMS):
        raise RefusedObject(
            uri, "the file is UTF-16 text, which the loader does not read; save it as CSV in UTF-8 (or CP949)."
        )
    nul = _first_nul(path)
    if nul is not None:
        raise RefusedObject(
            uri,
            f"this is not a CSV file: it holds binary data (a NUL byte at byte offset {nul}); "
            "export the member table as CSV text.",
        )
    utf8_problem = _first_decode_error(path, "utf-8")
    if utf8_problem is None:
        return "utf-8"
    if _first_decode_error(path, "cp949") is None:
        return "cp949"
    raise RefusedObject(
        uri,
        f"cannot decode the file: it is neither UTF-8 nor CP949 ({utf8_problem}); "
        "save it again as UTF-8 (Excel: 'CSV UTF-8').",
    )


def _first_nul(path: Path) -> int | None:
    offset = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            pos = chunk.find(b"\x00")
            if pos >= 0:
                return offset + pos
            offset += len(chunk)
    return None


def _first_decode_error(path: Path, encoding: str, skip: int = 0) -> str | None:
    """None if the whole file decodes, else where the first bad byte is (offset, line, column)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = skip  # file offset of the first byte not yet given to the decoder
    lines_before = 0  # newlines strictly before `offset - pending`
    line_start = 0  # file offset where the current line starts
    with path.open("rb") as f:
        f.seek(skip)
        while True:
            chunk = f.read(_CHUNK_BYTES)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                base = offset - len(pending)
                bad = base + exc.start
                before = data[: exc.start]
                line = lines_before + before.count(b"\n") + 1
                nl = before.rfind(b"\n")
                start = base + nl + 1 if nl >= 0 else line_start
                sample = data[exc.start : exc.start + 4].hex(" ")
                return (
                    f"byte offset {bad} (line {line}, byte {bad - start + 1} of that line) holds bytes "
                    f"{sample}, which are not valid {encoding.upper()}"
                )
            if not chunk:
                return None
            lines_before += chunk.count(b"\n")
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                line_start = offset + nl + 1
            offset += len(chunk)


# ---------------------------------------------------------------- header and rows


def prepare(
    path: Path,
    uri: str,
    workdir: Path,
    aliases: Mapping[str, str],
    progress: Progress | None = None,
) -> PreparedCsv:
    """Check the file and write its rows and rejects files into workdir; refuses bad files.

    The usual export (every line a regular record, loader/csvscan.py: the header's
    number of fields, no blank line, quotes only around whole fields) is rewritten with
    bytes operations (`_prepare_lines`); any other file, or one that fails that check
    part-way, goes through Python's csv module. Both give the same rows.
    """
    rows_path = workdir / "rows.csv"
    rejects_path = workdir / "rejects.csv"
    claimed = _claimed_utf8(path)
    if claimed is not None:
        # The fast path checks UTF-8 and NUL bytes chunk by chunk, saving detect_encoding's
        # two passes over the file; any doubt and detect_encoding decides, as before.
        fast = _prepare_lines(path, uri, claimed, rows_path, rejects_path, aliases, progress, validate=True)
        if fast is not None:
            return fast
    encoding = detect_encoding(path, uri)
    if encoding == "cp949":
        fast = _prepare_lines(path, uri, encoding, rows_path, rejects_path, aliases, progress)
        if fast is not None:
            return fast
    raw_lines: list[str] = []

    with path.open("r", encoding=encoding, newline="", buffering=_CHUNK_BYTES) as source:

        def lines() -> Iterator[str]:
            # Keeps the lines of the record being read, for the rejects' raw_line.
            for line in source:
                raw_lines.append(line)
                yield line

        reader = csv.reader(lines(), strict=True)
        header, header_line = _read_header(reader, raw_lines, uri)
        columns = _map_header(header, aliases, uri, "".join(raw_lines).rstrip("\r\n"), header_line)

        rows = rejected = 0
        with (
            rows_path.open("w", encoding="utf-8", newline="", buffering=_CHUNK_BYTES) as rows_file,
            rejects_path.open("w", encoding="utf-8", newline="") as rejects_file,
        ):
            rows_out = csv.writer(rows_file, lineterminator="\n")
            rejects_out = csv.writer(rejects_file, lineterminator="\n")
            rows_out.writerow([ROW_NUMBER_COLUMN, *columns])
            rejects_out.writerow(REJECT_COLUMNS)
            width = len(columns)
            last_line = reader.line_num
            while True:
                raw_lines.clear()
                try:
                    record = next(reader)
                    reason = None
                except StopIteration:
                    break
                except csv.Error as exc:
                    record = []
                    reason = _parse_error_reason(str(exc))
                line_no = last_line + 1
                last_line = reader.line_num
                if reason is None:
                    if len(record) == width:
                        if len(raw_lines) == 1 and '"' not in raw_lines[0]:
                            # No quotes, one line: csv.writer would write the same text, slower.
                            rows_file.write(f"{line_no},{raw_lines[0].rstrip(_LINE_END)}\n")
                        else:
                            rows_out.writerow([line_no, *record])
                        rows += 1
                        if progress is not None and rows % 100_000 == 0:
                            progress.bytes_done("checked", cast(BinaryIO, source.buffer).tell())
                        continue
                    if not record or (len(record) == 1 and not record[0].strip()):
                        continue
                    reason = f"wrong number of fields: the header has {width}, this row has {len(record)}"
                raw = "".join(raw_lines).rstrip("\r\n")[:_MAX_RAW_LINE_CHARS]
                rejects_out.writerow([line_no, reason, raw])
                rejected += 1
    return PreparedCsv(rows_path, rejects_path, columns, encoding, rows, rejected)


@dataclass(frozen=True)
class _Header:
    """The first line of an export whose header is a regular record (loader/csvscan.py)."""

    columns: tuple[str, ...]
    encoding: str
    crlf: bool  # the header ends in CRLF, so every line must
    body_start: int  # file offset of line 2
    head: bytes  # the bytes read after line 1, the start of the body


def _regular_header(
    source: BinaryIO, uri: str, encoding: str, aliases: Mapping[str, str], *, validate: bool
) -> _Header | None:
    """The header as line 1 of `source` (opened at offset 0), or None when the csv module must read it."""
    skip = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
    source.seek(skip)
    head = source.read(_CHUNK_BYTES)
    end = head.find(b"\n")
    if end < 0 and len(head) == _CHUNK_BYTES:
        return None  # a "header" of 8 MB is no export; let the csv module say why
    line = head if end < 0 else head[:end]
    crlf = line.endswith(b"\r")
    if crlf:
        line = line[:-1]
    if not line.strip() or not regular_lines(line + (b"\r\n" if crlf else b"\n"), line.count(b","),
                                              crlf=crlf, validate=validate):
        return None
    try:
        text = line.decode(encoding.replace("-sig", ""))
    except UnicodeDecodeError:
        return None
    names = next(csv.reader([text], strict=True))  # regular: quotes only around whole fields
    try:
        columns = _map_header(names, aliases, uri, text, 1)
    except RefusedObject:
        if validate:
            return None  # the encoding is not known to be right yet: detect_encoding speaks first
        raise
    body = b"" if end < 0 else head[end + 1 :]
    return _Header(columns, encoding, crlf, skip + len(head) - len(body), body)


def _line_blocks(source: BinaryIO, header: _Header, progress: Progress | None) -> Iterator[bytes]:
    """The body of the export in blocks of whole lines, about 8 MB each; the last line gets its line end.

    A line longer than the csv module's field limit comes as a block of its own, which
    no scan calls regular.
    """
    line_end = b"\r\n" if header.crlf else b"\n"
    pending = header.head
    done = header.body_start + len(pending)
    while True:
        chunk = source.read(_CHUNK_BYTES)
        data = pending + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            data, pending = data[:cut], data[cut:]
            if len(pending) > FIELD_LIMIT:
                data, pending = data + pending + line_end, b""
        elif data and not data.endswith(b"\n"):
            data += line_end
        if data:
            yield data
        if not chunk:
            return
        done += len(chunk)
        if progress is not None:
            progress.bytes_done("checked", done)


def _prepare_lines(
    path: Path,
    uri: str,
    encoding: str,
    rows_path: Path,
    rejects_path: Path,
    aliases: Mapping[str, str],
    progress: Progress | None,
    *,
    validate: bool = False,
) -> PreparedCsv | None:
    """The rows file written with bytes operations when every line is a regular record, else None.

    A regular line (loader/csvscan.py) is one record with the header's number of
    fields, so its number is its line number: each is written as `<number>,<line>`
    (quoted fields stay quoted, which every CSV reader reads as the same text). A line
    that is not regular makes this return None, and the caller starts again with the
    csv module, which rejects or skips such lines with its exact rules. In CP949 the
    bytes of `"`, `,`, CR and LF never occur inside a two-byte character, so the same
    scan holds there.
    """
    with path.open("rb", buffering=0) as source:
        header = _regular_header(source, uri, encoding, aliases, validate=validate)
        if header is None:
            return None
        commas = len(header.columns) - 1
        line_no = 2
        with rows_path.open("wb") as rows_file:
            rows_file.write(",".join([ROW_NUMBER_COLUMN, *header.columns]).encode() + b"\n")
            for data in _line_blocks(source, header, progress):
                if not regular_lines(data, commas, crlf=header.crlf, validate=validate):
                    return None
                if header.crlf:
                    data = data.replace(b"\r\n", b"\n")
                if encoding == "cp949":
                    data = data.decode("cp949").encode("utf-8")
                lines = data.split(b"\n")
                lines.pop()  # the empty string after the last LF
                numbers = range(line_no, line_no + len(lines))
                rows_file.write(b"".join(map(b"%d,%b\n".__mod__, zip(numbers, lines))))
                line_no += len(lines)
    rejects_path.write_text(",".join(REJECT_COLUMNS) + "\n", encoding="utf-8")
    return PreparedCsv(rows_path, rejects_path, header.columns, encoding, line_no - 2, 0, reader="lines")


@dataclass(frozen=True)
class DirectCsv:
    """A UTF-8 export whose header is regular, offered to a sink that reads CSV itself.

    If `scan()` confirms that every line is a regular record, the export needs no
    rewriting: `path` is the file itself (a UTF-8 byte-order mark, CRLF line ends,
    quoted fields and all), its header is line 1 and record i (from 0) is line 2 + i,
    with values exactly as the csv module reads them. A sink reads it with its own CSV
    reader, numbers the records in file order, and commits only after `scan()`
    returned the record count; None means some line is not regular, and the sink must
    write nothing (the loader then prepares the file with the csv module).
    """

    path: Path
    uri: str
    columns: tuple[str, ...]
    encoding: str
    header: _Header
    progress: Progress | None = None

    def scan(self, stop: threading.Event | None = None) -> int | None:
        """The number of records if every line is regular, else None (also when `stop` is set)."""
        commas = len(self.columns) - 1
        records = 0
        with self.path.open("rb", buffering=0) as source:
            source.seek(self.header.body_start + len(self.header.head))
            for data in _line_blocks(source, self.header, self.progress):
                if stop is not None and stop.is_set():
                    return None
                if not regular_lines(data, commas, crlf=self.header.crlf, validate=True):
                    return None
                records += data.count(b"\n")
        return records


def direct_export(
    path: Path, uri: str, aliases: Mapping[str, str], progress: Progress | None = None
) -> DirectCsv | None:
    """The export as a DirectCsv when it may be UTF-8 and its header is regular, else None (use `prepare`)."""
    encoding = _claimed_utf8(path)
    if encoding is None:
        return None
    with path.open("rb", buffering=0) as source:
        header = _regular_header(source, uri, encoding, aliases, validate=True)
    if header is None:
        return None
    return DirectCsv(path, uri, header.columns, encoding, header, progress)


def _claimed_utf8(path: Path) -> str | None:
    """'utf-8-sig' or 'utf-8' if the first bytes allow the file to be UTF-8 text, else None.

    None for an empty file, a known binary format or UTF-16: detect_encoding refuses those.
    """
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if not head or head.startswith(_UTF16_BOMS) or any(head.startswith(magic) for magic, _ in _MAGIC):
        return None
    return "utf-8"


def _parse_error_reason(message: str) -> str:
    if "unexpected end of data" in message:
        return "a quoted value starts on this line and is never closed before the end of the file"
    if "field larger than field limit" in message:
        return "a value is longer than 131072 characters, most likely a quote that is never closed"
    return f"the quoting of this row is broken ({message})"


def _read_header(reader: Any, raw_lines: list[str], uri: str) -> tuple[list[str], int]:
    """The first non-blank record and its line number."""
    while True:
        raw_lines.clear()
        try:
            record = next(reader)
        except StopIteration:
            raise RefusedObject(
                uri, "the object holds no header and no row (only blank lines); export it again."
            ) from None
        except csv.Error as exc:
            line = reader.line_num
            raise RefusedObject(
                uri, f"line {line}: the header cannot be read as CSV ({exc}); this does not look like a CSV export."
            ) from exc
        if record and any(field.strip() for field in record):
            return record, reader.line_num - len(raw_lines) + 1


def _map_header(
    header: list[str], aliases: Mapping[str, str], uri: str, header_text: str, header_line: int
) -> tuple[str, ...]:
    columns: list[str] = []
    seen: dict[str, int] = {}
    for position, raw_name in enumerate(header, start=1):
        name = normalise_header(raw_name)
        name = aliases.get(name, name) or f"column_{position}"
        if name in seen:
            raise RefusedObject(
                uri,
                f"line {header_line}: columns {seen[name]} and {position} of the header both mean {name!r}; "
                "remove or rename one of them.",
            )
        seen[name] = position
        columns.append(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        shown = header_text if len(header_text) <= 200 else header_text[:200] + "..."
        raise RefusedObject(uri, _missing_columns_message(missing, shown, header_line))
    return tuple(columns)


def _missing_columns_message(missing: list[str], header_text: str, header_line: int) -> str:
    stripped = header_text.lstrip()
    if stripped[:1] in {"{", "[", "<"}:
        return (
            f"this is not a CSV file: line {header_line} starts with {stripped[:1]!r} "
            "(JSON, XML or HTML); export the member table as CSV."
        )
    hint = ""
    for delimiter, label in (("\t", "tabs"), (";", "semicolons"), ("|", "vertical bars")):
        if delimiter in header_text and "," not in header_text:
            hint = f" The header seems to be separated by {label}; the loader reads comma-separated files."
    names = " and ".join(missing)
    return (
        f"line {header_line}: required column(s) {names} missing from the header {header_text!r}. "
        "The header must name member_id and signup_at (or an alias such as 회원ID / 가입일시); "
        f"map other names with a JSON alias file named by ${ALIASES_ENV}.{hint}"
    )
