"""Roster import: encodings, header detection, column mapping, every kind of bad row."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from engine.records import RosterError, Store, read_roster

HEADER_ZH = "学号,姓名,性别,班级,出生年份"
GOOD_ZH = [
    "2024001,王浩然,男,高一(3)班,2009",
    "2024002,李欣怡,女,高一（3）班,2009-05-01",
    "2024003,Emma Johnson,F,高一(4)班,",
]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db.sqlite3")
    yield s
    s.close()


def write(tmp_path, name, lines, encoding="utf-8", bom=b""):
    p = tmp_path / name
    p.write_bytes(bom + ("\r\n".join(lines) + "\r\n").encode(encoding))
    return p


@pytest.mark.parametrize(
    "encoding,bom,expected",
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gbk", b"", "gbk"),
     ("utf-16-le", b"\xff\xfe", "utf-16")],
)  # fmt: skip
def test_encodings(tmp_path, store, encoding, bom, expected):
    lines = [HEADER_ZH, *GOOD_ZH]
    if expected == "utf-16":  # Excel's "Unicode text" is tab-separated UTF-16
        lines = [x.replace(",", "\t") for x in lines]
    p = write(tmp_path, "roster.csv", lines, encoding, bom)
    report = store.import_roster(p)
    assert report.ok and report.written, report.summary()
    assert report.encoding == expected and report.created == 3
    assert sorted(report.classes_created) == ["高一(3)班", "高一(4)班"]  # full-width brackets folded
    st = store.student_by_number("2024002")
    assert (st.name, st.gender, st.birth_year, st.class_name) == ("李欣怡", "F", 2009, "高一(3)班")
    assert store.student_by_number("2024003").birth_year is None
    assert [c.n_students for c in store.classes()] == [2, 1]


def test_xlsx_with_title_row_numbers_and_dates(tmp_path, store):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["2024级高一(3)班学生名单"])
    ws.append([])
    ws.append(["序号", "学生姓名", "学籍号", "性别", "出生日期"])
    ws.append([1, "王浩然", 2024001, "男", dt.datetime(2009, 3, 1)])
    ws.append([2, "李欣怡", 2024002.0, "女生", "2008/12/30"])
    ws.append([None, None, None, None, None])
    ws.append([3, "张三", "G2024003", 1, 2009])
    p = tmp_path / "roster.xlsx"
    wb.save(p)
    report = store.import_roster(p, class_name="高一(3)班")
    assert report.ok, report.summary()
    assert report.header_row == 3 and report.sheet == "名单" and report.encoding is None
    assert report.mapping["student_number"] == "学籍号" and report.mapping["name"] == "学生姓名"
    got = {s.student_number: (s.name, s.gender, s.birth_year) for s in store.students()}
    assert got == {"2024001": ("王浩然", "M", 2009), "2024002": ("李欣怡", "F", 2008),
                   "G2024003": ("张三", "M", 2009)}  # fmt: skip
    with pytest.raises(RosterError, match="no sheet 'x'"):
        read_roster(p, sheet="x", default_class="c")


def test_english_headers_semicolons_and_explicit_mapping(tmp_path, store):
    p = write(tmp_path, "en.csv", ["Student No.;Full Name;Sex;Class Name", "A-1;Tom Lee;male;7B",
                                   "A-2;Ann Wu;female;7B"])  # fmt: skip
    assert store.import_roster(p).created == 2
    p2 = write(tmp_path, "custom.csv", ["考号,学生,班,备注", "K1,赵六,8A,x", "K2,钱七,8A,y"])
    with pytest.raises(RosterError, match="no header row"):
        read_roster(p2)
    report = store.import_roster(p2, mapping={"student_number": "考号", "name": 2})
    assert report.ok and report.mapping == {"student_number": "考号", "name": "学生", "class": "班"}
    assert store.student_by_number("K2").class_name == "8A"
    with pytest.raises(RosterError, match="unknown field"):
        read_roster(p2, mapping={"surname": "学生"})
    with pytest.raises(RosterError, match="column 9 does not exist"):
        read_roster(p2, mapping={"name": 9})


def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(tmp_path, store):
    store.add_student("2024900", "已在库中", store.create_class("老班").id)
    before = store.counts()
    lines = [
        HEADER_ZH,
        "2024001,王浩然,男,高一(3)班,2009",  # row 2: good
        ",无学号,男,高一(3)班,2009",  # 3: missing number
        "2024003,,女,高一(3)班,2009",  # 4: missing name
        "2024004,赵四,未知,高一(3)班,2009",  # 5: bad gender
        "2024005,钱五,男,高一(3)班,二〇〇九",  # 6: birth year not a year
        "2024006,孙六,男,高一(3)班,1850",  # 7: birth year out of range
        "2024001,王浩然,男,高一(3)班,2009",  # 8: duplicate of row 2
        "2.02401E+11,周七,男,高一(3)班,2009",  # 9: Excel scientific notation
        "2024 009,吴八,男,高一(3)班,2009",  # 10: invalid characters
        "2024010," + "长" * 51 + ",男,高一(3)班,2009",  # 11: name too long
        "2024011,郑十,女,,2009",  # 12: no class and no default class
        "2024900,已在库中,男,高一(3)班,2009",  # 13: already in the records
        ",,,,",  # 14: empty: skipped, not an error
    ]
    p = write(tmp_path, "bad.csv", lines)
    report = store.import_roster(p)
    assert not report.ok and not report.written
    got = {(e.row, e.field) for e in report.errors}
    assert got == {
        (3, "student_number"), (4, "name"), (5, "gender"), (6, "birth_year"), (7, "birth_year"),
        (8, "student_number"), (9, "student_number"), (10, "student_number"), (11, "name"),
        (12, "class"), (13, "student_number"),
    }  # fmt: skip
    reasons = {e.row: e.reason for e in report.errors}
    assert "row 2" in reasons[8] and "scientific" in reasons[9] and "already in the records" in reasons[13]
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
    assert "NOT IMPORTED" in report.summary() and "row 5: gender '未知'" in report.summary()
    assert store.counts() == before  # all or nothing
    assert [c.name for c in store.classes()] == ["老班"]


def test_update_existing_and_dry_run(tmp_path, store):
    p = write(tmp_path, "r.csv", [HEADER_ZH, *GOOD_ZH])
    dry = store.import_roster(p, dry_run=True)
    assert dry.ok and not dry.written and dry.created == 3 and store.counts()["students"] == 0
    store.import_roster(p)
    changed = [HEADER_ZH, "2024001,王浩然,男,高一(4)班,2009", *GOOD_ZH[1:]]
    p2 = write(tmp_path, "r2.csv", changed)
    assert not store.import_roster(p2).ok  # existing numbers are errors by default
    rep = store.import_roster(p2, update_existing=True)
    assert rep.ok and (rep.created, rep.updated, rep.unchanged) == (0, 1, 2)
    assert store.student_by_number("2024001").class_name == "高一(4)班"


def test_file_level_errors(tmp_path):
    with pytest.raises(RosterError, match="file not found"):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(RosterError, match="empty"):
        read_roster(write(tmp_path, "e.csv", ["", ""]))
    with pytest.raises(RosterError, match="no class column"):
        read_roster(write(tmp_path, "n.csv", ["学号,姓名", "1,张三"]))
    assert read_roster(write(tmp_path, "n.csv", ["学号,姓名", "1,张三"]), default_class="X").ok
    with pytest.raises(RosterError, match="no students"):
        read_roster(write(tmp_path, "h.csv", [HEADER_ZH]))
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(RosterError, match=r"\.xls workbooks are not supported"):
        read_roster(xls)
    bad = tmp_path / "bad.csv"
    bad.write_bytes("学号,姓名,班级\n1,张三,一班\n".encode() + b"\x80\xff\xfe\x81")
    with pytest.raises(RosterError, match="cannot decode"):
        read_roster(bad)
    with pytest.raises(RosterError, match="cannot decode as ascii"):
        read_roster(write(tmp_path, "a.csv", [HEADER_ZH, *GOOD_ZH]), encoding="ascii")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(RosterError, match="cannot open as an Excel"):
        read_roster(fake)
