"""The class roster: a class picker and a table of its students with each student's latest
grade per movement (colour-coded by grade). It only shows data; the main window loads it
from the records off the UI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.grading import Grading, default_grading
from gui import texts
from gui.i18n import Retranslatable
from gui.settings import MOVEMENTS

ROLE = Qt.ItemDataRole.UserRole


class RosterPanel(Retranslatable, QWidget):
    class_changed = Signal(int)  # class id
    student_changed = Signal(object)  # engine.records.Student or None
    review_requested = Signal(object, str)  # (Student, movement): double-click on a grade

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grading: Grading = default_grading()
        self._results: dict[int, dict[str, object]] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.class_label = QLabel()
        self.class_combo = QComboBox()
        self.class_combo.currentIndexChanged.connect(self._class_picked)
        top.addWidget(self.class_label)
        top.addWidget(self.class_combo, 1)
        lay.addLayout(top)
        self.table = QTableWidget(0, 2 + len(MOVEMENTS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection)
        self.table.cellDoubleClicked.connect(self._double_click)
        lay.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self._loading = False
        self.retranslate()

    # ------------------------------------------------------------------ data
    def set_classes(self, classes, current_id: int | None) -> None:
        self._loading = True
        self.class_combo.clear()
        for c in classes:
            self.class_combo.addItem(f"{c.name} ({c.n_students})", c.id)
        idx = self.class_combo.findData(current_id) if current_id is not None else -1
        self.class_combo.setCurrentIndex(idx if idx >= 0 else (0 if classes else -1))
        self._loading = False
        if classes:
            self.class_changed.emit(self.current_class_id())
        else:
            self.set_results([], [])

    def current_class_id(self) -> int | None:
        return self.class_combo.currentData()

    def set_results(self, students, results) -> None:
        """``students`` of the class and their ``engine.records.StudentResult`` rows."""
        keep = self.current_student()
        keep_id = keep.id if keep is not None else None
        self._results = {}
        for r in results:
            self._results.setdefault(r.student.id, {})[r.movement] = r.attempt
        self.table.blockSignals(True)
        self.table.setRowCount(len(students))
        select = 0 if students else -1
        for row, st in enumerate(students):
            num = QTableWidgetItem(st.student_number)
            num.setData(ROLE, st)
            self.table.setItem(row, 0, num)
            self.table.setItem(row, 1, QTableWidgetItem(st.name))
            for k, mv in enumerate(MOVEMENTS):
                self.table.setItem(row, 2 + k, self._grade_item(self._results.get(st.id, {}).get(mv)))
            if st.id == keep_id:
                select = row
        self.table.blockSignals(False)
        if select >= 0:
            self.table.selectRow(select)
        self._selection()
        self.status.setText(self.tr("{n} students").format(n=len(students)))

    def update_attempt(self, student_id: int, attempt) -> None:
        """Show a just-saved attempt without reloading the class (an unscored attempt does
        not replace the latest grade)."""
        if attempt.effective_score is None:
            return
        self._results.setdefault(student_id, {})[attempt.movement] = attempt
        for row in range(self.table.rowCount()):
            st = self.table.item(row, 0).data(ROLE)
            if st.id == student_id and attempt.movement in MOVEMENTS:
                col = 2 + MOVEMENTS.index(attempt.movement)
                self.table.setItem(row, col, self._grade_item(attempt))

    def _grade_item(self, attempt) -> QTableWidgetItem:
        if attempt is None or attempt.effective_score is None:
            item = QTableWidgetItem("—")
            item.setForeground(QBrush(QColor("#999999")))
        else:
            grade = self.grading.grade(attempt.effective_score)
            mark = "*" if attempt.overridden else ""
            item = QTableWidgetItem(f"{attempt.effective_score:.0f}{mark} {texts.grade_name(grade)}")
            item.setBackground(QBrush(QColor(self.grading.level(grade).color).lighter(175)))
            if attempt.overridden:
                item.setToolTip(self.tr("Teacher's score; the model gave {s:.1f}").format(
                    s=attempt.score) if attempt.score is not None else "")
        item.setData(ROLE, attempt)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        return item

    # ------------------------------------------------------------------ selection
    def current_student(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.data(ROLE)

    def latest_attempt(self, student_id: int, movement: str):
        return self._results.get(student_id, {}).get(movement)

    def select_student(self, student_id: int) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(ROLE).id == student_id:
                self.table.selectRow(row)
                return True
        return False

    def select_next(self, delta: int = 1) -> None:
        n = self.table.rowCount()
        if not n:
            return
        rows = self.table.selectionModel().selectedRows()
        cur = rows[0].row() if rows else -1
        row = min(max(cur + delta, 0), n - 1)
        self.table.selectRow(row)
        self.table.scrollToItem(self.table.item(row, 0))

    def _selection(self) -> None:
        self.student_changed.emit(self.current_student())

    def _class_picked(self, _idx: int) -> None:
        if not self._loading and self.current_class_id() is not None:
            self.class_changed.emit(self.current_class_id())

    def _double_click(self, row: int, col: int) -> None:
        st = self.table.item(row, 0).data(ROLE)
        mv = MOVEMENTS[col - 2] if col >= 2 else None
        if mv is not None:
            self.review_requested.emit(st, mv)

    # ------------------------------------------------------------------ language
    def retranslate(self) -> None:
        self.class_label.setText(self.tr("Class:"))
        heads = [self.tr("No."), self.tr("Name")] + [texts.movement_short_name(m) for m in MOVEMENTS]
        self.table.setHorizontalHeaderLabels(heads)
        for row in range(self.table.rowCount()):
            for k in range(len(MOVEMENTS)):
                item = self.table.item(row, 2 + k)
                if item is not None:
                    self.table.setItem(row, 2 + k, self._grade_item(item.data(ROLE)))
        self.status.setText(self.tr("{n} students").format(n=self.table.rowCount()))
