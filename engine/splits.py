"""Subject-disjoint splits: no subject ever appears on both sides of a split.

Windows of one person on both sides let a model that merely recognises the person (bone
lengths, habits) look good; ``../shared/data/README.md`` makes subject splits the protocol.

* :func:`subject_kfold` - k folds of *subjects*. Where ``groups`` are given (KIMORE's
  CG/Expert, GPP/Stroke, ...), each group's subjects are spread over the folds in turn
  (stratified by group) so every fold sees every group where the group has >= k subjects.
  Subjects are shuffled with ``seed``; folds are balanced by number of subjects, and the
  fold a group starts on rotates so the folds' sizes differ by at most one subject overall.
* :func:`leave_subjects_out` - one split with the named subjects as the test side.
* :func:`leave_one_subject_out` - one split per subject.

All return arrays of *sample indices* (into the ``subjects`` sequence), sorted.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


class SplitError(ValueError):
    pass


def _subject_groups(subjects: list[str], groups) -> dict[str, str]:
    """Each subject's group: the most common group among its samples (ties: first seen)."""
    if groups is None:
        return {s: "" for s in subjects}
    if len(groups) != len(subjects):
        raise SplitError(f"{len(groups)} groups for {len(subjects)} samples")
    per: dict[str, Counter] = {}
    for s, g in zip(subjects, groups):
        per.setdefault(s, Counter())[str(g)] += 1
    return {s: c.most_common(1)[0][0] for s, c in per.items()}


def subject_kfold(subjects, k: int = 5, groups=None, seed: int = 0
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` subject-disjoint ``(train_idx, test_idx)`` pairs covering every sample once as test.

    ``subjects``: one subject id per sample; ``groups``: optional group per sample."""
    subj = [str(s) for s in subjects]
    uniq = sorted(set(subj))
    if k < 2:
        raise SplitError(f"k must be >= 2, got {k}")
    if len(uniq) < k:
        raise SplitError(f"cannot make {k} subject-disjoint folds from {len(uniq)} subject(s)")
    sg = _subject_groups(subj, groups)
    rng = np.random.default_rng(seed)
    by_group: dict[str, list[str]] = {}
    for s in uniq:
        by_group.setdefault(sg[s], []).append(s)
    fold_of: dict[str, int] = {}
    nxt = 0
    for g in sorted(by_group):
        members = list(by_group[g])
        rng.shuffle(members)
        for s in members:
            fold_of[s] = nxt % k
            nxt += 1
    fold = np.array([fold_of[s] for s in subj])
    idx = np.arange(len(subj))
    return [(idx[fold != f], idx[fold == f]) for f in range(k)]


def leave_subjects_out(subjects, test_subjects) -> tuple[np.ndarray, np.ndarray]:
    """One split: samples of ``test_subjects`` form the test side, all others train."""
    subj = np.array([str(s) for s in subjects])
    test = {str(s) for s in test_subjects}
    unknown = test - set(subj.tolist())
    if unknown:
        raise SplitError(f"test subject(s) {sorted(unknown)} not in the data")
    is_test = np.isin(subj, list(test))
    idx = np.arange(len(subj))
    return idx[~is_test], idx[is_test]


def leave_one_subject_out(subjects) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``leave_subjects_out`` split per subject (sorted by subject id)."""
    return [leave_subjects_out(subjects, [s]) for s in sorted({str(s) for s in subjects})]


def check_disjoint(subjects, train_idx, test_idx) -> None:
    """Raise :class:`SplitError` if any subject is on both sides."""
    subj = np.array([str(s) for s in subjects])
    both = set(subj[np.asarray(train_idx, int)]) & set(subj[np.asarray(test_idx, int)])
    if both:
        raise SplitError(f"subject(s) {sorted(both)} on both sides of the split")
