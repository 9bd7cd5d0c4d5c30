"""What a depth sensor makes of a clean movement: camera placement, timing and noise.

This is a separate step after the clean (world-frame, exact bone lengths) sequence:

1. **Camera** at ``distance`` metres from the scene centre (the middle of the pelvis's
   horizontal path), ``height`` metres above the floor, level, turned ``yaw`` degrees
   (±30) about the vertical from its nominal place (on the world +z side, looking along -z).
   Joints are returned in the camera's canonical frame (``engine.skeleton``: origin at the
   sensor, x right, y up, z towards the camera), as a level depth sensor reports them.
2. **Frame times**: frames at 30 fps whose capture times jitter by N(0, ``time_jitter``)
   (kept increasing); the movement is sampled at the *actual* capture times, which are the
   timestamps written. Frames are dropped independently with ``drop_prob`` and, in some
   attempts, in one burst of 2-5 frames (never the first or last frame).
3. **Joint noise**: white N(0, ``jitter``) per coordinate, growing linearly with distance
   (``jitter`` is given at 3 m), plus a slowly drifting error (AR(1), coefficient 0.9,
   stationary SD ``drift``), as real tracking errors are correlated in time.
4. **Confidence and occlusion**: visible joints report confidence 0.85-1.0; joints more than
   10 cm behind the torso as seen from the camera (the far limbs in a side view) are
   self-occluded: confidence x0.55-0.85 and twice the noise; occlusion events (some
   attempts, 1-3 events of 0.2-1.0 s on one limb region) set confidence to 0.05-0.45 and
   push the joints off by a smoothly varying offset of up to ~10 cm. Positions are never
   NaN (depth-sensor trackers report inferred joints with low confidence).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from engine.skeleton import NUM_JOINTS, REGIONS

FPS = 30.0
TORSO = (0, 1, 4, 7, 8, 11, 14)


@dataclass
class SensorConfig:
    yaw_deg: float = 0.0
    distance: float = 3.5
    height: float = 1.0
    time_jitter: float = 0.0  # s
    drop_prob: float = 0.0
    burst: bool = False
    jitter: float = 0.0  # m at 3 m
    drift: float = 0.0  # m
    self_occlusion: bool = False
    occlusions: list[dict] = field(default_factory=list)  # {"region", "t0", "t1"}

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in d.items()}


def ideal_sensor() -> SensorConfig:
    """A perfect sensor at the nominal place: no noise, no drops, exact frame times."""
    return SensorConfig()


def sample_sensor(movement: str, duration: float, rng: np.random.Generator) -> SensorConfig:
    u = rng.uniform
    far = movement == "standing_long_jump"  # the camera must see the whole jump
    occ = []
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(1, 4))):
            length = u(0.2, 1.0)
            t0 = u(0.0, max(duration - length, 0.01))
            occ.append({"region": str(rng.choice(list(REGIONS))), "t0": round(t0, 4),
                        "t1": round(t0 + length, 4)})  # fmt: skip
    return SensorConfig(
        yaw_deg=u(-30, 30),
        distance=u(3.8, 5.0) if far else u(2.5, 4.0),
        height=u(0.7, 1.3),
        time_jitter=u(0.0005, 0.003),
        drop_prob=u(0.0, 0.03),
        burst=bool(rng.random() < 0.3),
        jitter=u(0.003, 0.010),
        drift=u(0.002, 0.008),
        self_occlusion=True,
        occlusions=occ,
    )


def camera_axes(yaw_deg: float) -> np.ndarray:
    """Rows: the camera's x, y, z axes in world coordinates."""
    y = np.radians(yaw_deg)
    return np.array([[np.cos(y), 0.0, -np.sin(y)], [0.0, 1.0, 0.0], [np.sin(y), 0.0, np.cos(y)]])


