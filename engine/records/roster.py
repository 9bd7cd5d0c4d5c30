"""Reading a class roster from CSV or XLSX, before anything is written to the database.

:func:`read_roster` decodes the file, finds the header row, maps columns to fields and checks
every row; it returns an :class:`ImportReport` holding the good rows and one
:class:`RowError` per bad row (row numbers are the ones Excel shows: the header is usually
row 1). :meth:`engine.records.Store.import_roster` adds the checks that need the database and
writes the students in one transaction only if no row is bad (all or nothing).

Choices:

* **Encoding** (CSV): a UTF-8 / UTF-16 byte-order mark decides; otherwise strict UTF-8 is
  tried, then GB18030 (a superset of GBK, what Chinese Excel writes for "CSV"). The encoding
  used is reported. ``encoding=`` overrides.
* **Delimiter**: comma, tab or semicolon, sniffed from the header region.
* **Header row**: the first of the first 10 non-empty rows in which a student-number and a
  name column are recognised, so a title row ("高一(3)班名单") above the header is fine.
* **Columns** are recognised by Chinese or English names (:data:`HEADER_SYNONYMS`), compared
  after Unicode NFKC normalisation (full-width letters and brackets become half-width),
  lower-casing and removing spaces, underscores and punctuation. ``mapping`` overrides:
  ``{"student_number": "考号", "name": 3}`` (a header text or a 1-based column number).
* **Cell text** is NFKC-normalised and stripped, so "高一（3）班" and "高一(3)班" are one class
  and full-width digits in student numbers become ASCII.
* **Gender**: 男/男生/M/male/boy/1 and 女/女生/F/female/girl/2 (1/2 is the national fitness data
  system's coding); empty means unknown; anything else is a bad row.
* **Birth year**: a year, or a date (an Excel date cell, "2008-05-01", "2008/5/1",
  "2008年5月"); it must lie between 1900 and this year.
* **Student number**: letters, digits, "-" and "_", at most 32 characters; an Excel integer
  cell that came back as ``2024001.0`` is read as ``2024001``; scientific notation
  (``2.024E+11``, Excel's damage to long numbers) is a bad row, since digits are lost.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("student_number", "name", "gender", "class", "birth_year")
REQUIRED_FIELDS = ("student_number", "name")

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "student_number": (
        "学号", "学生学号", "学籍号", "学生编号", "编号", "考号", "studentnumber", "studentno",
        "studentid", "number", "no", "id", "studentcode",
    ),
    "name": ("姓名", "学生姓名", "名字", "name", "studentname", "fullname"),
    "gender": ("性别", "gender", "sex"),
    "class": ("班级", "班级名称", "班", "行政班", "class", "classname", "form", "homeroom"),
    "birth_year": (
        "出生年份", "出生年", "出生日期", "出生年月", "生日", "birthyear", "yearofbirth",
        "birthdate", "dateofbirth", "dob", "birthday",
    ),
}  # fmt: skip

GENDER_VALUES = {
    "男": "M", "男生": "M", "m": "M", "male": "M", "boy": "M", "1": "M",
    "女": "F", "女生": "F", "f": "F", "female": "F", "girl": "F", "2": "F",
}  # fmt: skip

MAX_NAME = 50
MAX_NUMBER = 32
_NUMBER_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_SCI_RE = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_YEAR_RE = re.compile(r"^(\d{4})(?:$|[-/.年]\s*\d{1,2}|\d{2}(?:\d{2})?$)")
_HEADER_SCAN = 10


class RosterError(ValueError):
    """The roster file as a whole cannot be read (not a single bad row: see :class:`RowError`)."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else Path(path)
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers rows (1-based, header included)
    field: str | None  # which field is bad, or None for the whole row
    value: str
    reason: str

    def __str__(self) -> str:
        what = f" {self.field} {self.value!r}:" if self.field else ""
        return f"row {self.row}:{what} {self.reason}"


@dataclass(frozen=True)
class RosterRow:
    row: int
    student_number: str
    name: str
    gender: str  # "M", "F" or "" (unknown)
    birth_year: int | None
    class_name: str


