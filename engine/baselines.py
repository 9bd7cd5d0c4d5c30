"""Baselines evaluated in the same harness and folds as the network (paper section 6.2).

All work on :class:`engine.train.Item` (normalized joints at the model's rate) and are fitted
separately per movement (a KIMORE exercise, a UI-PRMD movement), which is the stronger choice
for these small linear / tree models.

* ``mean``: the training fold's mean score of the movement (the floor to beat).
* ``ridge``: handcrafted kinematic features (per joint and axis: spread (std), range and mean
  speed of the normalized skeleton; duration) standardized, ridge regression with the penalty
  chosen by leave-one-out CV on the training fold (``RidgeCV``); for binary labels (UI-PRMD)
  logistic regression (``LogisticRegressionCV``), its probability ×100 as the score.
* ``angles`` (ours, not the paper's): ``ridge``'s features plus 17 joint angles
  (:data:`ANGLES`: elbow, arm-trunk, hip and knee flexion and arm elevation on each side; the
  trunk's inclination, lateral tilt and forward lean; shoulder-line and pelvis yaw, the trunk's
  twist between them and the pelvis's obliquity), each summarized over the sequence by its
  mean, spread, minimum, maximum, range and mean speed; the same ridge / logistic model.
  Clinicians score KIMORE's exercises by ranges of motion and trunk compensation, which are
  angles; the coordinates of the normalized skeleton mix them with the body's proportions.
  The set was fixed a priori (one design, run once, not searched on a fold).
* ``control`` (ours, 7 Dec 2026): ``angles``' features plus 39 motor-control features
  (:func:`control_features`: how smoothly, not how far, the body moves). Why: 35 of KIMORE's
  50 points are "control factors", and a Parkinsonian tremor, a hesitant stroke patient or a
  jerky deliberately wrong repetition differ from a fluent one in the smoothness of the same
  path. The set was fixed a priori from the motor-control literature (log jerk-to-speed
  ratio, the share of an angle's motion above 2 Hz, and SPARC, the spectral arc length of
  Balasubramanian et al., J NeuroEng Rehabil 2015) and is measured once, as a candidate of
  ``select`` and on its own (``docs/results.md``).
* ``segments`` (ours, 7 Dec 2026): ``angles``' features plus the limb segments' directions in
  the trunk's own frame (:func:`segment_features`: where an arm or leg points around the body,
  which the inner angles leave out, e.g. the forearm's swing of a shoulder rotation).
* ``combined`` (ours, 7 Dec 2026): the union, ``angles`` + ``control`` + ``segments``' extras
  (439 features), one regularized model: the best handcrafted model on both datasets
  (``docs/results.md``).
* ``select`` (ours): the feature set is chosen *inside each training fold*, per movement, among
  :data:`SELECT_SETS` (``ridge``'s features; plus the joint angles; plus the angles'
  left-right asymmetry; plus the motor-control features (since 7 Dec 2026; runs before that
  chose among the other four); plus the angles' time-normalized curves), by an inner 5-fold
  subject-disjoint CV on the training subjects only (lowest MAE, or for binary labels highest
  AUC; a tie keeps the earlier, smaller set), then refitted on the whole training fold. Why:
  after the angles, further feature designs (a hemiparetic patient moves asymmetrically; a
  deliberately wrong repetition differs in *when* a joint bends, not only how far) would
  otherwise be chosen by their result on the test folds, which is tuning on the people we
  have. ``chosen`` records each movement's choice; ``cv`` saves it per unit.
* ``posequality``: the paper's PoseQuality: the joint coordinates of the sequence resampled
  to 32 frames, PCA (20 components, fitted on the training fold), random forest (200 trees).
* ``stgcn``: the USDL-style fixed-graph ST-GCN: this network with every paper module off
  (fixed physical A, single-scale temporal conv, no attention, no stage head, no bias branch,
  plain MSE + grade loss, no mining or curriculum) - see :func:`stgcn_config`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine import skeleton
from engine.preprocess.window import resample_frames


def kinematic_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    j = np.asarray(joints, float)
    flat = j.reshape(len(j), -1)
    vel = np.abs(np.diff(flat, axis=0)) * fps if len(j) > 1 else np.zeros((1, flat.shape[1]))
    return np.concatenate([flat.std(axis=0), np.ptp(flat, axis=0), vel.mean(axis=0),
                           [len(j) / fps]])


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at ``b`` between ``a - b`` and ``c - b``, degrees, per frame."""
    u, v = a - b, c - b  # atan2(|u × v|, u · v): exact near 0° and 180°, unlike arccos
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), (u * v).sum(-1)))


