"""What a movement builder returns, and helpers shared by the four builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.simulator.body import Body
from engine.simulator.kinematics import DEG, seg_dir, trunk_chain, two_bone_ik


@dataclass
class Motion:
    """A clean, continuous-time movement in the local frame (``engine.simulator.kinematics``).

    ``pose(times)`` gives (n, 17, 3) joints at any times in ``[0, duration]``; sampling it at
    the sensor's (jittered) frame times is how the sensor model sees the movement.
    ``stage_times`` holds the [start, end) time of the four stages in seconds.
    """

    duration: float
    stage_times: np.ndarray  # (4, 2) seconds
    pose: Callable[[np.ndarray], np.ndarray]
    info: dict = field(default_factory=dict)  # movement facts (jump distance, repetitions ...)


def fault(faults: dict[str, float], key: str) -> float:
    """Magnitude of ``key`` in [0, 1] (0 when absent)."""
    return float(np.clip(faults.get(key, 0.0), 0.0, 1.0))


def lerp(a, b, m):
    return a + (b - a) * m


def leg_distance(body: Body, knee_flex_deg) -> np.ndarray:
    """Hip-ankle distance for a knee flexion (0 = straight), law of cosines."""
    k = np.asarray(knee_flex_deg, float) * DEG
    return np.sqrt(body.thigh**2 + body.shank**2 + 2 * body.thigh * body.shank * np.cos(k))


def pelvis_over_ankles(body: Body, ankle_mid, knee_flex_deg: float, dx: float, dz: float):
    """Pelvis position above ``ankle_mid`` (local frame) so that each leg has the given knee
    flexion, the hips are ``dx`` ahead of the ankles and each ankle is ``dz`` further out than
    its hip."""
    d = float(leg_distance(body, knee_flex_deg))
    dy = np.sqrt(max(d * d - dx * dx - dz * dz, 0.01))
    return np.asarray(ankle_mid, float) + np.array([dx, dy, 0.0])


def standing_legs(pelvis, ankle_r, ankle_l, body: Body, pole=(1.0, 0.0, 0.12)):
    """Knees by IK for planted (or given) ankles; returns (hip_r, knee_r, ankle_r, hip_l, ...)."""
    off = np.array([0.0, 0.0, body.hip_width])
    hip_r, hip_l = pelvis + off, pelvis - off
    pr = np.array(pole, float)
    pl = pr * np.array([1.0, 1.0, -1.0])
    knee_r, ank_r = two_bone_ik(hip_r, ankle_r, body.thigh, body.shank, pr)
    knee_l, ank_l = two_bone_ik(hip_l, ankle_l, body.thigh, body.shank, pl)
    return {"right_hip": hip_r, "right_knee": knee_r, "right_ankle": ank_r,
            "left_hip": hip_l, "left_knee": knee_l, "left_ankle": ank_l}  # fmt: skip


def upright_trunk(pelvis, body: Body, lean, lateral=0.0, twist=0.0, head_up=0.0):
    """Trunk of a standing student leaning ``lean`` degrees forward (negative: backward);
    the neck and head lean less so that the gaze stays roughly level (``head_up`` lifts it)."""
    lean = np.asarray(lean, float)
    return trunk_chain(pelvis, body, 0.85 * lean, 1.1 * lean, 0.6 * lean + 4 - head_up,
                       0.35 * lean + 6 - head_up, lateral, twist)  # fmt: skip


def swing_arm(shoulder, thoracic_theta, body: Body, flexion, elbow, lat, side: float):
    """Arm from shoulder flexion relative to the trunk (0 = along the trunk, 90 = forward,
    negative = behind), elbow flexion and lateral spread, all in degrees."""
    upper = thoracic_theta + 180.0 - flexion
    elbow_j = shoulder + body.upper_arm * seg_dir(upper, lat, side)
    wrist = elbow_j + body.forearm * seg_dir(upper - elbow, lat, side)
    return elbow_j, wrist


def reach_arm(shoulder, target, body: Body, pole):
    """Arm by IK to a wrist target (elbow towards ``pole``)."""
    return two_bone_ik(shoulder, target, body.upper_arm, body.forearm, pole)


def times_to_bounds(stage_times: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
    """(4, 2) [start, end) frame indices of four contiguous stages given in seconds.

    A stage starts at the first frame at or after its start time (the first stage at frame
    0) and ends where the next one starts; the last one ends at the first frame at or after
    its end time, or after the last frame. Every stage keeps at least one frame, so the bounds
    stay ordered even when frames around a very short stage were dropped."""
    n = len(frame_times)
    starts = np.searchsorted(frame_times, stage_times[:, 0] - 1e-9, side="left").astype(np.int64)
    starts[0] = 0
    end = int(np.searchsorted(frame_times, stage_times[3, 1] - 1e-9, side="left"))
    if stage_times[3, 1] >= frame_times[-1] - 1e-9:  # the last stage runs to the end
        end = n
    for p in range(1, 4):
        starts[p] = max(starts[p], starts[p - 1] + 1)
    starts = np.minimum(starts, n - 4 + np.arange(4))
    end = min(max(end, starts[3] + 1), n)
    ends = np.append(starts[1:], end)
    return np.stack([starts, ends], 1)


def foot_chain(
    toe, body: Body, rise, incline, knee_flex, dz: float, side: float, pole=(1.0, 0.0, 0.12)
):
    """Leg built upwards from a planted foot: (ankle, knee, hip), local frame.

    The ankle turns about the ball of the foot ``toe`` by the heel ``rise`` (degrees, see
    :func:`~engine.simulator.kinematics.heel_rise_ankle`); the hip lies on the *leg line*
    through the ankle, leaning ``incline`` degrees forward of vertical and tilted ``lam``
    degrees towards the midline, at the hip-ankle distance of a knee flexed by ``knee_flex``;
    the knee follows by IK (bending forward). Parametrising by the leg line makes knee
    extension move the hip along the leg and ``incline`` rotate it about the ankle, as in a
    real push-off."""
    from engine.simulator.kinematics import heel_rise_ankle

    ankle = heel_rise_ankle(toe, body, rise)
    dist = leg_distance(body, knee_flex)
    lam = np.degrees(np.arcsin(np.clip(dz / dist, -1, 1)))
    hip = ankle + dist[..., None] * seg_dir(incline, lam, -side)
    pole = np.array(pole, float) * np.array([1.0, 1.0, side])
    knee, ankle = two_bone_ik(hip, ankle, body.thigh, body.shank, pole)
    return ankle, knee, hip


def standing_pose(
    body: Body, pelvis, ank_r, ank_l, lean, wr_r, wr_l, pole_r, pole_l, twist=0.0, head_up=0.0
) -> np.ndarray:
    """A standing student: trunk from ``lean``/``twist``, knees by IK to the (planted or
    stepping) ankles, arms by IK to the wrist targets. All inputs are (n, 3) or (n,)."""
    from engine.simulator.kinematics import assemble

    tr = upright_trunk(pelvis, body, lean, 0.0, twist, head_up)
    parts = {**tr, "pelvis": pelvis}
    parts.update(standing_legs(pelvis, ank_r, ank_l, body))
    parts["right_elbow"], parts["right_wrist"] = reach_arm(tr["right_shoulder"], wr_r, body, pole_r)
    parts["left_elbow"], parts["left_wrist"] = reach_arm(tr["left_shoulder"], wr_l, body, pole_l)
    return assemble(parts)


def shoulder_offset(body: Body, side: float) -> np.ndarray:
    """Shoulder relative to the pelvis of an upright student (local frame)."""
    return np.array(
        [0.0, body.lumbar + body.thoracic - body.shoulder_drop, side * body.shoulder_width]
    )


def head_height(body: Body) -> float:
    """Head joint above the pelvis of an upright student."""
    return body.lumbar + body.thoracic + body.neck + body.head