@dataclass
class ImportReport:
    """What reading (and, through the store, importing) a roster found and did."""

    path: Path
    encoding: str | None  # None for XLSX
    sheet: str | None  # None for CSV
    header_row: int
    mapping: dict[str, str]  # field -> header text found in the file
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0  # filled in by Store.import_roster
    updated: int = 0
    unchanged: int = 0
    classes_created: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False  # True once the students are committed

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        lines = [
            f"{self.path}: {len(self.rows) + len({e.row for e in self.errors})} data rows, "
            f"header at row {self.header_row}"
            + (f", encoding {self.encoding}" if self.encoding else "")
            + (f", sheet {self.sheet!r}" if self.sheet else ""),
            "columns: " + ", ".join(f"{k} <- {v!r}" for k, v in self.mapping.items()),
        ]
        if self.errors:
            lines.append(
                f"NOT IMPORTED: {len({e.row for e in self.errors})} bad row(s); fix them and "
                "import again (nothing was written):"
            )
            lines += [f"  {e}" for e in self.errors]
        elif self.written:
            lines.append(
                f"imported: {self.created} new, {self.updated} updated, {self.unchanged} unchanged"
                + (f"; new classes: {', '.join(self.classes_created)}" if self.classes_created else "")
            )
        else:
            lines.append(
                f"checked, not written{' (dry run)' if self.dry_run else ''}: {len(self.rows)} "
                f"students ({self.created} new, {self.updated} to update, {self.unchanged} unchanged)"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- cells


def _norm_text(value: Any) -> str:
    """Cell value -> clean text (NFKC, stripped, inner whitespace collapsed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def _norm_header(value: Any) -> str:
    text = _norm_text(value).lower()
    return re.sub(r"[\s_\-.:：()（）#/\\*]+", "", text)


_SYNONYM_INDEX = {syn: f for f, syns in HEADER_SYNONYMS.items() for syn in syns}


def normalize_student_number(value: Any) -> str:
    """Clean a student number or raise ``ValueError`` with the reason (used by the store too)."""
    text = _norm_text(value)
    if not text:
        raise ValueError("missing student number")
    if _SCI_RE.match(text):
        raise ValueError(
            "looks like Excel scientific notation (digits were lost); format the column as "
            "Text in Excel and export again"
        )
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if len(text) > MAX_NUMBER:
        raise ValueError(f"longer than {MAX_NUMBER} characters")
    if not _NUMBER_RE.match(text):
        raise ValueError("may hold only letters, digits, '-' and '_'")
    return text


def normalize_name(value: Any) -> str:
    text = _norm_text(value)
    if not text:
        raise ValueError("missing name")
    if len(text) > MAX_NAME:
        raise ValueError(f"longer than {MAX_NAME} characters")
    return text


def normalize_gender(value: Any) -> str:
    text = _norm_text(value)
    if not text:
        return ""
    try:
        return GENDER_VALUES[text.lower()]
    except KeyError:
        raise ValueError("unknown gender; use 男/女 or M/F") from None


def normalize_birth_year(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        year = value.year
    else:
        text = _norm_text(value)
        if not text:
            return None
        m = _YEAR_RE.match(text)
        if not m:
            raise ValueError("not a year or a date (e.g. 2008 or 2008-05-01)")
        year = int(m.group(1))
    this_year = _dt.date.today().year
    if not 1900 <= year <= this_year:
        raise ValueError(f"year {year} is outside 1900-{this_year}")
    return year


def normalize_class_name(value: Any) -> str:
    text = _norm_text(value)
    if len(text) > 64:
        raise ValueError("class name longer than 64 characters")
    return text


# ---------------------------------------------------------------------------------- files


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise RosterError(path, f"cannot decode as {encoding} ({exc})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, ("gbk" if enc == "gb18030" else enc)
    raise RosterError(
        path, "cannot decode the file as UTF-8 or GBK; save it from Excel as 'CSV UTF-8' and retry"
    )


def _csv_rows(path: Path, encoding: str | None) -> tuple[list[list[Any]], str]:
    text, used = _decode(path.read_bytes(), path, encoding)
    text = text.lstrip("\ufeff")
    sample = "\n".join(text.splitlines()[:_HEADER_SCAN + 2])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RosterError(path, f"not a valid CSV file ({exc})") from None
    return rows, used


def _xlsx_rows(path: Path, sheet: str | None) -> tuple[list[list[Any]], str]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterError(path, f"cannot open as an Excel .xlsx workbook ({exc})") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise RosterError(path, f"no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return rows, ws.title
    finally:
        wb.close()


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls":
        raise RosterError(path, "old .xls workbooks are not supported; save as .xlsx or CSV in Excel")
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError(path, "old .xls workbooks are not supported; save as .xlsx or CSV in Excel")
    return "csv"


def _find_header(
    rows: list[list[Any]], mapping: dict[str, str | int] | None, path: Path
) -> tuple[int, dict[str, int], dict[str, str]]:
    """Return (row index, field -> column index, field -> header text)."""
    seen = 0
    for idx, row in enumerate(rows):
        if not any(_norm_text(c) for c in row):
            continue
        seen += 1
        if seen > _HEADER_SCAN:
            break
        headers = [_norm_text(c) for c in row]
        norm = [_norm_header(c) for c in row]
        cols: dict[str, int] = {}
        for j, h in enumerate(norm):
            f = _SYNONYM_INDEX.get(h)
            if f and f not in cols:
                cols[f] = j
        if mapping:
            for f, want in mapping.items():
                if isinstance(want, int) or (isinstance(want, str) and want.isdigit()):
                    j = int(want) - 1
                    if not 0 <= j < len(row):
                        raise RosterError(path, f"mapping {f}={want}: column {want} does not exist")
                    cols[f] = j
                else:
                    cols.pop(f, None)
                    wn = _norm_header(want)
                    for j, h in enumerate(norm):
                        if h == wn:
                            cols[f] = j
                            break
        if all(f in cols for f in REQUIRED_FIELDS) and (
            not mapping or all(f in cols for f in mapping)
        ):
            return idx, cols, {f: headers[j] for f, j in cols.items()}
    wanted = "学号/student number and 姓名/name"
    if mapping:
        wanted = ", ".join(f"{f}={v!r}" for f, v in mapping.items())
    raise RosterError(
        path,
        f"no header row with {wanted} in the first {_HEADER_SCAN} rows; name the columns with "
        "a mapping (e.g. --map student_number=考号 --map name=姓名)",
    )


def read_roster(
    path: str | os.PathLike,
    *,
    mapping: dict[str, str | int] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    default_class: str | None = None,
) -> ImportReport:
    """Read and check a roster file; nothing is written. See the module docstring.

    ``default_class`` is the class of rows whose class cell is empty, or of every row when
    the file has no class column. Raises :class:`RosterError` for a file that cannot be read
    at all; problems with single rows are in ``report.errors``.
    """
    path = Path(path)
    if not path.exists():
        raise RosterError(path, "file not found")
    if mapping:
        unknown = set(mapping) - set(FIELDS)
        if unknown:
            raise RosterError(path, f"unknown field(s) in mapping: {sorted(unknown)}; known: {FIELDS}")
    kind = _file_kind(path)
    if kind == "xlsx":
        rows, sheet_used = _xlsx_rows(path, sheet)
        enc_used = None
    else:
        rows, enc_used = _csv_rows(path, encoding)
        sheet_used = None
    if not any(any(_norm_text(c) for c in r) for r in rows):
        raise RosterError(path, "the file is empty")
    hdr_idx, cols, headers = _find_header(rows, mapping, path)
    default_class = normalize_class_name(default_class) if default_class else ""
    if "class" not in cols and not default_class:
        raise RosterError(
            path, "the file has no class column (班级/class); choose the class to import into"
        )
    report = ImportReport(
        path=path, encoding=enc_used, sheet=sheet_used, header_row=hdr_idx + 1, mapping=headers
    )
    first_row: dict[str, int] = {}
    for idx in range(hdr_idx + 1, len(rows)):
        raw = rows[idx]
        rownum = idx + 1
        if not any(_norm_text(c) for c in raw):
            continue

        def cell(f: str, raw=raw) -> Any:
            j = cols.get(f)
            return raw[j] if j is not None and j < len(raw) else None

        errors: list[RowError] = []
        values: dict[str, Any] = {}
        for f, fn in (
            ("student_number", normalize_student_number),
            ("name", normalize_name),
            ("gender", normalize_gender),
            ("birth_year", normalize_birth_year),
            ("class", normalize_class_name),
        ):
            try:
                values[f] = fn(cell(f))
            except ValueError as exc:
                errors.append(RowError(rownum, f, _norm_text(cell(f)), str(exc)))
        if not errors:
            cls = values["class"] or default_class
            if not cls:
                errors.append(RowError(rownum, "class", "", "missing class"))
            number = values["student_number"]
            if number in first_row:
                errors.append(
                    RowError(
                        rownum, "student_number", number,
                        f"duplicate student number (also in row {first_row[number]})",
                    )
                )  # fmt: skip
        if errors:
            report.errors.extend(errors)
            continue
        first_row[values["student_number"]] = rownum
        report.rows.append(
            RosterRow(
                row=rownum,
                student_number=values["student_number"],
                name=values["name"],
                gender=values["gender"],
                birth_year=values["birth_year"],
                class_name=values["class"] or default_class,
            )
        )
    if not report.rows and not report.errors:
        raise RosterError(path, f"no students below the header (row {hdr_idx + 1})")
    return report