def _inclination(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Angle between each vector of ``v`` and the unit ``axis``, degrees."""
    return _angle(v, np.zeros_like(v), np.broadcast_to(axis, v.shape))


#: The joint angles of :func:`joint_angles`, in its column order (degrees; the canonical frame
#: of :mod:`engine.skeleton`: x right, y up, z towards the camera).
ANGLES: tuple[str, ...] = (
    *(f"{side}_{a}" for side in ("left", "right")
      for a in ("elbow_flexion", "arm_trunk", "hip_flexion", "knee_flexion", "arm_elevation")),
    "trunk_inclination", "trunk_lateral_tilt", "trunk_forward_lean",
    "shoulder_yaw", "pelvis_yaw", "trunk_twist", "pelvis_obliquity",
)


def joint_angles(joints: np.ndarray) -> np.ndarray:
    """(L, 17, 3) joints -> (L, len(ANGLES)) angles in degrees, in the order of :data:`ANGLES`.

    Inner angles (elbow, shoulder-elbow against shoulder-hip, hip, knee) are 180° when the limb
    is straight; arm elevation is the upper arm's angle from straight down; the trunk's angles
    are of pelvis -> thorax against vertical (inclination) and its projections on the frontal
    (lateral tilt, + towards +x) and sagittal plane (forward lean, + towards the camera); yaws
    are the left-minus-right shoulder and hip lines in the horizontal plane, the twist is their
    difference wrapped to ±180°, the obliquity the hip line's angle from horizontal. All are
    invariant to the skeleton's position and size."""
    j = np.asarray(joints, float)
    k = skeleton.JOINT_INDEX

    def g(name: str) -> np.ndarray:
        return j[:, k[name]]

    up = np.array([0.0, 1.0, 0.0])
    cols = []
    for s in ("left", "right"):
        cols += [_angle(g(f"{s}_shoulder"), g(f"{s}_elbow"), g(f"{s}_wrist")),
                 _angle(g(f"{s}_hip"), g(f"{s}_shoulder"), g(f"{s}_elbow")),
                 _angle(g(f"{s}_shoulder"), g(f"{s}_hip"), g(f"{s}_knee")),
                 _angle(g(f"{s}_hip"), g(f"{s}_knee"), g(f"{s}_ankle")),
                 _inclination(g(f"{s}_elbow") - g(f"{s}_shoulder"), -up)]
    trunk = g("thorax") - g("pelvis")
    shoulders = g("left_shoulder") - g("right_shoulder")
    hips = g("left_hip") - g("right_hip")
    yaw_s = np.arctan2(shoulders[:, 2], shoulders[:, 0])
    yaw_h = np.arctan2(hips[:, 2], hips[:, 0])
    cols += [_inclination(trunk, up),
             np.degrees(np.arctan2(trunk[:, 0], trunk[:, 1])),
             np.degrees(np.arctan2(trunk[:, 2], trunk[:, 1])),
             np.degrees(yaw_s), np.degrees(yaw_h),
             np.degrees(np.angle(np.exp(1j * (yaw_s - yaw_h)))),
             np.degrees(np.arctan2(hips[:, 1], np.hypot(hips[:, 0], hips[:, 2])))]
    return np.stack(cols, axis=1)


def _speed(a: np.ndarray, fps: float) -> np.ndarray:
    """Absolute frame-to-frame change of each column per second (zeros for one frame)."""
    return np.abs(np.diff(a, axis=0)) * fps if len(a) > 1 else np.zeros_like(a)


def angle_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Mean, spread, minimum, maximum, range and mean speed (degrees/s) of each joint angle."""
    return _angle_stats(joint_angles(joints), fps)


def _angle_stats(a: np.ndarray, fps: float) -> np.ndarray:
    return np.concatenate([a.mean(0), a.std(0), a.min(0), a.max(0), np.ptp(a, 0),
                           _speed(a, fps).mean(0)])


#: The left/right pairs of :data:`ANGLES` (column indices) whose asymmetry is measured.
ANGLE_PAIRS: tuple[tuple[int, int], ...] = tuple((i, i + 5) for i in range(5))


def asymmetry_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Left-right asymmetry of each paired angle (elbow, arm-trunk, hip, knee, arm elevation):
    mean and maximum of |left - right| per frame, and the absolute differences of the two
    sides' ranges and mean speeds (degrees, degrees/s): 20 features."""
    return _asymmetry(joint_angles(joints), fps)


def _asymmetry(a: np.ndarray, fps: float) -> np.ndarray:
    speed = _speed(a, fps)
    out = []
    for left, right in ANGLE_PAIRS:
        d = np.abs(a[:, left] - a[:, right])
        out += [d.mean(), d.max(), abs(np.ptp(a[:, left]) - np.ptp(a[:, right])),
                abs(speed[:, left].mean() - speed[:, right].mean())]
    return np.array(out)


def angle_curves(joints: np.ndarray, points: int = 8) -> np.ndarray:
    """Each joint angle resampled to ``points`` evenly spaced instants of the sequence
    (time-normalized, first and last frame kept): its shape over the movement, 17 × 8."""
    return _curves(joint_angles(joints), points)


def _curves(a: np.ndarray, points: int = 8) -> np.ndarray:
    return resample_frames(a, points).T.reshape(-1)


#: Motion of an angle faster than this (Hz) counts as jitter in :func:`control_features`: the
#: exercises' repetitions and a jump's phases are slower; tremor (Parkinsonian 4-6 Hz),
#: corrective jerks and tracking jitter are faster.
JITTER_HZ = 2.0
#: The end points whose 3D speed profile's smoothness (SPARC) :func:`control_features` measures.
SMOOTHNESS_POINTS: tuple[str, ...] = ("left_wrist", "right_wrist", "left_ankle", "right_ankle",
                                      "head")


def control_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Motor-control (smoothness) features of a sequence, 39 in this order:

    * per joint angle of :data:`ANGLES` (17): the log jerk-to-speed ratio,
      ``log((rms d³a/dt³ + 1) / (rms da/dt + 1))`` (degrees/s³ against degrees/s): higher when
      the same path is travelled in jerks;
    * per joint angle (17): the share of the angle's velocity power above :data:`JITTER_HZ`
      (0-1; at 10 frames/s the band up to 5 Hz, at 30 up to 15 Hz);
    * per point of :data:`SMOOTHNESS_POINTS` (5): SPARC, the spectral arc length of its 3D
      speed profile (Balasubramanian et al. 2015: cut-off min(10 Hz, Nyquist), amplitude
      threshold 0.05, zero-padding 4 levels): ≤ 0, closer to 0 when smoother.

    All are invariant to the skeleton's size; the ratio and the share do not grow with how far
    a joint moves (the +1s keep a still angle finite). On an angle that should stay still they
    measure the tracking jitter, so a slow compensation *lowers* them: that, not tremor, is
    what separated UI-PRMD's deliberately wrong inline lunges (``docs/results.md``). A
    sequence too short for a third derivative (fewer than 4 frames) gives zeros."""
    j = np.asarray(joints, float)
    return _control(j, joint_angles(j), fps)


def _control(j: np.ndarray, a: np.ndarray, fps: float) -> np.ndarray:
    n_a, n_p = a.shape[1], len(SMOOTHNESS_POINTS)
    if len(a) < 4:
        return np.zeros(2 * n_a + n_p)
    speed = np.diff(a, axis=0) * fps
    jerk = np.diff(a, n=3, axis=0) * fps ** 3
    rough = np.log((_rms(jerk) + 1.0) / (_rms(speed) + 1.0))
    power = np.abs(np.fft.rfft(speed - speed.mean(0), axis=0)) ** 2
    freq = np.fft.rfftfreq(len(speed), 1.0 / fps)
    moving = power[freq > 0].sum(0)
    jitter = np.where(moving > 1e-12, power[freq >= JITTER_HZ].sum(0) / np.maximum(moving, 1e-12),
                      0.0)
    k = skeleton.JOINT_INDEX
    sparc = [spectral_arc_length(np.linalg.norm(np.diff(j[:, k[p]], axis=0), axis=-1) * fps, fps)
             for p in SMOOTHNESS_POINTS]
    return np.concatenate([rough, jitter, sparc])


def _rms(x: np.ndarray) -> np.ndarray:
    return np.sqrt((x ** 2).mean(0))


def spectral_arc_length(speed: np.ndarray, fps: float, pad_levels: int = 4,
                        cutoff_hz: float = 10.0, threshold: float = 0.05) -> float:
    """SPARC of a speed profile (Balasubramanian et al., J NeuroEng Rehabil 12:112, 2015): minus
    the arc length of its normalized magnitude spectrum, from 0 Hz up to the last frequency at
    or below ``cutoff_hz`` (and Nyquist) whose magnitude reaches ``threshold``. A single smooth
    bell gives about -1.4 to -1.6; added submovements or tremor make it more negative. A still
    profile (all zeros) gives 0."""
    v = np.asarray(speed, float)
    if len(v) < 2 or not np.any(v > 0):
        return 0.0
    nfft = int(2 ** (np.ceil(np.log2(len(v))) + pad_levels))
    freq = np.fft.rfftfreq(nfft, 1.0 / fps)
    mag = np.abs(np.fft.rfft(v, nfft))
    mag = mag / mag.max()
    keep = freq <= min(cutoff_hz, fps / 2)
    freq, mag = freq[keep], mag[keep]
    above = np.nonzero(mag >= threshold)[0]
    freq, mag = freq[: above[-1] + 1], mag[: above[-1] + 1]
    if len(freq) < 2:
        return 0.0
    return float(-np.sqrt((np.diff(freq) / (freq[-1] - freq[0])) ** 2
                          + np.diff(mag) ** 2).sum())


#: The limb segments of :func:`segment_directions`, (from joint, to joint) per side.
SEGMENTS: tuple[tuple[str, str], ...] = (("shoulder", "elbow"), ("elbow", "wrist"),
                                         ("hip", "knee"), ("knee", "ankle"))


def trunk_frame(joints: np.ndarray) -> np.ndarray:
    """(L, 17, 3) joints -> (L, 3, 3) rows: the trunk's lateral (towards the left shoulder and
    hip), up (pelvis -> thorax) and forward axes per frame, orthonormal and right-handed (a
    person facing the camera has forward = +z). Lateral is the mean of the shoulder and hip
    lines, made orthogonal to up; a frame where the two are parallel keeps +x as lateral."""
    j = np.asarray(joints, float)
    k = skeleton.JOINT_INDEX
    up = _unit(j[:, k["thorax"]] - j[:, k["pelvis"]], np.array([0.0, 1.0, 0.0]))
    line = (j[:, k["left_shoulder"]] - j[:, k["right_shoulder"]]
            + j[:, k["left_hip"]] - j[:, k["right_hip"]])
    lateral = _unit(line - (line * up).sum(-1, keepdims=True) * up, np.array([1.0, 0.0, 0.0]))
    return np.stack([lateral, up, np.cross(lateral, up)], axis=1)


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > 1e-9, v / np.maximum(n, 1e-9), fallback)


def segment_directions(joints: np.ndarray) -> np.ndarray:
    """(L, 17, 3) joints -> (L, 24): the unit direction of each limb segment of
    :data:`SEGMENTS` (upper arm, forearm, thigh, shank), left side then right, in the trunk's
    own frame (:func:`trunk_frame`) as (outward, up, forward) components; outward is away from
    the body's midline on both sides (the right side's lateral component is negated)."""
    j = np.asarray(joints, float)
    k = skeleton.JOINT_INDEX
    frame = trunk_frame(j)
    cols = []
    for side, outward in (("left", 1.0), ("right", -1.0)):
        for a, b in SEGMENTS:
            d = _unit(j[:, k[f"{side}_{b}"]] - j[:, k[f"{side}_{a}"]], np.zeros(3))
            local = np.einsum("lij,lj->li", frame, d)
            local[:, 0] *= outward
            cols.append(local)
    return np.concatenate(cols, axis=1)


def segment_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Mean, spread, minimum, maximum, range and mean speed (per second) of each component of
    :func:`segment_directions`: 144 features.

    Why (ours, 7 Dec 2026): the 17 joint angles describe each limb by inner angles and its
    inclination from vertical, which leave out *where* a limb points around the body: the plane
    in which an arm is raised (front, side, scapular plane) and, with the elbow bent, the
    forearm's swing that is the shoulder's internal-external rotation; likewise a thigh's
    abduction. A segment's direction in the trunk's frame has all of it, and unlike Euler
    angles (plane of elevation, axial rotation) it has no singular pose: an arm hanging down
    gives no undefined azimuth. Invariant to position, size and which way the person faces.
    Added after the results had shown UI-PRMD's internal-external rotation to be the worst
    movement (so its figures there are not blind), but written as the complete description of
    every limb, not for that movement, and fixed before its first run; measured as the fixed
    baselines ``segments`` and ``combined`` (``docs/results.md``)."""
    return _angle_stats(segment_directions(joints), fps)


