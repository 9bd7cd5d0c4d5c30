"""Kinematic building blocks of the simulator: keyframe tracks, segment directions, inverse
kinematics and the assembly of the 17 canonical joints.

Frames
    The movements are built in a *local* frame attached to the student's heading:
    ``x`` forward (f), ``y`` up (u), ``z`` to the student's right (r = f x u), metres, floor
    at ``y = 0``. :func:`to_world` turns it about the vertical axis into the *world* frame,
    whose axes are those of the canonical frame (``engine.skeleton``) for a camera at yaw 0:
    x right as the camera sees it, y up, z towards the camera.

Exact bone lengths
    Every joint is placed as ``parent + length * unit_vector`` (forward kinematics) or by the
    two-bone analytic IK below, which also keeps both lengths exact. Bone lengths are therefore
    constant to floating-point precision in the clean sequence; sensor effects come later.

Angles
    A segment's direction is given by ``theta`` (degrees, in the sagittal f-u plane, measured
    from straight up towards forward: 0 = up, 90 = forward, 180 = down, -90 = backward) and a
    small lateral tilt ``lam`` (degrees, towards the segment's own side, ``side`` = +1 right,
    -1 left, 0 for midline segments use +1): ``(sin t cos l, cos t cos l, side sin l)``.
"""

from __future__ import annotations

import numpy as np

from engine.skeleton import JOINT_INDEX, NUM_JOINTS

DEG = np.pi / 180.0
G = 9.81  # m/s^2


