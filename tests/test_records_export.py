"""Grade export (CSV / XLSX, read back and verified) and the ``records`` command line."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from engine.cli import main
from engine.records import EXPORT_COLUMNS, ExportError, Store
from engine.records import export as export_mod
from tests.records_helpers import make_result

T0 = datetime(2024, 9, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db.sqlite3")
    c = s.create_class("高一(3)班")
    names = ["王浩然", "=HYPERLINK(\"http://evil\",\"x\")", "+SUM(A1)", "-2+3", "@cmd", "李\t欣怡"]
    for i, (name, score) in enumerate(zip(names, (95, 85, 75, 65, 30, 88)), start=1):
        st = s.add_student(f"2024{i:03d}", name, c.id, gender="MF"[i % 2])
        s.add_attempt(st.id, "sit_ups", score=make_result(score - 10, [1, 2, 3, 4]), started_at=T0)
        s.add_attempt(st.id, "sit_ups", score=make_result(score, [10, 20, 30, 40]),
                      started_at=T0 + timedelta(days=2), repetitions=30 + i)  # fmt: skip
    s.add_student("2024099", "没测试", c.id)
    yield s
    s.close()


def read_csv(path):
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM so that Excel opens Chinese names
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_export_content_levels_and_injection(tmp_path, store):
    out = tmp_path / "grades.csv"
    rep = store.export_grades(out, "高一(3)班")
    assert rep.verified and rep.rows == 7 and rep.students == 7 and rep.movements == ("sit_ups",)
    rows = read_csv(out)
    assert rows[0] == [v[0] for v in EXPORT_COLUMNS.values()]
    col = {k: i for i, k in enumerate(EXPORT_COLUMNS)}
    body = {r[col["student_number"]]: r for r in rows[1:]}
    expect = {"2024001": ("95.0", "优秀", "优秀"), "2024002": ("85.0", "良好", "良好"),
              "2024003": ("75.0", "中等", "及格"), "2024004": ("65.0", "及格", "及格"),
              "2024005": ("30.0", "不及格", "不及格")}  # fmt: skip
    for number, (score, grade, national) in expect.items():
        r = body[number]
        assert (r[col["score"]], r[col["grade"]], r[col["national_grade"]]) == (score, grade, national)
        assert r[col["attempts"]] == "2" and r[col["movement"]] == "仰卧起坐"
        assert [r[col[f"stage_{k}"]] for k in range(1, 5)] == ["10.0", "20.0", "30.0", "40.0"]
    assert body["2024001"][col["time"]] == (T0 + timedelta(days=2)).astimezone().strftime("%Y-%m-%d %H:%M")
    assert body["2024099"][col["score"]] == "" and body["2024099"][col["attempts"]] == "0"
    names = [body[f"2024{i:03d}"][col["name"]] for i in range(1, 7)]
    assert names == ["王浩然", "'=HYPERLINK(\"http://evil\",\"x\")", "'+SUM(A1)", "'-2+3", "'@cmd",
                     "李 欣怡"]  # fmt: skip  (a tab inside a name is whitespace, collapsed on entry)
    assert body["2024001"][col["repetitions"]] == "31"


def test_xlsx_export_read_back(tmp_path, store):
    out = tmp_path / "grades.xlsx"
    rep = store.export_grades(out, "高一(3)班", lang="en", pick="best")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.title == "高一(3)班"
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "Student number" and len(rows) == rep.rows + 1
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number["2024003"][5:8] == [75.0, "Medium", "Pass"]
    assert by_number["2024003"][12] == 2 and by_number["2024099"][5] is None
    # formula-looking text is stored as text (never evaluated) and shown unchanged
    for i in range(2, 6):
        cell = next(c for c in ws[i + 1] if c.column == 2)
        assert cell.data_type == "s" and cell.quotePrefix
    assert ws.cell(3, 2).value == "=HYPERLINK(\"http://evil\",\"x\")"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_range_pick_and_movement_filters(tmp_path, store):
    out = tmp_path / "g.csv"
    store.export_grades(out, "高一(3)班", since=T0.date(), until=T0.date(), include_missing=False)
    rows = read_csv(out)
    assert len(rows) == 1 + 6  # header + tested students; the untested one is left out
    assert {r[5] for r in rows[1:]} == {"85.0", "75.0", "65.0", "55.0", "20.0", "78.0"}
    assert {r[12] for r in rows[1:]} == {"1"}
    rep = store.export_grades(out, None, movements=["free_throw"])
    assert rep.rows == 7 and all(r[5] == "" for r in read_csv(out)[1:])


def test_verification_catches_a_bad_write(tmp_path, store, monkeypatch):
    real_write = export_mod._write_csv

    def lossy(rows, fh):  # a write that silently loses the last row
        expected = real_write(rows[:-1], fh)
        return expected + [["lost"]]

    monkeypatch.setattr(export_mod, "_write_csv", lossy)
    out = tmp_path / "g.csv"
    with pytest.raises(ExportError, match="verification failed: wrote 8 rows, read back 7"):
        store.export_grades(out, "高一(3)班")
    assert not out.exists() and not list(tmp_path.glob(".g.csv*"))


def test_xlsx_verification_catches_a_bad_write(tmp_path, store, monkeypatch):
    real = export_mod._write_xlsx
    monkeypatch.setattr(export_mod, "_write_xlsx", lambda rows, fh, title: real(
        [r if i != 2 else [*r[:5], 0.0, *r[6:]] for i, r in enumerate(rows)], fh, title))
    out = tmp_path / "g.xlsx"
    with pytest.raises(ExportError, match="row 3, column 6"):
        store.export_grades(out, "高一(3)班")
    assert not out.exists()


def test_export_errors(tmp_path, store):
    with pytest.raises(ExportError, match="does not exist"):
        store.export_grades(tmp_path / "nope" / "g.csv", "高一(3)班")
    with pytest.raises(ExportError, match="unknown export format"):
        store.export_grades(tmp_path / "g.pdf", "高一(3)班")
    if os.geteuid() != 0:  # root ignores folder permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(ExportError, match="cannot write"):
            store.export_grades(ro / "g.csv", "高一(3)班")


def test_cli_round_trip(tmp_path, capsys):
    db = str(tmp_path / "cli.sqlite3")
    roster = tmp_path / "r.csv"
    roster.write_bytes("学号,姓名,性别\n1001,张三,男\n1002,李四,女\n".encode("gbk"))
    assert main(["records", "--db", db, "import-roster", str(roster), "--class", "一班"]) == 0
    assert "imported: 2 new" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("学号,姓名,性别\n1003,王五,x\n", encoding="utf-8")
    assert main(["records", "--db", db, "import-roster", str(bad), "--class", "一班"]) == 1
    assert "row 2: gender 'x'" in capsys.readouterr().out
    with Store.open(db) as s:
        st = s.student_by_number("1001")
        s.add_attempt(st.id, "standing_long_jump", score=make_result(91), started_at=T0)
    assert main(["records", "--db", db, "list"]) == 0
    assert "一班: 2 students" in capsys.readouterr().out
    assert main(["records", "--db", db, "list", "--class", "一班"]) == 0
    assert "91.0 excellent" in capsys.readouterr().out
    assert main(["records", "--db", db, "list", "--student", "1001"]) == 0
    assert "standing_long_jump" in capsys.readouterr().out
    out = tmp_path / "g.xlsx"
    assert main(["records", "--db", db, "export-grades", str(out), "--class", "一班",
                 "--from", "2024-09-01", "--to", "2024-09-30", "--pick", "best"]) == 0  # fmt: skip
    assert "verified" in capsys.readouterr().out and out.exists()
    assert main(["records", "--db", db, "backup", str(tmp_path / "b.sqlite3")]) == 0
    assert "integrity check ok" in capsys.readouterr().out
    assert main(["records", "--db", db, "delete-student", "1001", "--yes"]) == 0
    assert "deleted 1001: 1 attempts" in capsys.readouterr().out
    assert main(["records", "--db", db, "delete-student", "1001", "--yes"]) == 1
    assert "no student" in capsys.readouterr().err
    assert main(["records", "--db", db, "list", "--pending"]) == 0
    assert main(["records", "--db", db, "recover"]) == 0
    with Store.open(tmp_path / "b.sqlite3") as b:  # the backup still has the deleted student
        assert b.student_by_number("1001").name == "张三"
