"""``kinescore-engine records``: manage the teacher's records from the command line.

Sub-commands: ``import-roster``, ``export-grades``, ``list``, ``recover``, ``backup``,
``delete-student`` and ``demo``. ``--db`` picks the database (default: the user data folder).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _mapping(items: list[str] | None) -> dict[str, str | int] | None:
    if not items:
        return None
    out: dict[str, str | int] = {}
    for item in items:
        field, sep, header = item.partition("=")
        if not sep or not field or not header:
            raise SystemExit(f"error: --map {item!r}: use FIELD=HEADER, e.g. student_number=考号")
        out[field.strip()] = int(header) if header.strip().isdigit() else header.strip()
    return out


def add_records(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(
        name, help="manage class records: import rosters, export grades, back up, delete",
        description="Manage the teacher's records (SQLite): classes, students and attempts.",
    )  # fmt: skip
    p.add_argument("--db", metavar="PATH", help="database file (default: the user data folder)")
    rs = p.add_subparsers(dest="records_command", metavar="ACTION")
    rs.required = True

    q = rs.add_parser("import-roster", help="import students from a CSV or XLSX roster",
                      description="Import a class roster (CSV in UTF-8 or GBK, or XLSX). "
                      "Columns are recognised by Chinese or English headers (学号/student number, "
                      "姓名/name, 性别/gender, 班级/class, 出生年份/birth year). All or nothing: "
                      "if any row is bad, every bad row is listed and nothing is imported.")
    q.add_argument("file", help="roster file (.csv or .xlsx)")
    q.add_argument("--class", dest="class_name", metavar="NAME",
                   help="class for rows without a class cell (required if there is no class column)")
    q.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help="map a field (student_number, name, gender, class, birth_year) to a "
                   "header text or a 1-based column number; repeatable")
    q.add_argument("--encoding", help="CSV text encoding (default: detect UTF-8 / GBK)")
    q.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    q.add_argument("--update-existing", action="store_true",
                   help="update students already in the records instead of reporting them")
    q.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    q.set_defaults(func=_import_roster)

    q = rs.add_parser("export-grades", help="export grades of a class to CSV or XLSX",
                      description="One row per student and movement with the latest or best "
                      "attempt, five-level and national four-level grades, stage scores and "
                      "attempt count. The file is read back and verified.")
    q.add_argument("output", help="output file (.csv or .xlsx)")
    q.add_argument("--class", dest="class_name", metavar="NAME", help="class (default: all)")
    q.add_argument("--from", dest="since", type=_date, metavar="YYYY-MM-DD", help="first day")
    q.add_argument("--to", dest="until", type=_date, metavar="YYYY-MM-DD", help="last day (inclusive)")
    q.add_argument("--pick", choices=("latest", "best"), default="latest",
                   help="which attempt per student and movement (default: latest)")
    q.add_argument("--movement", action="append", dest="movements", metavar="KEY",
                   help="limit to a movement (repeatable)")
    q.add_argument("--lang", choices=("zh", "en"), default="zh", help="header language")
    q.add_argument("--no-missing", action="store_true",
                   help="leave out students without an attempt")
    q.set_defaults(func=_export_grades)

    q = rs.add_parser("list", help="list classes, a class's students, or a student's attempts",
                      description="Without options: classes. --class: students with their "
                      "latest grades. --student: that student's attempts. --pending: attempts "
                      "left unfinished by a crash.")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--class", dest="class_name", metavar="NAME")
    g.add_argument("--student", metavar="NUMBER")
    g.add_argument("--pending", action="store_true")
    q.set_defaults(func=_list)

    q = rs.add_parser("recover", help="recover or discard attempts left unfinished by a crash",
                      description="Turn the journal of a crashed attempt into a recording and "
                      "an unscored attempt, or discard it.")
    q.add_argument("attempt", nargs="*", type=int, help="attempt id(s) (default: all pending)")
    q.add_argument("--discard", action="store_true", help="discard instead of recovering")
    q.set_defaults(func=_recover)

    q = rs.add_parser("backup", help="consistent online backup of the database",
                      description="Copy the database with SQLite's backup API (safe while "
                      "KineScore is running). Recording files are not copied.")
    q.add_argument("dest", help="backup file, or a folder for a time-stamped file")
    q.set_defaults(func=_backup)

    q = rs.add_parser("delete-student", help="delete a student with all attempts and recordings",
                      description="Privacy deletion: removes the student, every attempt and "
                      "every recording file. Cannot be undone.")
    q.add_argument("number", help="student number")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(func=_delete_student)

    q = rs.add_parser("demo", help="create a demo class with scored attempts")
    q.add_argument("--students", type=int, default=30)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--class", dest="class_name", default="Demo 高一(1)班", metavar="NAME")
    q.set_defaults(func=_demo)


def _open(args):
    from engine.records import Store

    return Store.open(args.db)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _import_roster(args) -> int:
    from engine.records import RecordsError, RosterError

    try:
        with _open(args) as store:
            report = store.import_roster(
                args.file, class_name=args.class_name, mapping=_mapping(args.map),
                encoding=args.encoding, sheet=args.sheet, update_existing=args.update_existing,
                dry_run=args.dry_run,
            )  # fmt: skip
    except (RosterError, RecordsError) as exc:
        return _fail(exc)
    print(report.summary())
    return 0 if report.ok else 1


def _export_grades(args) -> int:
    from engine.records import RecordsError

    try:
        with _open(args) as store:
            rep = store.export_grades(
                args.output, args.class_name, since=args.since, until=args.until,
                pick=args.pick, movements=args.movements, lang=args.lang,
                include_missing=not args.no_missing,
            )  # fmt: skip
    except RecordsError as exc:
        return _fail(exc)
    print(
        f"wrote {rep.path} ({rep.format.upper()}): {rep.rows} rows, {rep.students} students, "
        f"movements {', '.join(rep.movements) or '-'}; {rep.pick} attempt; read back and verified"
    )
    return 0


def _fmt_score(a) -> str:
    if a is None or a.effective_score is None:
        return "-"
    mark = "*" if a.overridden else ""
    return f"{a.effective_score:.1f}{mark} {a.grade}"


def _list(args) -> int:
    from engine.records import RecordsError

    try:
        with _open(args) as store:
            if args.pending:
                pending = store.pending_recoveries()
                if not pending:
                    print("no attempt is waiting for recovery")
                for p in pending:
                    print(f"attempt {p.attempt.id}: {p.student.student_number} {p.student.name}, "
                          f"{p.attempt.movement}, started {p.attempt.started_at.astimezone():%Y-%m-%d %H:%M}, "
                          f"{p.frames} frames ({p.duration:.1f} s)"
                          + (f" -- {p.problem}" if p.problem else ""))  # fmt: skip
            elif args.student:
                st = store.student_by_number(args.student)
                print(f"{st.student_number} {st.name} ({st.class_name})")
                for a in store.attempts(student_id=st.id):
                    print(f"  #{a.id} {a.started_at.astimezone():%Y-%m-%d %H:%M} {a.movement:<19} "
                          f"{a.status:<9} {_fmt_score(a)}"
                          + (f"  note: {a.override_note}" if a.overridden else ""))  # fmt: skip
            elif args.class_name:
                results = store.results(args.class_name, movements=store_keys())
                by_student: dict[int, list] = {}
                for r in results:
                    by_student.setdefault(r.student.id, []).append(r)
                print("number      name          " + "  ".join(f"{k:<18}" for k in store_keys()))
                for rs in by_student.values():
                    st = rs[0].student
                    cells = "  ".join(f"{_fmt_score(r.attempt):<18}" for r in rs)
                    print(f"{st.student_number:<11} {st.name:<12}  {cells}")
            else:
                classes = store.classes()
                if not classes:
                    print(f"no classes yet in {store.path}")
                for c in classes:
                    print(f"{c.name}: {c.n_students} students")
                counts = store.counts()
                print(f"({counts['students']} students, {counts['attempts']} attempts in {store.path})")
    except (RecordsError, KeyError) as exc:
        return _fail(exc)
    return 0


def store_keys() -> list[str]:
    from engine.records import MOVEMENT_KEYS

    return list(MOVEMENT_KEYS)


def _recover(args) -> int:
    from engine.records import RecordsError

    status = 0
    with _open(args) as store:
        ids = args.attempt or [p.attempt.id for p in store.pending_recoveries()]
        if not ids:
            print("no attempt is waiting for recovery")
        for aid in ids:
            try:
                if args.discard:
                    store.discard_recovery(aid)
                    print(f"attempt {aid}: discarded")
                else:
                    a = store.recover(aid)
                    print(f"attempt {aid}: recovered to {a.recording_path} (unscored)")
            except RecordsError as exc:
                status = _fail(exc)
    return status


def _backup(args) -> int:
    from engine.records import RecordsError

    try:
        with _open(args) as store:
            dest = store.backup(args.dest)
    except RecordsError as exc:
        return _fail(exc)
    print(f"backed up {store.path} to {dest} (integrity check ok)")
    return 0


def _delete_student(args) -> int:
    from engine.records import RecordsError

    try:
        with _open(args) as store:
            st = store.student_by_number(args.number)
            n = len(store.attempts(student_id=st.id))
            if not args.yes:
                answer = input(f"Delete {st.student_number} {st.name} ({st.class_name}) with {n} "
                               "attempts and their recordings? This cannot be undone. [y/N] ")  # fmt: skip
                if answer.strip().lower() not in ("y", "yes"):
                    print("nothing deleted")
                    return 1
            rep = store.delete_student(st.id)
    except (RecordsError, KeyError) as exc:
        return _fail(exc)
    print(f"deleted {rep.student_number}: {rep.attempts} attempts, {len(rep.files_deleted)} files"
          + (f" ({len(rep.files_missing)} already missing)" if rep.files_missing else ""))  # fmt: skip
    return 0


def _demo(args) -> int:
    from engine.records import create_demo_class

    with _open(args) as store:
        cls = create_demo_class(store, args.students, args.seed, class_name=args.class_name)
        print(f"demo class {cls.name!r}: {cls.n_students} students in {store.path}")
    return 0
