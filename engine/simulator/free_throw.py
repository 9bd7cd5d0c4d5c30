"""Basketball free throw: set, dip, release, follow-through.

Built for a right-handed shooter and mirrored for a left-handed one. The feet stay planted
(shooting foot a little ahead); the pelvis follows keyframes computed from a knee flexion
(set, dip, release, recovery) and the heels rise about the balls of the feet at release;
knees by leg IK. The hands follow wrist keyframes around the ball (shooting hand under and
behind it, guide hand at its side), through the set point above the forehead to the release
with the shooting arm extended up and forward; the arms by IK with elbow pole directions.

Stage boundaries
    set: start -> the knees start to bend; dip: -> lowest point; release: -> ball release
    (arm extended); follow-through: -> end.

Faults (magnitude ``m`` in [0, 1])
    poor_set_position: the ball is held 12 cm m further out and about 15 cm m lower;
    no_knee_dip: the dip shrinks (x(1 - 0.85 m)) and the heels hardly rise;
    elbow_flaring_out: the shooting elbow points out (pole +1.4 m to the side), release
    direction turns 14 m degrees out;
    low_release: the set point drops to the chin and the release angle flattens by 40 m deg;
    guide_hand_interference: the guide hand follows the ball forward at release;
    no_follow_through: the shooting arm drops at once instead of being held (hold x(1-0.85 m));
    leaning_back: the trunk leans back up to 15 m degrees after the release.
"""

from __future__ import annotations

import numpy as np

from engine.simulator.body import Student
from engine.simulator.kinematics import Track, heel_rise_ankle, mirror_local, seg_dir
from engine.simulator.motion import (
    Motion,
    fault,
    head_height,
    leg_distance,
    lerp,
    shoulder_offset,
    standing_pose,
)

MOVEMENT = "free_throw"


def stance_pelvis(body, ank_r, ank_l, knee_flex: float, dx: float) -> np.ndarray:
    """Pelvis above two (possibly staggered) ankles with the knee flexion ``knee_flex`` on the
    leg whose foot is furthest away (the other one bends a little more)."""
    px = 0.5 * (ank_r[0] + ank_l[0]) + dx
    far = max(abs(px - ank_r[0]), abs(px - ank_l[0]))
    dz = abs(ank_r[2]) - body.hip_width
    dy = np.sqrt(max(float(leg_distance(body, knee_flex)) ** 2 - far * far - dz * dz, 0.01))
    return np.array([px, max(ank_r[1], ank_l[1]) + dy, 0.0])


