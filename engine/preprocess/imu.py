"""IMU filtering (paper section 2): zero-phase low-pass Butterworth, cutoff 20 Hz.

The paper filters the six-axis IMU stream (3-axis accelerometer + 3-axis gyroscope) with a
"low-pass Butterworth filter (cutoff frequency 20 Hz)". Choices where it is vague:

* order 4, applied forward and backward (:func:`scipy.signal.sosfiltfilt`): zero phase, so the
  filtered stream stays aligned with the skeleton (a causal filter would delay it by tens of
  milliseconds). The effective response is order 8 with -6 dB at the cutoff.
* the filter needs a uniform rate: :func:`filter_imu_stream` first resamples a timestamped
  ``(N, 7)`` stream (the recording format's ``t, ax, ay, az, gx, gy, gz``) onto a uniform grid at
  its median rate by linear interpolation.
* a 20 Hz cutoff needs a sampling rate above 40 Hz (Nyquist); slower streams raise
  :class:`PreprocessError` rather than being passed through silently.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

from engine.preprocess.align import dedupe, interp_at
from engine.preprocess.errors import PreprocessError

CUTOFF_HZ = 20.0
ORDER = 4


def lowpass_imu(samples, fs: float, cutoff: float = CUTOFF_HZ, order: int = ORDER) -> np.ndarray:
    """Zero-phase Butterworth low-pass of ``samples`` (N, C) taken uniformly at ``fs`` Hz,
    along axis 0 (any number of channels; the IMU has 6)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim not in (1, 2) or len(x) == 0:
        raise PreprocessError(f"imu: expected (N, channels) samples, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise PreprocessError("imu: samples hold NaN or inf")
    if not fs > 2 * cutoff:
        raise PreprocessError(
            f"imu: sampling rate {fs:g} Hz cannot be low-passed at {cutoff:g} Hz "
            f"(needs more than {2 * cutoff:g} Hz); check the IMU's configured rate"
        )
    if len(x) < 2:
        return x.copy()
    sos = butter(order, cutoff, btype="low", fs=fs, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), len(x) - 1)
    return sosfiltfilt(sos, x, axis=0, padlen=padlen)


def filter_imu_stream(imu, cutoff: float = CUTOFF_HZ, order: int = ORDER,
                      fs: float | None = None) -> np.ndarray:
    """Filter a timestamped ``(N, 7)`` stream ``t, ax, ay, az, gx, gy, gz``.

    Returns ``(M, 7)``: uniform times at ``fs`` (default: the median rate of the stream) and the
    six filtered channels. Times going backwards raise :class:`PreprocessError`."""
    a = np.asarray(imu, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 7:
        raise PreprocessError(f"imu: expected shape (N, 7) [t, ax, ay, az, gx, gy, gz], got {a.shape}")
    if len(a) < 2:
        raise PreprocessError("imu: fewer than 2 samples")
    t, v, _ = dedupe(a[:, 0], a[:, 1:], "imu timestamps")
    if fs is None:
        fs = 1.0 / float(np.median(np.diff(t)))
    n = int(np.floor((t[-1] - t[0]) * fs + 1e-6)) + 1
    grid = t[0] + np.arange(n) / fs
    uniform = interp_at(t, v, grid)
    return np.column_stack([grid, lowpass_imu(uniform, fs, cutoff, order)])
