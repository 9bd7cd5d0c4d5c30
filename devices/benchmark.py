"""Device-layer benchmarks: ``python -m devices.benchmark [webcam|kinect|all]``.

webcam
    Frames per second of the webcam pipeline (decode + BGR->RGB + MediaPipe Pose + mapping to
    the 17 joints + camera placement) on a generated 640x480 MP4 of a real photograph (scikit-
    image's astronaut, panning), measured three ways:

    * ``serial``: one thread decodes then estimates, every frame (``realtime=False,
      threaded=False``): the throughput of the whole chain;
    * ``live 30 fps``: the file played as a 30 fps camera (``realtime=True``: decoding on the
      grab thread at 30 fps, pose on the capture thread on the newest picture): the delivered
      rate and the camera frames dropped, i.e. what a teacher would see.

    (unpaced decoding of this file runs at thousands of fps, so a threaded unpaced run only
    measures dropping), plus the decode-only rate and the estimator alone, and the levers (``--levers``): a
    smaller input (``max_input_side``), OpenCV threads, and the person detector on every frame
    (``static_image_mode=True``) for comparison.

kinect
    The Kinect lifting step on a synthetic RGB-D pair (720p colour, depth already in the colour
    camera, a person 2.5 m away with sensor noise and holes): viewing rays through the SDK's
    ``calibration.convert_2d_to_3d`` (the real pyk4a SDK on a synthetic factory calibration
    when the ``kinect`` extra is installed, a pinhole model otherwise), robust depth sampling,
    lifting and the eq. 1 refinement; and the whole per-frame Kinect chain with MediaPipe on the
    720p picture.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from engine.skeleton import NUM_JOINTS


# --------------------------------------------------------------------------- synthetic data
def astronaut_video(path: Path, frames: int = 300, size=(640, 480), fps: float = 30.0,
                    shift_px: int = 1) -> Path:  # fmt: skip
    """An MP4 of scikit-image's astronaut photograph panning right (real image content)."""
    import cv2
    from skimage import data

    img = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    w, h = size
    person = cv2.resize(img, (round(img.shape[1] * h / img.shape[0]), h))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MP4 on this machine")
    for i in range(frames):
        frame = np.full((h, w, 3), 90, np.uint8)
        x = 20 + (i * shift_px) % max(1, w - person.shape[1] - 20)
        pw = min(person.shape[1], w - x)
        frame[:, x : x + pw] = person[:, :pw]
        writer.write(frame)
    writer.release()
    return path