# --------------------------------------------------------------------------- tracks
def _auto_velocities(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Knot velocities for a shape-preserving spline (Fritsch-Butland): zero at the ends and at
    local extrema, harmonic mean of the neighbouring slopes elsewhere (no overshoot there)."""
    vel = np.zeros_like(v)
    if len(t) < 3:
        return vel
    d = np.diff(v, axis=0) / np.diff(t).reshape((-1,) + (1,) * (v.ndim - 1))
    d0, d1 = d[:-1], d[1:]
    same = d0 * d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hm = np.where(same, 2.0 * d0 * d1 / (d0 + d1), 0.0)
    vel[1:-1] = hm
    return vel


class Track:
    """A value (scalar or vector) given at keyframes, joined by minimum-jerk segments.

    Between two keyframes the value follows a quintic Hermite polynomial with zero
    acceleration at both ends (the minimum-jerk profile when both velocities are zero).
    Knot velocities are those given in ``vels`` (``NaN`` = automatic); automatic ones are zero
    at the first and last keyframe and at turning points, so that the motion comes to rest at
    an extreme posture, and shape-preserving elsewhere (Fritsch-Butland), so that passing
    through a keyframe does not stop the motion. Before the first and after the last keyframe
    the value is held, unless an end velocity is given (then it continues linearly; used
    only internally and never outside the attempt's time span).
    """

    def __init__(self, times, values, vels=None):
        t = np.asarray(times, dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        if t.ndim != 1 or len(t) < 1 or v.shape[0] != len(t):
            raise ValueError("Track: times must be 1-D and match values' first axis")
        if len(t) > 1 and not (np.diff(t) > 0).all():
            raise ValueError(f"Track: keyframe times must increase, got {t}")
        auto = _auto_velocities(t, v)
        if vels is not None:
            given = np.asarray(vels, dtype=np.float64).reshape(v.shape)
            auto = np.where(np.isnan(given), auto, given)
        self.t, self.v, self.dv = t, v, auto

    def __call__(self, times) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64)
        t, v, dv = self.t, self.v, self.dv
        if len(t) == 1:
            return np.broadcast_to(v[0], times.shape + v.shape[1:]).copy()
        tc = np.clip(times, t[0], t[-1])
        i = np.clip(np.searchsorted(t, tc, side="right") - 1, 0, len(t) - 2)
        h = t[i + 1] - t[i]
        s = (tc - t[i]) / h
        s2 = s * s
        s3 = s2 * s
        s4 = s3 * s
        s5 = s4 * s
        h00 = 1 - 10 * s3 + 15 * s4 - 6 * s5
        h10 = s - 6 * s3 + 8 * s4 - 3 * s5
        h01 = 10 * s3 - 15 * s4 + 6 * s5
        h11 = -4 * s3 + 7 * s4 - 3 * s5
        ex = (slice(None),) + (None,) * (v.ndim - 1)
        out = (
            h00[ex] * v[i] + h01[ex] * v[i + 1] + (h * h10)[ex] * dv[i] + (h * h11)[ex] * dv[i + 1]
        )
        # Linear continuation outside the keyframes when an end velocity is set.
        before = times < t[0]
        after = times > t[-1]
        if before.any():
            out[before] = v[0] + (times[before] - t[0])[ex] * dv[0]
        if after.any():
            out[after] = v[-1] + (times[after] - t[-1])[ex] * dv[-1]
        return out


class Piecewise:
    """Tracks that take over one after another at given switch times (value-continuous when
    each later track starts from the earlier one's value at its switch time)."""

    def __init__(self, tracks: list[Track], switch_times: list[float]):
        if len(switch_times) != len(tracks) - 1:
            raise ValueError("Piecewise: need one switch time between each pair of tracks")
        self.tracks, self.switch = tracks, np.asarray(switch_times, dtype=np.float64)

    def __call__(self, times) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64)
        k = np.searchsorted(self.switch, times, side="right")
        out = None
        for j, tr in enumerate(self.tracks):
            m = k == j
            if not m.any():
                continue
            val = tr(times[m])
            if out is None:
                out = np.empty(times.shape + val.shape[1:])
            out[m] = val
        return out


def hermite_path(t0, p0, v0, t1, p1, v1=None) -> Track:
    """A quintic segment from position/velocity ``(p0, v0)`` at ``t0`` to ``(p1, v1)`` at
    ``t1`` (``v1`` zero when omitted): the minimum-jerk path with given end velocities."""
    p0 = np.asarray(p0, float)
    v1 = np.zeros_like(p0) if v1 is None else np.asarray(v1, float)
    return Track([t0, t1], [p0, np.asarray(p1, float)], [np.asarray(v0, float), v1])


# --------------------------------------------------------------------------- geometry
def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def seg_dir(theta_deg, lam_deg=0.0, side: float = 1.0) -> np.ndarray:
    """Unit direction from sagittal angle ``theta`` and lateral tilt ``lam`` (local frame)."""
    th = np.asarray(theta_deg, dtype=np.float64) * DEG
    la = np.asarray(lam_deg, dtype=np.float64) * DEG
    th, la = np.broadcast_arrays(th, la)
    return np.stack([np.sin(th) * np.cos(la), np.cos(th) * np.cos(la), side * np.sin(la)], -1)


def sagittal_angle(vec: np.ndarray) -> np.ndarray:
    """Inverse of :func:`seg_dir` for the sagittal part: theta (degrees) of local vectors."""
    return np.arctan2(vec[..., 0], vec[..., 1]) / DEG


def lateral_angle(vec: np.ndarray, side: float = 1.0) -> np.ndarray:
    return np.arcsin(np.clip(side * unit(vec)[..., 2], -1, 1)) / DEG


def two_bone_ik(root, target, l1: float, l2: float, pole) -> tuple[np.ndarray, np.ndarray]:
    """Analytic two-bone IK: (middle, end) joints with |middle-root| = l1, |end-middle| = l2.

    The end joint reaches ``target`` when it can; otherwise it lies on the line towards the
    target at full (99.9 %) or minimal reach. The middle joint bends towards ``pole`` (a
    direction, projected onto the plane normal to root->target).
    """
    root = np.asarray(root, float)
    d_vec = np.asarray(target, float) - root
    d = np.linalg.norm(d_vec, axis=-1, keepdims=True)
    u = d_vec / np.maximum(d, 1e-12)
    d = np.clip(d, abs(l1 - l2) + 1e-4, (l1 + l2) * 0.999)
    pole = np.broadcast_to(np.asarray(pole, float), u.shape)
    v = pole - np.sum(pole * u, axis=-1, keepdims=True) * u
    v = unit(v)
    cos_a = np.clip((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d), -1.0, 1.0)
    sin_a = np.sqrt(1 - cos_a * cos_a)
    mid = root + l1 * (cos_a * u + sin_a * v)
    end = root + d * u
    return mid, end


def to_world(local: np.ndarray, heading_deg: float, origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Rotate local (f, u, r) coordinates about the vertical by ``heading`` into the world frame
    (heading 0: forward = world +x, the student's right = world +z, towards the camera)."""
    h = heading_deg * DEG
    c, s = np.cos(h), np.sin(h)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])  # columns: f, u, r in world
    return local @ rot.T + np.asarray(origin, float)


def heel_rise_ankle(toe: np.ndarray, body, rise_deg) -> np.ndarray:
    """Ankle position while the foot pivots about the ball of the foot (local frame).

    At ``rise_deg = 0`` the foot is flat and the ankle sits ``body.ankle_height`` above the
    floor and ``body.foot`` behind ``toe``; raising the heel turns the ankle about the toe on a
    circle, so it never goes lower than when the foot is flat."""
    rho = np.hypot(body.foot, body.ankle_height)
    beta0 = np.arctan2(body.ankle_height, body.foot)
    beta = beta0 + np.asarray(rise_deg, float) * DEG
    off = np.stack([-np.cos(beta) * rho, np.sin(beta) * rho, np.zeros_like(beta)], -1)
    return np.asarray(toe, float) + off


# --------------------------------------------------------------------------- body parts
def trunk_chain(pelvis, body, lumbar, thoracic, neck, head, lateral=0.0, twist=0.0):
    """Pelvis -> spine -> thorax -> neck -> head from sagittal angles (degrees, arrays (n,)),
    plus the shoulders. ``lateral`` tilts the whole chain sideways (towards the right for
    positive values) and ``twist`` turns the shoulder line about the trunk axis (right
    shoulder forward for positive values).

    Returns a dict with joints and the thorax frame: ``a`` (trunk axis), ``rr`` (right, normal
    to a) and ``n`` (front of the chest)."""
    n = np.shape(pelvis)[0]

    def b(x):
        return np.broadcast_to(np.asarray(x, float), (n,))

    lat = b(lateral)
    spine = pelvis + body.lumbar * seg_dir(b(lumbar), lat)
    a = seg_dir(b(thoracic), lat)
    thorax = spine + body.thoracic * a
    neck_j = thorax + body.neck * seg_dir(b(neck), lat)
    head_j = neck_j + body.head * seg_dir(b(head), lat)
    r = np.broadcast_to(np.array([0.0, 0.0, 1.0]), a.shape)
    rr = unit(r - np.sum(r * a, -1, keepdims=True) * a)
    front = np.cross(a, rr)
    tw = b(twist)[:, None] * DEG
    line = np.cos(tw) * rr + np.sin(tw) * front
    sh_r = thorax + body.shoulder_width * line - body.shoulder_drop * a
    sh_l = thorax - body.shoulder_width * line - body.shoulder_drop * a
    return {"spine": spine, "thorax": thorax, "neck": neck_j, "head": head_j,
            "right_shoulder": sh_r, "left_shoulder": sh_l, "a": a, "rr": rr, "n": front}  # fmt: skip


def hips(pelvis, body) -> tuple[np.ndarray, np.ndarray]:
    """(right hip, left hip): the pelvis does not roll or turn relative to the heading."""
    off = np.array([0.0, 0.0, body.hip_width])
    return pelvis + off, pelvis - off


def arm_fk(shoulder, body, upper_theta, upper_lam, fore_theta, fore_lam, side: float):
    elbow = shoulder + body.upper_arm * seg_dir(upper_theta, upper_lam, side)
    wrist = elbow + body.forearm * seg_dir(fore_theta, fore_lam, side)
    return elbow, wrist


def leg_fk(hip, body, thigh_theta, thigh_lam, shank_theta, shank_lam, side: float):
    knee = hip + body.thigh * seg_dir(thigh_theta, thigh_lam, side)
    ankle = knee + body.shank * seg_dir(shank_theta, shank_lam, side)
    return knee, ankle


def assemble(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Stack named joints (each (n, 3)) into (n, 17, 3) in the canonical order."""
    n = parts["pelvis"].shape[0]
    out = np.empty((n, NUM_JOINTS, 3))
    for name, idx in JOINT_INDEX.items():
        out[:, idx] = parts[name]
    return out


# Segment masses (share of body mass) and centre-of-mass positions along the segment from the
# proximal joint, after de Leva (1996), lumped onto our 16 bones; hands go with the forearm
# and feet with the shank (at the ankle).
_SEGMENTS = (  # (proximal joint, distal joint, mass share, COM fraction)
    ("pelvis", "spine", 0.142 + 0.1, 0.45),  # pelvis + lower abdomen
    ("spine", "thorax", 0.255, 0.5),
    ("thorax", "head", 0.081, 0.8),  # head and neck
    ("right_hip", "right_knee", 0.100, 0.41),
    ("left_hip", "left_knee", 0.100, 0.41),
    ("right_knee", "right_ankle", 0.0465 + 0.0145, 0.55),
    ("left_knee", "left_ankle", 0.0465 + 0.0145, 0.55),
    ("right_shoulder", "right_elbow", 0.027, 0.45),
    ("left_shoulder", "left_elbow", 0.027, 0.45),
    ("right_elbow", "right_wrist", 0.022, 0.6),
    ("left_elbow", "left_wrist", 0.022, 0.6),
)


def _com_matrix() -> np.ndarray:
    w = np.zeros(NUM_JOINTS)
    total = sum(m for _, _, m, _ in _SEGMENTS)
    for a, b, m, f in _SEGMENTS:
        w[JOINT_INDEX[a]] += m * (1 - f) / total
        w[JOINT_INDEX[b]] += m * f / total
    return w


COM_WEIGHTS = _com_matrix()


def center_of_mass(joints: np.ndarray) -> np.ndarray:
    """Whole-body centre of mass (..., 3) of (..., 17, 3) joints (segment model above)."""
    return np.einsum("j,...jd->...d", COM_WEIGHTS, joints)


def mirror_local(joints: np.ndarray) -> np.ndarray:
    """Mirror (..., 17, 3) local-frame joints left-right (z -> -z, left and right swapped):
    a left-handed student's movement from a right-handed one."""
    from engine.skeleton import MIRROR

    out = joints[..., list(MIRROR), :].copy()
    out[..., 2] = -out[..., 2]
    return out
