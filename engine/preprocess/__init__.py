"""Skeleton preprocessing (paper section 2): alignment, missing-joint fill, IMU filtering,
fusion, normalization (eq. 2), fixed windows and augmentation (eqs. 3-4).

Use :func:`prepare` (or :func:`prepare_sample`) to turn any attempt into model input; the
steps are importable on their own for tests and tools. See ``docs/preprocessing.md``.
"""

from engine.preprocess.align import (
    AlignedStreams,
    align_streams,
    longest_segment,
    resample_uniform,
    split_at_gaps,
    uniform_grid,
)
from engine.preprocess.augment import Augmenter, AugmentResult, rotate_y, time_warp
from engine.preprocess.errors import PreprocessError
from engine.preprocess.fusion import CameraModel, fuse, segment_direction
from engine.preprocess.imu import filter_imu_stream, lowpass_imu
from engine.preprocess.missing import FillReport, fill_missing
from engine.preprocess.normalize import NormInfo, denormalize, normalize, repair
from engine.preprocess.pipeline import (
    DEFAULT_CONFIG,
    Prepared,
    PrepConfig,
    prepare,
    prepare_many,
    prepare_sample,
)
from engine.preprocess.window import map_frames, resample_frames, sliding_windows, to_window

__all__ = [
    "CameraModel", "camera_from_calibration", "filter_imu_stream", "fuse", "lowpass_imu",
    "segment_direction",
    "AlignedStreams", "AugmentResult", "Augmenter", "DEFAULT_CONFIG", "FillReport", "NormInfo",
    "PrepConfig", "Prepared", "PreprocessError", "align_streams", "denormalize", "fill_missing",
    "longest_segment", "map_frames", "normalize", "prepare", "prepare_many", "prepare_sample",
    "repair", "resample_frames", "resample_uniform", "rotate_y", "sliding_windows",
    "split_at_gaps", "time_warp", "to_window", "uniform_grid",
]