def build(student: Student, faults: dict[str, float], rng: np.random.Generator) -> Motion:
    body = student.body
    u = rng.uniform
    m_set, m_dip = fault(faults, "poor_set_position"), fault(faults, "no_knee_dip")
    m_elbow, m_low = fault(faults, "elbow_flaring_out"), fault(faults, "low_release")
    m_guide, m_noft = fault(faults, "guide_hand_interference"), fault(faults, "no_follow_through")
    m_lean = fault(faults, "leaning_back")
    sp = u(0.85, 1.15)
    k = body.height / 1.65

    # ---------------------------------------------------------------- feet
    hw = body.hip_width
    dz = u(0.02, 0.08)
    stagger = u(0.03, 0.15)
    toe_r = np.array([stagger + body.foot, 0.0, hw + dz])
    toe_l = np.array([body.foot, 0.0, -(hw + dz)])

    # ---------------------------------------------------------------- timing
    t_dip = u(0.6, 1.5)
    t_bot = t_dip + u(0.3, 0.5) * sp
    t_r = u(0.3, 0.45) * sp
    t_sp = t_bot + 0.55 * t_r
    t_rel = t_bot + t_r
    t_hold = t_rel + max(u(0.5, 0.9) * (1 - 0.85 * m_noft), 0.06)
    t_down = t_hold + u(0.4, 0.7)
    t_mid = max(0.5 * (t_hold + t_down), t_rel + 0.35)  # arms pass in front on the way down
    t_down = max(t_down, t_mid + 0.15)
    t_end = max(t_down + u(0.2, 0.6), 3.0)

    # ---------------------------------------------------------------- legs and pelvis
    k_set = u(12, 22)
    k_dip = max(u(40, 60) * (1 - 0.85 * m_dip), k_set + 3)
    k_rel = u(12, 16)
    rise_rel = u(10, 25) * (1 - 0.8 * m_dip)
    dx = u(-0.04, 0.0)
    rise = Track([0, t_bot + 0.4 * t_r, t_rel, t_rel + 0.3], [0.0, 0.0, rise_rel, 0.0])

    def pel(knee, r):
        return stance_pelvis(body, heel_rise_ankle(toe_r, body, r), heel_rise_ankle(toe_l, body, r),
                             knee, dx)  # fmt: skip

    pelvis = Track([0, t_dip, t_bot, t_rel, t_rel + 0.35],
                   [pel(k_set, 0), pel(k_set, 0), pel(k_dip, 0), pel(k_rel, rise_rel),
                    pel(u(12, 20), 0)])  # fmt: skip

    # ---------------------------------------------------------------- hands (relative to pelvis)
    ch = 0.8 * (body.lumbar + body.thoracic)
    hh = head_height(body)
    sh_r, sh_l = shoulder_offset(body, 1.0), shoulder_offset(body, -1.0)
    b_set = np.array([0.30 + 0.12 * m_set, ch - 0.04 - 0.15 * k * m_set, 0.04])
    b_dip = b_set + np.array([-0.03, -0.05, 0.0])
    b_sp = np.array([0.26 + 0.1 * m_low, hh + 0.06 - 0.25 * k * m_low, 0.12])
    under = np.array([-0.03, -0.09, 0.03])
    side = np.array([-0.02, 0.0, -0.12])
    th_rel = u(18, 32) + 40 * m_low
    lam_rel = u(0, 4) + 14 * m_elbow
    w_rel = sh_r + 0.96 * body.arm * seg_dir(th_rel, lam_rel, 1.0)
    g_rel = lerp(
        b_sp + np.array([0.04, 0.04, -0.17]), w_rel + np.array([-0.04, -0.08, -0.14]), m_guide
    )
    hang_r = sh_r + np.array([0.03, -0.96 * body.arm, 0.03])
    hang_l = sh_l + np.array([0.03, -0.96 * body.arm, -0.03])
    chest = np.array([0.2, ch, 0.1])
    w_hold = w_rel + np.array([0.02, -0.03, 0.0])
    if m_noft > 0:  # the arm comes down towards the chest instead of staying extended
        w_hold = lerp(w_hold, chest, 0.8 * m_noft)
    g_drop = lerp(sh_l + np.array([0.15, -0.7 * body.arm, -0.05]), g_rel, m_guide)
    # arms come down in front of the body (an arc through "forward"), not past the shoulder
    fwd_r = sh_r + 0.85 * body.arm * seg_dir(110, 5, 1.0)
    fwd_l = sh_l + 0.85 * body.arm * seg_dir(120, 5, -1.0)
    wr_s = Track([0, t_dip, t_bot, t_sp, t_rel, t_hold, t_mid, t_down],
                 [b_set + under, b_set + under, b_dip + under, b_sp + under, w_rel, w_hold, fwd_r,
                  hang_r])  # fmt: skip
    wr_g = Track([0, t_dip, t_bot, t_sp, t_rel, t_rel + 0.3, t_mid, t_down],
                 [b_set + side, b_set + side, b_dip + side, b_sp + side, g_rel, g_drop,
                  lerp(fwd_l, g_drop, 0.5), hang_l])  # fmt: skip
    pole_s = np.array([0.5, -0.7, 0.2 + 1.4 * m_elbow])
    pole_g = np.array([0.1, -0.6, -1.0])

    # ---------------------------------------------------------------- trunk
    lean = Track([0, t_dip, t_bot, t_rel, t_hold, t_down],
                 [u(2, 6), u(2, 6), u(8, 15) * (1 - 0.5 * m_dip), u(0, 5),
                  lerp(u(0, 6), -15, m_lean), u(0, 5) - 8 * m_lean])  # fmt: skip
    twist = u(5, 12)
    head_up = u(8, 15)
    left = student.left_handed

    def pose(times):
        times = np.asarray(times, dtype=np.float64)
        n = len(times)
        pv = pelvis(times)
        r = rise(times)
        j = standing_pose(body, pv, heel_rise_ankle(toe_r, body, r), heel_rise_ankle(toe_l, body, r),
                          lean(times), pv + wr_s(times), pv + wr_g(times),
                          np.broadcast_to(pole_s, (n, 3)), np.broadcast_to(pole_g, (n, 3)),
                          twist, head_up)  # fmt: skip
        return mirror_local(j) if left else j

    stages = np.array([[0.0, t_dip], [t_dip, t_bot], [t_bot, t_rel], [t_rel, t_end]])
    info = {"shooting_hand": "left" if left else "right",
            "release_angle_deg": round(float(90 - th_rel), 1)}  # fmt: skip
    return Motion(t_end, stages, pose, info)
