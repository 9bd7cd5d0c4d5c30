"""Stream alignment onto one uniform clock (paper section 2).

The depth sensor's clock is the reference: its first and last timestamps define the span, and
every stream (the depth skeleton itself, 2D keypoints of the colour camera, IMU samples) is
resampled by linear interpolation onto the uniform grid

    tau_n = t_start + n / f,   n = 0 .. L-1,   L = floor((t_end - t_start) * f),  f = 30 Hz.

Choices where the paper is vague:

* Every stream is interpolated *directly* at ``tau_n`` (one linear interpolation, not two: going
  through the depth frames' own times first would blur the other streams twice for nothing).
  All streams must share the time base (the paper's hardware trigger; KineScore's device layer
  stamps every stream with one monotonic clock). ``offsets`` shifts a stream whose clock is off.
* Jittered frames (KIMORE's ``time_s`` steps between 32 and 34 ms) are handled by interpolating
  at true times. Exactly repeated timestamps are dropped (the first sample is kept). Times that
  go backwards raise :class:`PreprocessError`.
* Dropped frames: gaps up to ``max_gap_s`` are interpolated linearly. A longer gap means the
  stream stopped (KIMORE holds a 214 s pause inside one sequence); :func:`split_at_gaps` cuts
  there and :func:`longest_segment` keeps the longest part.
* NaN samples (a keypoint not detected) stay NaN on the grid wherever an interpolation would
  use them; the rest interpolates normally.
* Outside a stream's own time range the grid holds its first/last sample (reported as
  ``coverage`` below 1 by :func:`align_streams`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.preprocess.errors import PreprocessError, check_timestamps

FPS = 30.0


def uniform_grid(t_start: float, t_end: float, fps: float = FPS) -> np.ndarray:
    """``tau_n = t_start + n/fps`` for ``n < L = floor((t_end - t_start) * fps)``.

    A tiny tolerance (1e-6 frame) keeps ``L`` exact when the duration is a whole number of
    frames up to floating-point error."""
    if fps <= 0:
        raise PreprocessError(f"fps must be positive, got {fps}")
    n = int(np.floor((t_end - t_start) * fps + 1e-6))
    if n < 1:
        raise PreprocessError(
            f"stream too short to resample: {t_end - t_start:.4f} s gives no frame at {fps:g} Hz"
        )
    return t_start + np.arange(n, dtype=np.float64) / fps


def dedupe(timestamps, values, name: str = "timestamps") -> tuple[np.ndarray, np.ndarray, int]:
    """Validate times (error if they go backwards) and drop exact repeats (first kept)."""
    values = np.asarray(values)
    t = check_timestamps(timestamps, len(values), name)
    keep = np.concatenate([[True], np.diff(t) > 0])
    return t[keep], values[keep], int((~keep).sum())


def interp_at(t: np.ndarray, values: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (N, ...) sampled at increasing ``t`` at times ``tq``;
    ends held; NaN propagates to the grid points whose bracketing samples hold NaN."""
    values = np.asarray(values, dtype=np.float64)
    if len(t) == 1:
        return np.repeat(values, len(tq), axis=0)
    tq_c = np.clip(tq, t[0], t[-1])
    i1 = np.clip(np.searchsorted(t, tq_c, side="right"), 1, len(t) - 1)
    i0 = i1 - 1
    w = ((tq_c - t[i0]) / (t[i1] - t[i0])).reshape((-1,) + (1,) * (values.ndim - 1))
    v0, v1 = values[i0], values[i1]
    out = v0 * (1 - w) + v1 * w
    # exactly on a sample: do not let a NaN neighbour with weight 0 poison the value
    out = np.where(w == 0, v0, np.where(w == 1, v1, out))
    return out


def resample_uniform(timestamps, values, fps: float = FPS, t_start: float | None = None,
                     t_end: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample ``values`` (N, ...) taken at ``timestamps`` (N,) seconds onto the uniform grid.

    Returns ``(grid (L,), resampled (L, ...))`` with ``L = floor((t_end - t_start) * fps)``;
    ``t_start``/``t_end`` default to the stream's first/last timestamp."""
    t, v, _ = dedupe(timestamps, values)
    grid = uniform_grid(t[0] if t_start is None else t_start,
                        t[-1] if t_end is None else t_end, fps)
    return grid, interp_at(t, v, grid)


def split_at_gaps(timestamps, max_gap_s: float = 0.5) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` frame ranges separated by time gaps longer than ``max_gap_s``."""
    t = check_timestamps(timestamps)
    cuts = np.nonzero(np.diff(t) > max_gap_s)[0] + 1
    bounds = np.concatenate([[0], cuts, [len(t)]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def longest_segment(timestamps, max_gap_s: float = 0.5) -> tuple[int, int]:
    """The ``(start, stop)`` range of the longest-lasting gap-free run of frames."""
    t = np.asarray(timestamps, dtype=np.float64)
    segs = split_at_gaps(t, max_gap_s)
    return max(segs, key=lambda ab: (t[ab[1] - 1] - t[ab[0]], ab[1] - ab[0]))


@dataclass
class AlignedStreams:
    times: np.ndarray  # (L,) seconds, uniform at fps
    streams: dict[str, np.ndarray]  # name -> (L, ...) resampled values
    coverage: dict[str, float] = field(default_factory=dict)  # fraction of grid inside stream
    duplicates: dict[str, int] = field(default_factory=dict)  # repeated timestamps dropped


def align_streams(reference: tuple, others: dict[str, tuple] | None = None, fps: float = FPS,
                  offsets: dict[str, float] | None = None,
                  reference_name: str = "depth") -> AlignedStreams:
    """Align several timestamped streams on the reference (depth sensor) clock.

    ``reference = (timestamps (N,), values (N, ...))`` - the depth skeleton; ``others`` maps a
    name to ``(timestamps, values)`` (e.g. ``"keypoints_2d"``, ``"imu"``, ``"confidence"``).
    ``offsets[name]`` seconds are *added* to that stream's timestamps first.
    Returns :class:`AlignedStreams` with every stream on the uniform grid over the reference's
    span."""
    offsets = offsets or {}
    t_ref, v_ref, dup = dedupe(reference[0], reference[1], f"{reference_name} timestamps")
    t_ref = t_ref + offsets.get(reference_name, 0.0)
    grid = uniform_grid(t_ref[0], t_ref[-1], fps)
    out = {reference_name: interp_at(t_ref, v_ref, grid)}
    coverage = {reference_name: 1.0}
    dups = {reference_name: dup}
    for name, (ts, vs) in (others or {}).items():
        t, v, d = dedupe(ts, vs, f"{name} timestamps")
        t = t + offsets.get(name, 0.0)
        out[name] = interp_at(t, v, grid)
        coverage[name] = float(((grid >= t[0]) & (grid <= t[-1])).mean())
        dups[name] = d
    return AlignedStreams(grid, out, coverage, dups)
