"""``prepare``: the one documented path from any skeleton source to model input.

Every consumer (training, evaluation, the live scorer, the benchmark) calls :func:`prepare`
(or :func:`prepare_sample`), so the model always sees data made the same way:

1. **check** - ``(T, 17, 3)`` canonical joints, optional ``(T, 17)`` confidence and ``(T,)``
   timestamps (seconds; without them the frames are taken as already uniform at ``fps``).
2. **cut at stream stops** - frames are split at time gaps longer than ``max_time_gap`` (0.5 s)
   and the longest part is kept (:func:`engine.preprocess.align.longest_segment`).
3. **repair** - missing joints (confidence < 0.5 or NaN) filled by cubic spline over time,
   degenerate frames (trunk < 5 cm or 3x off the median) refilled
   (:func:`engine.preprocess.normalize.repair`).
3b. **fuse** (eq. 1) - only where the source gives 2D keypoints of a calibrated colour camera
   (``keypoints_2d`` + ``camera``) and/or IMU segment directions, on the same frames as the
   joints (:func:`engine.preprocess.fusion.fuse`); ``PrepConfig(fuse=False)`` turns it off.
4. **resample** - onto the uniform 30 Hz grid, ``L = floor((t_end - t_start) * 30)``
   (:func:`engine.preprocess.align.resample_uniform`); skipped without timestamps.
5. **normalize** - eq. 2 (:func:`engine.preprocess.normalize.normalize`).
6. **window** - to ``window`` frames (90) by ``window_rule`` ("resample": the whole attempt
   uniformly resampled; see :mod:`engine.preprocess.window`); ``window=None`` keeps all L.

Stage boundaries given in input frame indices are carried through every step into window
frames (floats). Augmentation is not part of ``prepare`` (training applies
:class:`engine.preprocess.augment.Augmenter` to the result).

Besides the normalized joints, :class:`Prepared` keeps what eq. 2 removes, for a model that
wants it: ``root`` (the centre's displacement in trunk lengths, windowed like the joints),
``scale`` (median trunk length, metres) and ``duration`` (seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.preprocess.align import dedupe, interp_at, longest_segment, uniform_grid
from engine.preprocess.errors import PreprocessError, check_confidence, check_joints
from engine.preprocess.fusion import CameraModel, fuse
from engine.preprocess.normalize import MIN_TRUNK, OUTLIER_RATIO, normalize, repair
from engine.preprocess.window import DEFAULT_LENGTH, map_frames, to_window


@dataclass(frozen=True)
class PrepConfig:
    fps: float = 30.0
    window: int | None = DEFAULT_LENGTH  # None: keep the variable-length 30 Hz sequence
    window_rule: str = "resample"  # or "center"; see engine.preprocess.window
    conf_threshold: float = 0.5
    max_fill_gap: int = 30  # frames; longer missing-joint gaps are filled but reported
    max_time_gap: float = 0.5  # seconds; longer stream stops cut the sequence
    min_trunk: float = MIN_TRUNK
    trunk_outlier_ratio: float = OUTLIER_RATIO
    fuse: bool = True  # apply eq. 1 where 2D keypoints + camera or IMU directions are given


DEFAULT_CONFIG = PrepConfig()


@dataclass
class Prepared:
    joints: np.ndarray  # (W, 17, 3) float32, normalized (eq. 2), windowed
    root: np.ndarray  # (W, 3) float32, centre displacement from the first frame / scale
    scale: float  # median trunk length, metres
    duration: float  # seconds covered by the kept frames
    num_frames: int  # frames on the uniform grid before windowing
    stage_bounds: np.ndarray | None = None  # (S, 2) float, in output frames
    report: dict = field(default_factory=dict)


def prepare(joints, confidence=None, timestamps=None, *, stage_bounds=None,
            keypoints_2d=None, camera=None, imu_directions=None,
            config: PrepConfig = DEFAULT_CONFIG) -> Prepared:
    """Turn one attempt into model input; see the module docstring for the steps.

    ``keypoints_2d`` (T, 17, 2) pixels with ``camera`` (:class:`CameraModel` or its dict) and
    ``imu_directions`` (``{(parent, child): (T, 3)}``) are optional fusion inputs (eq. 1)."""
    cfg = config
    j = check_joints(joints)
    conf = None if confidence is None else check_confidence(confidence, len(j))
    report: dict = {"input_frames": len(j)}
    bounds = None if stage_bounds is None else np.asarray(stage_bounds, np.float64).copy()

    if timestamps is not None:
        t, keep_idx, dups = dedupe(timestamps, np.arange(len(j)))
        report["duplicate_timestamps"] = dups
        a, b = longest_segment(t, cfg.max_time_gap)
        if (a, b) != (0, len(t)):
            report["cut_to_frames"] = (int(keep_idx[a]), int(keep_idx[b - 1]) + 1)
        keep_idx, t = keep_idx[a:b], t[a:b]
        j = j[keep_idx]
        conf = None if conf is None else conf[keep_idx]
        if keypoints_2d is not None:
            keypoints_2d = np.asarray(keypoints_2d)[keep_idx]
        if imu_directions:
            imu_directions = {k: np.asarray(v)[keep_idx] for k, v in imu_directions.items()}
        if bounds is not None:  # input frame index -> seconds on the kept clock
            t_all = np.asarray(timestamps, np.float64)
            bi = np.clip(np.round(bounds).astype(int), 0, len(t_all) - 1)
            bounds = (t_all[bi] - t[0]) * cfg.fps
    else:
        t = None

    j, degenerate, _, fill = repair(
        j, conf, min_trunk=cfg.min_trunk, outlier_ratio=cfg.trunk_outlier_ratio,
        threshold=cfg.conf_threshold, timestamps=t, max_gap=cfg.max_fill_gap)
    report["degenerate_frames"] = int(degenerate.sum())
    if fill is not None:
        report["missing_fraction"] = fill.missing_fraction
        report["long_gaps"] = [(g.joint, g.start, g.stop) for g in fill.long_gaps]

    if cfg.fuse and ((keypoints_2d is not None and camera is not None) or imu_directions):
        j = fuse(j, keypoints_2d if camera is not None else None, camera, imu_directions)
        report["fused"] = [n for n, v in (("keypoints_2d", camera is not None and keypoints_2d
                                           is not None), ("imu", bool(imu_directions))) if v]

    if t is not None:
        if len(t) < 2:
            raise PreprocessError("a single frame cannot be resampled to 30 Hz (no duration)")
        grid = uniform_grid(t[0], t[-1], cfg.fps)
        j = interp_at(t, j, grid)
        duration = float(t[-1] - t[0])
    else:
        duration = len(j) / cfg.fps
    num_frames = len(j)

    norm, info = normalize(j, min_trunk=cfg.min_trunk, outlier_ratio=cfg.trunk_outlier_ratio)
    root = info.root_trajectory()
    if cfg.window is not None:
        if bounds is not None:
            bounds = map_frames(bounds, num_frames, cfg.window, cfg.window_rule)
        norm = to_window(norm, cfg.window, cfg.window_rule)
        root = to_window(root, cfg.window, cfg.window_rule)
    elif bounds is not None:
        bounds = np.clip(bounds, 0, num_frames - 1)
    return Prepared(
        joints=np.ascontiguousarray(norm, dtype=np.float32),
        root=np.ascontiguousarray(root, dtype=np.float32),
        scale=info.scale,
        duration=duration,
        num_frames=num_frames,
        stage_bounds=bounds,
        report=report,
    )


def camera_from_calibration(calibration) -> CameraModel | None:
    """The colour camera of a recording's ``meta.calibration``: the dict itself or its
    ``"color"`` entry when it holds ``fx, fy, cx, cy``; None when there is none."""
    if not isinstance(calibration, dict):
        return None
    for cand in (calibration.get("color"), calibration):
        if isinstance(cand, dict) and "fx" in cand.get("intrinsics", cand):
            return CameraModel.from_dict(cand)
    return None


def prepare_sample(sample, config: PrepConfig = DEFAULT_CONFIG) -> Prepared:
    """:func:`prepare` on an :class:`engine.datasets.Sample` (joints, confidence, timestamps,
    stage_bounds; from ``sample.meta``: ``keypoints_2d`` with the colour camera of
    ``calibration`` (:func:`camera_from_calibration`), and ``imu_directions``); a
    :class:`PreprocessError` names the sample's subject and movement."""
    meta = sample.meta or {}
    camera = camera_from_calibration(meta.get("calibration"))
    try:
        return prepare(sample.joints, sample.confidence, sample.timestamps,
                       stage_bounds=sample.stage_bounds, keypoints_2d=meta.get("keypoints_2d"),
                       camera=camera, imu_directions=meta.get("imu_directions"), config=config)
    except PreprocessError as exc:
        raise PreprocessError(f"sample {sample.subject}/{sample.movement}: {exc}") from exc


def prepare_many(samples, config: PrepConfig = DEFAULT_CONFIG, progress: bool = True
                 ) -> list[Prepared]:
    """:func:`prepare_sample` on each sample, with a tqdm progress bar."""
    from tqdm import tqdm

    return [prepare_sample(s, config) for s in tqdm(samples, disable=not progress,
                                                    desc="preprocess", unit="seq")]
