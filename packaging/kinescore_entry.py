"""Frozen entry point of the desktop bundle (PyInstaller runs this file).

The bundle holds two executables built from this one script and sharing one ``_internal``
folder: ``kinescore`` (the desktop app, :func:`gui.app.main`, the same function as the
``kinescore`` script that ``pip install`` creates) and ``kinescore-engine`` (the headless tool,
:func:`engine.cli.main`). The executable's own name picks which one runs, so the bundle is
analysed once and both tools see exactly the same modules.

``kinescore-engine --bundle-check`` checks the frozen bundle itself (resources found,
MediaPipe Pose's model files load, every model in ``resources/models`` scores a synthetic
attempt on ONNX Runtime and torch) and exits non-zero on the first failure. It lives here,
not in ``engine``, because it touches MediaPipe, which only ``devices`` may import.
"""

import os
import sys


def bundle_check() -> int:
    import numpy as np

    from engine.paths import resources_dir

    res = resources_dir()
    print(f"resources: {res}")
    if not (res / "grading.json").exists():
        print("FAIL: resources/grading.json is missing from the bundle")
        return 1
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ModuleNotFoundError as exc:
        if exc.name != "mediapipe":
            raise
        print("skip: MediaPipe is not in this bundle (build without the pose extra)")
    else:
        with mp_pose.Pose(static_image_mode=True, model_complexity=1) as p:
            p.process(np.zeros((480, 640, 3), np.uint8))  # loads the graph and both models
        print("ok: MediaPipe Pose (model_complexity=1) loaded its models")
    from engine.runtime import load_scorer

    models = sorted(f for f in (res / "models").glob("*") if f.suffix in (".pt", ".onnx"))
    if not models:
        print("note: no model in resources/models")
    rng = np.random.default_rng(0)
    joints = np.cumsum(rng.normal(0, 0.01, (90, 17, 3)), axis=0) + rng.normal(0, 0.2, (1, 17, 3))
    for m in models:
        for backend in ("onnxruntime", "torch") if m.suffix == ".pt" else ("onnxruntime",):
            scorer = load_scorer(m, backend)
            movement = scorer.movements[0] if scorer.movements else "standing_long_jump"
            r = scorer.score(joints, movement)
            print(f"ok: {m.name} on {backend}: score {r.score:.1f} ({r.grade})")
    return 0


def main() -> int:
    name = os.path.basename(sys.executable).lower()
    if name.startswith("kinescore-engine"):
        if sys.argv[1:2] == ["--bundle-check"]:
            return bundle_check()
        from engine.cli import main as run
    else:
        from gui.app import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())