#: Every feature set a handcrafted model can use, in the order they were added.
FEATURE_SETS: tuple[str, ...] = ("kinematic", "angles", "angles + asymmetry", "angles + control",
                                 "angles + curves", "angles + segments",
                                 "angles + control + segments")
#: The candidates of the ``select`` baseline, smallest first (a tie keeps the earlier one). The
#: two sets added on 7 Dec 2026 are not candidates: with them ``select`` did no better on
#: either dataset (UI-PRMD pooled AUC 0.852 against 0.857 with these five; KIMORE fused with
#: the networks 11.52 / 0.599 against 11.54 / 0.606), the inner CV on 8-50 training people
#: being too noisy to choose among seven (``docs/results.md``); ``combined`` is their union.
SELECT_SETS: tuple[str, ...] = FEATURE_SETS[:5]


def feature_blocks(joints: np.ndarray, fps: float = 30.0,
                   names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The candidate sets ``names`` (default: all of :data:`FEATURE_SETS`) of one sequence, by
    name. A set's name says what it holds: "angles + control + segments" is the angles set
    followed by the control and the segments extras, in that order. The joint angles and each
    extra are computed once however many sets share them, and a set not asked for is not
    computed."""
    names = FEATURE_SETS if names is None else tuple(names)
    unknown = [n for n in names if n not in FEATURE_SETS]
    if unknown:
        raise ValueError(f"unknown feature set(s) {unknown}; use {list(FEATURE_SETS)}")
    j = np.asarray(joints, float)
    kin = kinematic_features(j, fps)
    out = {"kinematic": kin}
    if names != ("kinematic",):
        a = joint_angles(j)
        ang = out["angles"] = np.concatenate([kin, _angle_stats(a, fps)])
        make = {"asymmetry": lambda: _asymmetry(a, fps), "control": lambda: _control(j, a, fps),
                "curves": lambda: _curves(a), "segments": lambda: segment_features(j, fps)}
        extras: dict[str, np.ndarray] = {}
        for n in names:
            if n not in out:
                parts = n.split(" + ")[1:]
                for p in parts:
                    if p not in extras:
                        extras[p] = make[p]()
                out[n] = np.concatenate([ang, *(extras[p] for p in parts)])
    return {n: out[n] for n in names}


def pose_features(joints: np.ndarray, frames: int = 32) -> np.ndarray:
    return resample_frames(np.asarray(joints, float), frames).reshape(-1)


def by_movement(items) -> dict[str, list]:
    """The items grouped by ``movement_name``, in order of first appearance."""
    by: dict[str, list] = {}
    for it in items:
        by.setdefault(it.movement_name, []).append(it)
    return by


class _PerMovement:
    name = "baseline"

    def __init__(self, binary: bool = False, fps: float = 30.0):
        self.binary, self.fps = binary, fps
        self.models: dict[str, object] = {}

    def features(self, it) -> np.ndarray:
        raise NotImplementedError

    def make(self):
        raise NotImplementedError

    def fit(self, items, val_items=None):
        for m, its in by_movement(items).items():
            x = np.stack([self.features(it) for it in its])
            y = np.array([it.score for it in its])
            self.models[m] = self._fit_one(x, y)
        return self

    def _fit_one(self, x, y):
        model = self.make()
        model.fit(x, (y > 50).astype(int) if self.binary else y)
        return model

    def predict(self, items) -> np.ndarray:
        out = np.empty(len(items))
        for i, it in enumerate(items):
            model = self.models[it.movement_name]
            x = self.features(it)[None]
            out[i] = (100 * model.predict_proba(x)[0, 1] if self.binary
                      else float(np.clip(model.predict(x)[0], 0, 100)))
        return out


def _logistic_options() -> dict:
    """``LogisticRegressionCV``'s arguments, with today's defaults named where scikit-learn
    1.8+ announces a change: the scoring (accuracy; 1.11 moves to log loss), the plain L2
    penalty (``l1_ratios=(0,)``, as ``penalty`` is deprecated) and the fitted attributes'
    layout (only ``coef_`` / ``intercept_`` are read, which both layouts share). The
    predictions are identical; older versions get only the arguments they know."""
    import inspect

    from sklearn.linear_model import LogisticRegressionCV

    params = inspect.signature(LogisticRegressionCV).parameters
    kw = {"Cs": 10, "max_iter": 2000, "scoring": "accuracy"}
    if params.get("penalty") is not None and params["penalty"].default == "deprecated":
        kw["l1_ratios"] = (0.0,)
    if "use_legacy_attributes" in params:
        kw["use_legacy_attributes"] = False
    return kw


class MeanPredictor(_PerMovement):
    name = "training mean"

    def fit(self, items, val_items=None):
        self.means = {m: float(np.mean([it.score for it in its]))
                      for m, its in by_movement(items).items()}
        return self

    def predict(self, items) -> np.ndarray:
        return np.array([self.means[it.movement_name] for it in items])


class HandcraftedRidge(_PerMovement):
    """Ridge (logistic for binary labels) over one fixed set of :data:`FEATURE_SETS`; the
    other fixed-set baselines (:func:`_fixed_set`) differ from ``ridge`` only in
    ``feature_set``."""

    name = "handcrafted + ridge"
    feature_set = "kinematic"

    def features(self, it):
        return feature_blocks(it.joints, self.fps, (self.feature_set,))[self.feature_set]

    def make(self):
        from sklearn.linear_model import LogisticRegressionCV, RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.binary:
            return make_pipeline(StandardScaler(), LogisticRegressionCV(**_logistic_options()))
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 4, 20)))


def _fixed_set(class_name: str, feature_set: str) -> type[HandcraftedRidge]:
    """A :class:`HandcraftedRidge` on one feature set of :data:`FEATURE_SETS` for every
    movement, named after it ("handcrafted + <set> + ridge", the name its results carry)."""
    return type(class_name, (HandcraftedRidge,), {
        "name": f"handcrafted + {feature_set} + ridge", "feature_set": feature_set,
        "__doc__": f"The ridge / logistic model on the {feature_set!r} feature set.",
        "__module__": __name__})


AngleRidge = _fixed_set("AngleRidge", "angles")
ControlRidge = _fixed_set("ControlRidge", "angles + control")
SegmentRidge = _fixed_set("SegmentRidge", "angles + segments")
CombinedRidge = _fixed_set("CombinedRidge", "angles + control + segments")


class SelectedRidge(HandcraftedRidge):
    """``select``: the feature set of each movement chosen by inner subject-disjoint CV on the
    training fold (see the module docstring)."""

    name = "handcrafted, features chosen in the training fold + ridge"
    inner_folds = 5

    def __init__(self, binary: bool = False, fps: float = 30.0):
        super().__init__(binary, fps)
        self.chosen: dict[str, str] = {}
        self.inner: dict[str, dict[str, float]] = {}

    def features(self, it):
        chosen = self.chosen[it.movement_name]
        return feature_blocks(it.joints, self.fps, (chosen,))[chosen]

    def fit(self, items, val_items=None):
        for m, its in by_movement(items).items():
            blocks = [feature_blocks(it.joints, self.fps, SELECT_SETS) for it in its]
            y = np.array([it.score for it in its])
            subjects = np.array([it.subject for it in its])
            xs = {name: np.stack([b[name] for b in blocks]) for name in SELECT_SETS}
            self.inner[m] = {name: self._inner_score(x, y, subjects) for name, x in xs.items()}
            best = max(self.inner[m].values())  # tie: the earliest set of SELECT_SETS
            self.chosen[m] = next(n for n in SELECT_SETS if self.inner[m][n] >= best)
            self.models[m] = self._fit_one(xs[self.chosen[m]], y)
        return self

    def _inner_score(self, x: np.ndarray, y: np.ndarray, subjects: np.ndarray) -> float:
        """Higher is better: -MAE, or the pooled AUC for binary labels, of predictions made by
        inner subject-disjoint folds of the training subjects (fewer folds if fewer people)."""
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import GroupKFold

        k = min(self.inner_folds, len(set(subjects)))
        if k < 2:
            return 0.0  # one person: nothing to compare on, keep the first set
        pred = np.empty(len(y))
        for tr, te in GroupKFold(n_splits=k).split(x, y, subjects):
            model = self._fit_one(x[tr], y[tr])
            pred[te] = (model.predict_proba(x[te])[:, 1] if self.binary
                        else np.clip(model.predict(x[te]), 0, 100))
        if self.binary:
            labels = (y > 50).astype(int)
            return float(roc_auc_score(labels, pred)) if 0 < labels.sum() < len(y) else 0.5
        return -float(np.abs(pred - y).mean())


class PoseQuality(_PerMovement):
    name = "PoseQuality (PCA + random forest)"

    def features(self, it):
        return pose_features(it.joints)

    def make(self):
        from sklearn.decomposition import PCA
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
        from sklearn.pipeline import make_pipeline

        forest = (RandomForestClassifier if self.binary else RandomForestRegressor)(
            n_estimators=200, random_state=0, n_jobs=1)
        return make_pipeline(PCA(n_components=20, random_state=0), forest)

    def _fit_one(self, x, y):
        from sklearn.decomposition import PCA

        model = self.make()
        if x.shape[0] <= 20:  # fewer sequences than components
            model.steps[0] = ("pca", PCA(n_components=max(1, x.shape[0] - 1), random_state=0))
        model.fit(x, (y > 50).astype(int) if self.binary else y)
        return model


def make_baseline(name: str, binary: bool = False, fps: float = 30.0):
    table = {"mean": MeanPredictor, "ridge": HandcraftedRidge, "angles": AngleRidge,
             "control": ControlRidge, "segments": SegmentRidge, "combined": CombinedRidge,
             "select": SelectedRidge, "posequality": PoseQuality}
    if name not in table:
        raise ValueError(f"unknown baseline {name!r}; use one of {sorted(table)} or stgcn")
    return table[name](binary, fps)


def stgcn_config(cfg):
    """The fixed-graph ST-GCN (USDL-style) baseline: every module of the paper switched off."""
    m = replace(cfg.model, adaptive_graph=False, multiscale=False, attention=False,
                stage_head=False, bias_branch=False)
    t = replace(cfg.train, lambda_rank=0.0, lambda_contrast=0.0, lambda_local=0.0,
                mining=replace(cfg.train.mining, enabled=False),
                curriculum=replace(cfg.train.curriculum, enabled=False))
    return replace(cfg, name=f"{cfg.name}_stgcn", model=m, train=t)
