"""Skeleton sources: Azure Kinect / Orbbec, webcam + pose estimation, recordings, simulator.

Imports ``engine`` but never ``gui`` or Qt. The public API (see ``docs/devices.md``)::

    from devices import open_source, list_devices, AttemptRecorder, DeviceError

    for info in list_devices():                 # cheap, never raises
        print(info.spec, info.name)
    with open_source("simulator") as src:       # open + start; close on exit
        frame = src.read(timeout=2.0)           # every frame (size-1 slot, drops counted)
        newest = src.latest()                   # newest frame, never blocks

Backends register themselves with ``@register_source("kind")``; importing them is cheap
(heavy libraries load when a source opens).
"""

from devices.base import (
    DeviceError,
    DeviceInfo,
    EndOfStream,
    ErrorCode,
    Frame,
    SkeletonSource,
    SourceState,
    SourceStatus,
    clock,
    create_source,
    list_devices,
    open_source,
    parse_spec,
    register_source,
    source_class,
    source_kinds,
)
from devices.recorder import AttemptRecorder, record_frames

__all__ = [
    "AttemptRecorder", "DeviceError", "DeviceInfo", "EndOfStream", "ErrorCode", "Frame",
    "SkeletonSource", "SourceState", "SourceStatus", "clock", "create_source", "list_devices",
    "open_source", "parse_spec", "record_frames", "register_source", "source_class",
    "source_kinds",
]  # fmt: skip
