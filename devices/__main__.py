"""``python -m devices``: list, probe and record from skeleton sources without the GUI.

    python -m devices list [--all]
    python -m devices probe SPEC [--seconds 5]
    python -m devices record SPEC --movement sit_ups [--seconds 10] [--student S1] -o out.ksr

SPEC is a device spec as for ``devices.open_source``: ``simulator``, ``webcam:0``,
``video:/path.mp4``, ``replay:/path.ksr``, ``kinect:0``, ``kinect-playback:/path.mkv``.
"""

from __future__ import annotations

import argparse
import sys
import time


def _list(args) -> int:
    from devices import list_devices

    found = list_devices(include_unavailable=args.all)
    if not found:
        print("no devices found (the simulator is always available: 'simulator')")
    for d in found:
        state = "" if d.available else f"  [unavailable: {d.problem}]"
        serial = f"  serial {d.serial}" if d.serial else ""
        print(f"{d.spec:<28} {d.name}{serial}{state}")
    return 0


def _stream(args, on_frame=None) -> tuple[object, int, int]:
    from devices import open_source

    src = open_source(args.spec)
    frames = skeletons = 0
    with src:
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            f = src.read(timeout=max(0.1, end - time.monotonic()))
            if f is None:
                if src.ended:
                    break
                continue
            frames += 1
            skeletons += f.has_skeleton
            if on_frame is not None:
                on_frame(f)
        status = src.status()
    return status, frames, skeletons


def _probe(args) -> int:
    from devices import DeviceError

    try:
        st, frames, skel = _stream(args)
    except DeviceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"device:        {st.name} ({st.kind}) serial {st.serial or '-'}")
    print(f"frames:        {frames} in {args.seconds:g} s, {skel} with a skeleton")
    print(f"frame rate:    nominal {st.nominal_fps:g} fps, measured {st.measured_fps:.1f} fps")
    print(f"dropped:       {st.dropped_frames}")
    return 0


def _record(args) -> int:
    from devices import AttemptRecorder, DeviceError, open_source
    from engine.recording import save_recording

    try:
        src = open_source(args.spec)
        rec = AttemptRecorder(src, movement=args.movement, student_id=args.student).start()
        with src:
            end = time.monotonic() + args.seconds
            while time.monotonic() < end and not src.ended:
                if src.error is not None:
                    raise src.error
                time.sleep(0.05)
        recording = rec.stop()
    except DeviceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    path = save_recording(recording, args.output)
    print(f"saved {recording.num_frames} frames ({recording.duration:.1f} s) to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devices", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("list", help="list connected devices (cheap; opens nothing)")
    a.add_argument("--all", action="store_true", help="also show unavailable kinds and why")
    a.set_defaults(func=_list)
    a = sub.add_parser("probe", help="stream from a device and print its frame rate")
    a.add_argument("spec")
    a.add_argument("--seconds", type=float, default=5.0)
    a.set_defaults(func=_probe)
    a = sub.add_parser("record", help="record an attempt to a .ksr file")
    a.add_argument("spec")
    a.add_argument("--movement", required=True,
                   choices=("standing_long_jump", "sit_ups", "free_throw", "overhead_pass"))
    a.add_argument("--seconds", type=float, default=10.0)
    a.add_argument("--student", default="")
    a.add_argument("-o", "--output", required=True)
    a.set_defaults(func=_record)
    args = p.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