def camera_pose(cfg: SensorConfig, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, axes) of the camera in the world frame for a scene centre on the floor."""
    axes = camera_axes(cfg.yaw_deg)
    pos = np.array([centre[0], 0.0, centre[2]]) + cfg.distance * axes[2]
    pos[1] = cfg.height
    return pos, axes


def to_camera(world: np.ndarray, cam_pos: np.ndarray, axes: np.ndarray) -> np.ndarray:
    return (world - cam_pos) @ axes.T


def frame_times(duration: float, cfg: SensorConfig, rng: np.random.Generator) -> np.ndarray:
    """Capture times of the frames that reach the recording (jittered, some dropped)."""
    n = int(np.floor(duration * FPS + 1e-9)) + 1
    t = np.arange(n) / FPS
    if cfg.time_jitter > 0:
        t = t + rng.normal(0.0, cfg.time_jitter, n)
        t[0] = max(t[0], 0.0)
        t = np.clip(t, 0.0, duration)
        for i in range(1, n):  # keep at least 5 ms between frames
            t[i] = max(t[i], t[i - 1] + 0.005)
        t = t[t <= duration + 1e-9]
        n = len(t)
    keep = np.ones(n, dtype=bool)
    if cfg.drop_prob > 0:
        keep[1:-1] = rng.random(n - 2) >= cfg.drop_prob
    if cfg.burst and n > 20:
        length = int(rng.integers(2, 6))
        start = int(rng.integers(1, n - length - 1))
        keep[start : start + length] = False
    return t[keep]


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], sd: float, a: float = 0.9) -> np.ndarray:
    """Stationary AR(1) noise along axis 0 with standard deviation ``sd``."""
    e = rng.normal(0.0, sd, shape)
    out = np.empty(shape)
    out[0] = e[0]
    s = np.sqrt(1 - a * a)
    for i in range(1, shape[0]):
        out[i] = a * out[i - 1] + s * e[i]
    return out


def observe(
    cam_joints: np.ndarray, times: np.ndarray, cfg: SensorConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy joints and confidences from clean camera-frame joints (T, 17, 3) at ``times``."""
    t_n = cam_joints.shape[0]
    joints = cam_joints.copy()
    conf = np.ones((t_n, NUM_JOINTS))
    if cfg.jitter == 0 and cfg.drift == 0 and not cfg.self_occlusion and not cfg.occlusions:
        return joints.astype(np.float32), conf.astype(np.float32)
    noise_scale = np.ones((t_n, NUM_JOINTS))
    conf = rng.uniform(0.85, 1.0, (t_n, NUM_JOINTS))
    if cfg.self_occlusion:
        # depth behind the torso as seen from the camera (camera looks along -z)
        torso_z = cam_joints[:, TORSO, 2].mean(axis=1, keepdims=True)
        behind = cam_joints[:, :, 2] < torso_z - 0.10
        conf = np.where(behind, conf * rng.uniform(0.55, 0.85, conf.shape), conf)
        noise_scale = np.where(behind, 2.0, 1.0)
    depth = np.abs(cam_joints[:, :, 2:3])
    white = rng.normal(0.0, 1.0, joints.shape) * cfg.jitter * (depth / 3.0)
    drift = _ar1(rng, joints.shape, cfg.drift) if cfg.drift > 0 else 0.0
    joints = joints + (white + drift) * noise_scale[..., None]
    for ev in cfg.occlusions:
        idx = np.array(REGIONS[ev["region"]])
        on = (times >= ev["t0"]) & (times < ev["t1"])
        if not on.any():
            continue
        k = int(on.sum())
        offset = np.cumsum(rng.normal(0.0, 0.015, (k, len(idx), 3)), axis=0)
        offset = np.clip(offset, -0.1, 0.1)
        sub = joints[on]
        sub[:, idx] += offset
        joints[on] = sub
        c = conf[on]
        c[:, idx] = rng.uniform(0.05, 0.45, (k, len(idx)))
        conf[on] = c
    return joints.astype(np.float32), np.clip(conf, 0.0, 1.0).astype(np.float32)
