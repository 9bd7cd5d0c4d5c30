"""Subject-disjoint splits: no subject on both sides, ever."""

from __future__ import annotations

import numpy as np
import pytest

from engine.splits import (
    SplitError,
    check_disjoint,
    leave_one_subject_out,
    leave_subjects_out,
    subject_kfold,
)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    subjects, groups = [], []
    for g, n in (("CG/Expert", 12), ("CG/NotExpert", 20), ("GPP/Stroke", 7), ("GPP/BackPain", 6)):
        for s in range(n):
            for _ in range(rng.integers(1, 6)):  # several samples per subject
                subjects.append(f"{g}_{s}")
                groups.append(g)
    return subjects, groups


def test_kfold_is_subject_disjoint_and_covers_everything():
    subjects, groups = _data()
    folds = subject_kfold(subjects, k=5, groups=groups, seed=1)
    assert len(folds) == 5
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(len(subjects)))
    for tr, te in folds:
        check_disjoint(subjects, tr, te)
        assert len(tr) + len(te) == len(subjects)
        assert not set(np.array(subjects)[tr]) & set(np.array(subjects)[te])


def test_kfold_is_stratified_by_group_and_balanced():
    subjects, groups = _data()
    folds = subject_kfold(subjects, k=5, groups=groups, seed=0)
    subj_arr, grp_arr = np.array(subjects), np.array(groups)
    n_subj = [len(set(subj_arr[te])) for _, te in folds]
    assert max(n_subj) - min(n_subj) <= 1
    for g in set(groups):
        per_fold = [len(set(subj_arr[te][grp_arr[te] == g])) for _, te in folds]
        assert max(per_fold) - min(per_fold) <= 1, (g, per_fold)


def test_kfold_seeded():
    subjects, groups = _data()
    a = subject_kfold(subjects, 5, groups, seed=4)
    b = subject_kfold(subjects, 5, groups, seed=4)
    c = subject_kfold(subjects, 5, groups, seed=5)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))


def test_kfold_errors():
    with pytest.raises(SplitError, match="3 subject"):
        subject_kfold(["a", "b", "c", "a"], k=5)
    with pytest.raises(SplitError, match="groups"):
        subject_kfold(["a", "b", "c"], k=2, groups=["x"])


def test_leave_subjects_out():
    subjects = ["a", "b", "a", "c", "b"]
    tr, te = leave_subjects_out(subjects, ["b"])
    assert te.tolist() == [1, 4] and tr.tolist() == [0, 2, 3]
    assert len(leave_one_subject_out(subjects)) == 3
    with pytest.raises(SplitError, match="'z'"):
        leave_subjects_out(subjects, ["z"])
    with pytest.raises(SplitError, match="both sides"):
        check_disjoint(subjects, [0, 1], [2])