def render_depth(
    joints_cam_mm: np.ndarray,
    camera_matrix: np.ndarray,
    size: tuple[int, int],
    *,
    surface_offset_mm: np.ndarray | None = None,
    radius_px: int = 14,
    background_mm: int = 4000,
    holes: tuple[int, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """A depth map (H, W) uint16 aligned with a colour camera, showing a disk of body surface
    around each joint (nearest wins) in front of a wall; and the joints' (17, 2) pixels.
    Joints in ``holes`` read 0 (no measurement)."""
    w, h = size
    k = camera_matrix
    p = np.asarray(joints_cam_mm, dtype=np.float64)
    kp = np.stack([k[0, 0] * p[:, 0] / p[:, 2] + k[0, 2], k[1, 1] * p[:, 1] / p[:, 2] + k[1, 2]], -1)
    depth = np.full((h, w), background_mm, np.uint16)
    off = np.zeros(len(p)) if surface_offset_mm is None else surface_offset_mm
    yy, xx = np.mgrid[-radius_px : radius_px + 1, -radius_px : radius_px + 1]
    disk = xx**2 + yy**2 <= radius_px**2
    for j in range(len(p)):
        u, v = int(round(kp[j, 0])), int(round(kp[j, 1]))
        y0, x0 = v - radius_px, u - radius_px
        ys = slice(max(y0, 0), min(v + radius_px + 1, h))
        xs = slice(max(x0, 0), min(u + radius_px + 1, w))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue
        d = disk[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
        region = depth[ys, xs]
        if j in holes:
            region[d] = 0
        else:
            region[d] = np.minimum(region[d], int(round(p[j, 2] - off[j])))
    return depth, kp.astype(np.float32)


def synthetic_k4a_calibration_json(fx_n: float = 0.49, fy_n: float = 0.65) -> str:
    """A raw Azure Kinect factory calibration (the SDK's JSON layout) of an ideal device: no
    lens distortion, the colour camera 32 mm beside the depth camera. Made-up values, for
    exercising the real SDK's calibration maths without a device."""

    def cam(purpose, loc, w, h, fx, fy, t, radius):
        return {
            "Intrinsics": {"ModelParameterCount": 14,
                           "ModelParameters": [0.5, 0.5, fx, fy] + [0.0] * 10,
                           "ModelType": "CALIBRATION_LensDistortionModelBrownConrady"},
            "Location": loc, "Purpose": purpose, "MetricRadius": radius,
            "Rt": {"Rotation": [1, 0, 0, 0, 1, 0, 0, 0, 1], "Translation": t},
            "SensorHeight": h, "SensorWidth": w, "Shutter": "CALIBRATION_ShutterTypeUndefined",
            "ThermalAdjustmentParams": {"Params": [0] * 12},
        }  # fmt: skip

    def imu(kind):
        mix = [0.0] * 36
        for i in (0, 16, 32):
            mix[i] = 1.0
        return {"BiasTemperatureModel": [0] * 12, "BiasUncertainty": [1e-4] * 3,
                "Id": "CALIBRATION_InertialSensorId_LSM6DSM", "MixingMatrixTemperatureModel": mix,
                "ModelTypeMask": 16, "Noise": [1e-3] * 3 + [0] * 3,
                "Rt": {"Rotation": [1, 0, 0, 0, 1, 0, 0, 0, 1], "Translation": [0, 0, 0]},
                "SecondOrderScaling": [0] * 9, "SensorType": kind, "TemperatureBounds": [5, 60],
                "TemperatureC": 0}  # fmt: skip

    return json.dumps({"CalibrationInformation": {
        "Cameras": [
            cam("CALIBRATION_CameraPurposeDepth", "CALIBRATION_CameraLocationD0", 1024, 1024,
                0.5, 0.5, [0, 0, 0], 1.74),
            cam("CALIBRATION_CameraPurposePhotoVideo", "CALIBRATION_CameraLocationPV0", 4096,
                3072, fx_n, fy_n, [-0.032, 0, 0], 0),
        ],
        "InertialSensors": [imu("CALIBRATION_InertialSensorType_Gyro"),
                            imu("CALIBRATION_InertialSensorType_Accelerometer")],
        "Metadata": {"SerialId": "000000000000", "FactoryCalDate": "1/1/2026",
                     "Version": {"Major": 1, "Minor": 2}, "DeviceName": "AzureKinect-PV",
                     "Notes": "synthetic"},
    }})  # fmt: skip


def synthetic_k4a_calibration(pyk4a):
    """A pyk4a ``Calibration`` (720p colour, NFOV unbinned depth) built by the real SDK from
    :func:`synthetic_k4a_calibration_json`."""
    return pyk4a.Calibration.from_raw(
        synthetic_k4a_calibration_json(), pyk4a.DepthMode.NFOV_UNBINNED,
        pyk4a.ColorResolution.RES_720P, thread_safe=False,
    )  # fmt: skip


# a standing person in colour-camera millimetres (OpenCV axes), 2.5 m away
_STANDING_MM = np.array([
    [0, -50, 2500], [-100, -30, 2500], [-100, 400, 2480], [-100, 820, 2500],
    [100, -30, 2500], [100, 400, 2480], [100, 820, 2500], [0, -300, 2500], [0, -550, 2500],
    [0, -650, 2500], [0, -780, 2480], [190, -520, 2500], [220, -250, 2450], [240, 0, 2400],
    [-190, -520, 2500], [-220, -250, 2450], [-240, 0, 2400],
], dtype=np.float64)  # fmt: skip


# --------------------------------------------------------------------------- measurements
def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def bench_webcam(frames: int = 300, levers: bool = False, tqdm_disable: bool = False) -> dict:
    import cv2
    from tqdm import tqdm

    from devices.pose import MediaPipePose
    from devices.webcam import WebcamSource

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        video = astronaut_video(Path(tmp) / "bench_640x480.mp4", frames=frames)
        # decode only
        cap = cv2.VideoCapture(str(video))
        t = time.perf_counter()
        n = 0
        while True:
            ok, img = cap.read()
            if not ok:
                break
            cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            n += 1
        out["decode_only_fps"] = _rate(n, time.perf_counter() - t)
        cap.release()
        # estimator alone on one decoded picture (tracking mode)
        cap = cv2.VideoCapture(str(video))
        ok, img = cap.read()
        cap.release()
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        est = MediaPipePose()
        for _ in range(10):
            est.estimate(rgb)
        t = time.perf_counter()
        for _ in range(100):
            est.estimate(rgb)
        out["pose_only_fps"] = _rate(100, time.perf_counter() - t)
        est.close()

        def run(label: str, **kw) -> None:
            src = WebcamSource(str(video), **kw).open()
            stamps, seen = [], 0
            bar = tqdm(total=frames, desc=label, leave=False, disable=tqdm_disable)
            t0 = time.perf_counter()
            with src:
                for f in src.frames(timeout=30.0):
                    stamps.append(time.perf_counter())
                    seen += f.has_skeleton
                    bar.update(1)
                dropped = src.dropped_frames
            dt = time.perf_counter() - t0
            bar.close()
            half = stamps[len(stamps) // 2 :]
            out[label] = {
                "delivered_fps": round(_rate(len(stamps), dt), 1),
                "steady_fps_second_half": round(_rate(len(half) - 1, half[-1] - half[0]), 1),
                "frames_delivered": len(stamps),
                "frames_dropped": int(dropped),
                "with_skeleton": int(seen),
            }

        run("serial", realtime=False, threaded=False)
        run("live_30fps", realtime=True)
        if levers:
            run("serial_max_input_320", realtime=False, threaded=False,
                estimator_options={"max_input_side": 320})  # fmt: skip
            prev = cv2.getNumThreads()
            cv2.setNumThreads(1)
            run("serial_cv2_threads_1", realtime=False, threaded=False)
            cv2.setNumThreads(prev)
            run("serial_detector_every_frame", realtime=False, threaded=False,
                estimator_options={"static_image_mode": True})  # fmt: skip
    return out


def bench_kinect(frames: int = 300, full_chain: bool = True) -> dict:
    from devices.kinect import (
        SURFACE_TO_CENTER_MM,
        keypoint_rays,
        lift_keypoints,
        refine_with_fusion,
    )
    from devices.pose import PoseResult

    size = (1280, 720)
    out: dict = {}
    unproject = None
    try:  # the real SDK's calibration maths, if the kinect extra is installed
        from devices.kinect import import_pyk4a

        pyk4a = import_pyk4a()
        cal = synthetic_k4a_calibration(pyk4a)
        ct = pyk4a.CalibrationType
        k = np.asarray(cal.get_camera_matrix(ct.COLOR), dtype=np.float64)

        def unproject(u, v, d):
            return cal.convert_2d_to_3d((u, v), d, ct.COLOR, ct.COLOR)

        out["calibration"] = "pyk4a SDK (synthetic factory calibration)"
    except Exception as exc:  # no SDK: same maths with a pinhole model
        k = np.array([[608.0, 0, 639.5], [0, 608.0, 359.5], [0, 0, 1]])

        def unproject(u, v, d):
            return ((u - k[0, 2]) * d / k[0, 0], (v - k[1, 2]) * d / k[1, 1], d)

        out["calibration"] = f"pinhole (pyk4a unavailable: {exc})"
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(16):
        p = _STANDING_MM + [30 * np.sin(i / 3), 0, 0]
        depth, kp = render_depth(p, k, size, surface_offset_mm=SURFACE_TO_CENTER_MM,
                                 holes=(13,) if i % 4 == 0 else ())  # fmt: skip
        noise = rng.normal(0, 8, depth.shape)
        depth = np.where(depth > 0, np.clip(depth + noise, 1, 65535), 0).astype(np.uint16)
        depth[rng.random(depth.shape) < 0.03] = 0  # scattered invalid pixels
        kp = kp + rng.normal(0, 1.0, kp.shape).astype(np.float32)
        rel = (p - p[0]) / 1000.0 * [1, -1, -1]
        pairs.append((depth, PoseResult(kp, np.full(NUM_JOINTS, 0.9, np.float32), rel), p))
    import engine.preprocess.fusion  # noqa: F401 - imported at open time by the source too

    parts = {"rays_sdk": 0.0, "lift": 0.0, "fusion": 0.0}
    fused = 0
    errs = []
    for i in range(frames):
        depth, pose, truth = pairs[i % len(pairs)]
        t0 = time.perf_counter()
        rays = keypoint_rays(pose.keypoints_2d, unproject)
        t1 = time.perf_counter()
        joints, conf, measured = lift_keypoints(pose, depth, rays)
        t2 = time.perf_counter()
        # as the source does: eq. 1 is solved only when some joints were estimated
        refined = joints if measured.all() else refine_with_fusion(joints, rays, k)
        t3 = time.perf_counter()
        parts["rays_sdk"] += t1 - t0
        parts["lift"] += t2 - t1
        parts["fusion"] += t3 - t2
        fused += not measured.all()
        truth_c = truth / 1000.0 * [1, -1, -1]
        errs.append(np.linalg.norm(refined - truth_c, axis=1))
    total = sum(parts.values())
    out["lifting_fps"] = round(_rate(frames, total), 1)
    out["lifting_ms_per_frame"] = {k_: round(v / frames * 1000, 3) for k_, v in parts.items()}
    out["frames_needing_fusion"] = f"{fused}/{frames}"
    out["fusion_ms_per_fused_frame"] = round(parts["fusion"] / max(fused, 1) * 1000, 3)
    e = np.concatenate(errs)
    out["lifting_error_mm"] = {"median": round(float(np.median(e)) * 1000, 1),
                               "p95": round(float(np.percentile(e, 95)) * 1000, 1)}  # fmt: skip
    if full_chain:
        import cv2
        from skimage import data

        from devices.pose import MediaPipePose

        # the whole per-frame chain on a 720p BGRA picture: convert, MediaPipe, lift, refine
        pic = np.full((size[1], size[0], 3), 90, np.uint8)
        ast = cv2.resize(data.astronaut(), (720, 720))
        pic[:, 280:1000] = ast
        bgra = cv2.cvtColor(pic, cv2.COLOR_RGB2BGRA)
        est = MediaPipePose()
        depth = pairs[1][0]
        n = min(frames, 100)
        for _ in range(5):
            est.estimate(cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB))
        t = time.perf_counter()
        for _ in range(n):
            rgb = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB)
            pose = est.estimate(rgb)
            rays = keypoint_rays(pose.keypoints_2d, unproject)
            joints, conf, measured = lift_keypoints(pose, depth, rays)
            if joints is not None and not measured.all():
                refine_with_fusion(joints, rays, k)
        out["kinect_chain_720p_fps"] = round(_rate(n, time.perf_counter() - t), 1)
        est.close()
    return out


def plot(res: dict, path: Path) -> Path:
    """Bar chart of the pipeline rates against the 30 fps target (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars: list[tuple[str, float]] = []
    w = res.get("webcam", {})
    for key, label in (("serial", "webcam: decode+pose+map"), ("live_30fps", "webcam: live 30 fps camera"),
                       ("serial_max_input_320", "webcam: input 320 px"),
                       ("serial_cv2_threads_1", "webcam: OpenCV 1 thread"),
                       ("serial_detector_every_frame", "webcam: detector every frame")):  # fmt: skip
        if key in w:
            bars.append((label, w[key]["steady_fps_second_half"]))
    if "pose_only_fps" in w:
        bars.append(("MediaPipe alone", w["pose_only_fps"]))
    k = res.get("kinect", {})
    if "kinect_chain_720p_fps" in k:
        bars.append(("Kinect: pose 720p + lift + eq. 1", k["kinect_chain_720p_fps"]))
    if not bars:
        raise ValueError("nothing to plot")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.2))
    names, vals = zip(*bars)
    ax.barh(range(len(bars)), vals, color="#4c78a8")
    ax.set_yticks(range(len(bars)), names)
    ax.invert_yaxis()
    ax.axvline(30, color="#e45756", ls="--", label="30 fps target")
    for i, v in enumerate(vals):
        ax.text(v + 0.5, i, f"{v:.1f}", va="center", fontsize=8)
    load = res.get("machine", {}).get("load_average_1min")
    ax.set_xlabel("frames per second (steady state)")
    ax.set_title(f"Device pipelines on this 2-core CPU (load average {load})", fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def machine() -> dict:
    import cv2

    info = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "opencv_threads": cv2.getNumThreads(),
    }
    try:
        import mediapipe

        info["mediapipe"] = mediapipe.__version__
    except ImportError:
        pass
    try:
        info["load_average_1min"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devices.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("what", nargs="?", default="all", choices=("webcam", "kinect", "all"))
    p.add_argument("--frames", type=int, default=300, help="frames per measurement (300)")
    p.add_argument("--levers", action="store_true", help="also measure the speed levers")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    p.add_argument("--plot", type=Path, help="also draw the rates as a PNG bar chart")
    args = p.parse_args(argv)
    os.environ.setdefault("GLOG_minloglevel", "2")
    res: dict = {"machine": machine()}
    if args.what in ("webcam", "all"):
        res["webcam"] = bench_webcam(args.frames, levers=args.levers)
    if args.what in ("kinect", "all"):
        res["kinect"] = bench_kinect(args.frames)
    text = json.dumps(res, indent=2, default=float)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if args.plot:
        plot(res, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
