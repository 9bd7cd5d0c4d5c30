"""Grade export to CSV or XLSX, read back and verified.

One row per student and movement (``Store.results``): the latest or best attempt in a date
range, its score, the five-level grade and the national four-level grade (both from
``resources/grading.json`` through :mod:`engine.grading`), the four stage scores and the
attempt count. Columns (``lang="zh"`` / ``lang="en"``) are listed in :data:`COLUMNS` and
documented in ``docs/records.md``.

* CSV is UTF-8 **with** a byte-order mark, so Excel shows Chinese names correctly.
* CSV injection: a text cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
  return) is prefixed with an apostrophe, so a spreadsheet shows it as text instead of running
  it as a formula. In XLSX the cell is written as a string with Excel's "quote prefix" flag:
  Excel never evaluates it and shows the text unchanged.
* The file is written under a temporary name in the target folder, read back and compared cell
  by cell with what was meant to be written, and only then renamed to the target. Any failure
  raises :class:`ExportError` naming the file and the problem; no half-written file is left
  under the target name.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.records.store import RecordsError, Store, StudentResult

#: column key -> (Chinese header, English header)
COLUMNS: dict[str, tuple[str, str]] = {
    "student_number": ("学号", "Student number"),
    "name": ("姓名", "Name"),
    "gender": ("性别", "Gender"),
    "class": ("班级", "Class"),
    "movement": ("项目", "Movement"),
    "score": ("成绩", "Score"),
    "grade": ("等级", "Grade"),
    "national_grade": ("国家标准等级", "National grade"),
    "stage_1": ("阶段1得分", "Stage 1 score"),
    "stage_2": ("阶段2得分", "Stage 2 score"),
    "stage_3": ("阶段3得分", "Stage 3 score"),
    "stage_4": ("阶段4得分", "Stage 4 score"),
    "attempts": ("测试次数", "Attempts"),
    "time": ("测试时间", "Time"),
    "model_score": ("模型评分", "Model score"),
    "override_note": ("教师修改说明", "Teacher's note"),
    "repetitions": ("个数", "Repetitions"),
}
_GENDER = {"zh": {"M": "男", "F": "女", "": ""}, "en": {"M": "M", "F": "F", "": ""}}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(RecordsError):
    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class ExportReport:
    path: Path
    format: str  # "csv" or "xlsx"
    rows: int  # data rows (header excluded)
    students: int
    movements: tuple[str, ...]
    pick: str
    since: date | datetime | None
    until: date | datetime | None
    verified: bool  # always True when returned: a failed check raises


def neutralize(text: str) -> str:
    """Make a CSV cell safe against formula injection."""
    return "'" + text if text.startswith(_DANGEROUS) else text


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 1)


def build_rows(store: Store, results: list[StudentResult], lang: str) -> list[list[Any]]:
    """The header and data rows as Python values (str, float, int or None)."""
    g = store.grading
    names = {m["key"]: m[lang] for m in store.movements()}
    rows: list[list[Any]] = [[COLUMNS[k][0 if lang == "zh" else 1] for k in COLUMNS]]
    for r in results:
        a, st = r.attempt, r.student
        stages: list[float | None] = [None] * 4
        if a is not None and a.stage_scores is not None:
            stages = [_round(s) for s in a.stage_scores]
        rows.append([
            st.student_number, st.name, _GENDER[lang][st.gender], st.class_name,
            names[r.movement],
            None if a is None else _round(a.effective_score),
            None if a is None else getattr(g.level(a.grade), lang),
            None if a is None else g.national_name(a.grade, lang),
            *stages,
            r.attempt_count,
            None if a is None else a.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            None if a is None or not a.overridden else _round(a.score),
            None if a is None or not a.overridden else a.override_note,
            None if a is None else a.repetitions,
        ])  # fmt: skip
    return rows


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return neutralize(str(value))


def _write_csv(rows: list[list[Any]], fh) -> list[list[str]]:
    text_rows = [[_csv_text(v) for v in row] for row in rows]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(text_rows)
    fh.write(buf.getvalue().encode("utf-8-sig"))
    return text_rows


def _verify_csv(tmp: Path, path: Path, expected: list[list[str]]) -> None:
    data = tmp.read_bytes()
    if not data.startswith(b"\xef\xbb\xbf"):
        raise ExportError(path, "verification failed: the UTF-8 byte-order mark is missing")
    got = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    _compare(path, expected, got)


def _compare(path: Path, expected: list[list[Any]], got: list[list[Any]]) -> None:
    if len(got) != len(expected):
        raise ExportError(
            path, f"verification failed: wrote {len(expected)} rows, read back {len(got)}"
        )
    for i, (e_row, g_row) in enumerate(zip(expected, got), start=1):
        g_row = list(g_row) + [None] * (len(e_row) - len(g_row))
        for j, (e, g) in enumerate(zip(e_row, g_row), start=1):
            same = (e in (None, "") and g in (None, "")) or e == g
            if not same and isinstance(e, float) and isinstance(g, (int, float)):
                same = abs(e - g) < 1e-9
            if not same:
                raise ExportError(
                    path, f"verification failed at row {i}, column {j}: wrote {e!r}, read {g!r}"
                )


def _write_xlsx(rows: list[list[Any]], fh, sheet_title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31] or "grades"
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            if v is None:
                continue
            cell = ws.cell(row=i, column=j)
            cell.value = v
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if v.startswith(_DANGEROUS):
                    cell.quotePrefix = True
            if i == 1:
                cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for j, key in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = 18 if key == "time" else 12
    wb.save(fh)


def _verify_xlsx(tmp: Path, path: Path, expected: list[list[Any]]) -> None:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(tmp.read_bytes()), read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read back is a failed export
        raise ExportError(path, f"verification failed: cannot read the workbook back ({exc})") from exc
    try:
        got = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    _compare(path, expected, got)


def export_grades(
    store: Store,
    path: str | os.PathLike,
    class_: int | str | None,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    pick: str = "latest",
    movements: list[str] | None = None,
    include_missing: bool = True,
    lang: str = "zh",
    fmt: str | None = None,
) -> ExportReport:
    """Export the grades of a class (``None``: every class) to ``path``.

    ``fmt`` is ``"csv"`` or ``"xlsx"`` (default: from the suffix). ``pick`` chooses the latest
    or best attempt; ``since``/``until`` are inclusive dates (or datetimes). Raises
    :class:`ExportError` if the file cannot be written or does not read back identically.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "xlsx"):
        raise ExportError(path, f"unknown export format {fmt!r}; use a .csv or .xlsx file name")
    if lang not in ("zh", "en"):
        raise ExportError(path, f"unknown language {lang!r}; use 'zh' or 'en'")
    results = store.results(
        class_, movements=movements, since=since, until=until, pick=pick,
        include_missing=include_missing,
    )  # fmt: skip
    rows = build_rows(store, results, lang)
    title = "grades" if class_ is None else store.get_class(class_).name
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(path, f"the folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(path, f"cannot write in {folder} ({exc.strerror})") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if fmt == "csv":
                expected: list[list[Any]] = _write_csv(rows, fh)
            else:
                _write_xlsx(rows, fh, title)
                expected = rows
            fh.flush()
            os.fsync(fh.fileno())
        if fmt == "csv":
            _verify_csv(tmp, path, expected)
        else:
            _verify_xlsx(tmp, path, expected)
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise ExportError(
                path, f"cannot replace the file ({exc.strerror}); close it in Excel and retry"
            ) from exc
        if not path.is_file() or path.stat().st_size == 0:
            raise ExportError(path, "the file is missing or empty after writing")
    except ExportError:
        raise
    except OSError as exc:
        raise ExportError(path, f"cannot write the export ({exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return ExportReport(
        path=path, format=fmt, rows=len(rows) - 1,
        students=len({r.student.id for r in results}),
        movements=tuple(dict.fromkeys(r.movement for r in results)),
        pick=pick, since=since, until=until, verified=True,
    )  # fmt: skip
