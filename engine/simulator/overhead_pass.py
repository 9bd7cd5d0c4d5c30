"""Volleyball two-hand overhead pass: ready, move under the ball, contact, extension.

The student waits in the ready stance (knees bent, trunk forward, hands in front of the
face), takes two quick steps (the foot on the side of the movement first: each foot swings
on a minimum-jerk path lifted by a half sine, the other foot stays planted) to get under the
ball while the hands rise to the "basket" above the forehead, meets the ball with knees bent
(the hands give a little), then extends legs and arms up and forward together, holds, and
relaxes. Knees and arms by IK; the heels rise about the balls of the feet in the extension.

Stage boundaries
    ready: start -> first step; move under: -> ball contact; contact: -> start of the
    extension; extension: -> end.

Faults (magnitude ``m`` in [0, 1])
    no_ready_stance: straight legs, upright trunk and hands at the waist while waiting;
    not_under_ball: the steps fall short (x(1 - 0.8 m)) so the ball is met 25 cm m in front,
    with the trunk leaning towards it;
    hands_below_forehead: the contact point drops by up to 25 cm (to the chin);
    straight_legs: knees almost straight at contact and hardly any leg drive;
    asymmetric_arms: one hand up to 10 cm m higher and further forward than the other, one
    elbow out;
    no_extension: arms and legs do not extend after contact (x(1 - 0.85 m)).
"""

from __future__ import annotations

import numpy as np

from engine.simulator.body import Student
from engine.simulator.free_throw import stance_pelvis
from engine.simulator.kinematics import Track, heel_rise_ankle, seg_dir
from engine.simulator.motion import (
    Motion,
    fault,
    head_height,
    lerp,
    shoulder_offset,
    standing_pose,
)

MOVEMENT = "overhead_pass"


def _step(t, t0, t1, p0, p1, lift):
    """Foot (ball of the foot) position while stepping from p0 to p1 during [t0, t1]."""
    s = np.clip((np.asarray(t) - t0) / (t1 - t0), 0.0, 1.0)
    mj = 10 * s**3 - 15 * s**4 + 6 * s**5
    pos = p0 + mj[:, None] * (p1 - p0)
    pos[:, 1] += lift * np.sin(np.pi * s)
    return pos


def build(student: Student, faults: dict[str, float], rng: np.random.Generator) -> Motion:
    body = student.body
    u = rng.uniform
    m_ready, m_under = fault(faults, "no_ready_stance"), fault(faults, "not_under_ball")
    m_low, m_straight = fault(faults, "hands_below_forehead"), fault(faults, "straight_legs")
    m_asym, m_noext = fault(faults, "asymmetric_arms"), fault(faults, "no_extension")
    sp = u(0.85, 1.15)
    k = body.height / 1.65
    hw = body.hip_width
    hh = head_height(body)
    sh_r, sh_l = shoulder_offset(body, 1.0), shoulder_offset(body, -1.0)

    # ---------------------------------------------------------------- feet and steps
    dz = u(0.05, 0.12)
    stag = u(-0.12, 0.12)  # right foot ahead (+) or behind (-)
    toe_r0 = np.array([body.foot + max(stag, 0), 0.0, hw + dz])
    toe_l0 = np.array([body.foot + max(-stag, 0), 0.0, -(hw + dz)])
    step = np.array([u(0.25, 0.6), 0.0, u(-0.25, 0.25)]) * (1 - 0.8 * m_under)
    first_right = step[2] > 0 if abs(step[2]) > 0.05 else rng.random() < 0.5

    t_move = u(0.6, 1.5)
    t_s1 = u(0.22, 0.32) * sp
    t_s2 = u(0.22, 0.32) * sp
    t_a = t_move  # first foot
    t_b = t_move + 0.6 * t_s1  # second foot starts before the first has landed
    t_settle = t_b + t_s2
    t_contact = t_settle + u(0.1, 0.25)
    t_ext = t_contact + u(0.12, 0.25)
    t_top = t_ext + u(0.3, 0.45) * sp
    t_relax = t_top + u(0.2, 0.4)
    t_done = t_relax + u(0.5, 0.8)
    t_end = max(t_done + u(0.2, 0.6), 3.0)
    lift1, lift2 = u(0.04, 0.09), u(0.04, 0.09)
    first, second = ("r", "l") if first_right else ("l", "r")
    starts = {"r": toe_r0, "l": toe_l0}
    plan = {first: (t_a, t_a + t_s1, lift1), second: (t_b, t_b + t_s2, lift2)}

    def toe(key, t):
        t0, t1, lift = plan[key]
        return _step(t, t0, t1, starts[key], starts[key] + step, lift)

    # ---------------------------------------------------------------- legs and pelvis
    k_ready = lerp(u(30, 45), u(8, 12), m_ready)
    k_move = max(k_ready, 30.0 * (1 - m_ready) + 12)
    k_contact = lerp(u(45, 65), u(10, 14), m_straight)
    k_top = u(10, 14)
    rise_top = lerp(u(10, 25), 0.0, max(m_straight, m_noext))
    dx = u(-0.05, 0.0)

    def pel(knee, r, moved):
        a = heel_rise_ankle(toe_r0 + step * moved, body, r)
        b = heel_rise_ankle(toe_l0 + step * moved, body, r)
        return stance_pelvis(body, a, b, knee, dx)

    # the pelvis moves with the steps; its height follows the knee flexion
    k_ext_top = lerp(k_top, k_contact, 0.85 * max(m_noext, m_straight))
    r_top = rise_top * (1 - 0.85 * m_noext)
    pelvis = Track(
        [0, t_move, t_settle, t_contact, t_ext, t_top, t_relax, t_done],
        [pel(k_ready, 0, 0), pel(k_ready, 0, 0), pel(k_move, 0, 1), pel(k_contact, 0, 1),
         pel(k_contact + 3, 0, 1), pel(k_ext_top, r_top, 1), pel(k_ext_top, r_top, 1),
         pel(u(12, 20), 0, 1)],
    )  # fmt: skip
    rise = Track([0, t_ext, t_top, t_relax, t_done], [0.0, 0.0, r_top, r_top, 0.0])

    # ---------------------------------------------------------------- hands (relative to pelvis)
    lean_ready = lerp(u(15, 25), u(0, 4), m_ready)
    ready_w = np.array([0.25, hh - 0.12, 0.12])
    waist_w = np.array([0.18, 0.05, 0.2])
    w_ready = lerp(ready_w, waist_w, m_ready)
    basket = np.array([0.12 + 0.25 * m_under, hh + 0.13 - 0.25 * k * m_low, 0.09])
    asym = np.array([0.05, 0.1, 0.0]) * m_asym
    c_r = basket + asym * 0.5
    c_l = basket * np.array([1, 1, -1]) - asym * 0.5
    give = np.array([-0.03, -0.04, 0.0])
    th_ext = u(15, 30)
    e_r = sh_r + 0.95 * body.arm * seg_dir(th_ext, u(3, 10), 1.0)
    e_l = sh_l + 0.95 * body.arm * seg_dir(th_ext, u(3, 10), -1.0)
    e_r = lerp(e_r, c_r, 0.85 * m_noext) + asym
    e_l = lerp(e_l, c_l, 0.85 * m_noext) - asym
    hang_r = sh_r + np.array([0.03, -0.96 * body.arm, 0.03])
    hang_l = sh_l + np.array([0.03, -0.96 * body.arm, -0.03])
    # arms come down in front of the body (an arc through "forward"), not past the shoulder
    fwd_r = sh_r + 0.85 * body.arm * seg_dir(110, 8, 1.0)
    fwd_l = sh_l + 0.85 * body.arm * seg_dir(110, 8, -1.0)
    t_mid = 0.5 * (t_relax + t_done)
    tw = [0, t_move, t_settle, t_contact, t_ext, t_top, t_relax, t_mid, t_done]
    wr_r = Track(tw, [w_ready, w_ready, c_r, c_r, c_r + give, e_r, e_r, fwd_r, hang_r])
    w_ready_l = w_ready * np.array([1, 1, -1])
    wr_l = Track(tw, [w_ready_l, w_ready_l, c_l, c_l, c_l + give, e_l, e_l, fwd_l, hang_l])
    pole_r = np.array([0.4, -0.3, 0.8])
    pole_l = np.array([0.4, -0.3, -0.8 - 1.2 * m_asym])
    lean = Track(tw[:7] + tw[8:], [lean_ready, lean_ready, u(5, 12) + 15 * m_under, u(5, 15) + 15 * m_under,
                      u(5, 15) + 15 * m_under, u(0, 6) + 10 * m_under, u(0, 6), u(0, 5)])  # fmt: skip
    head_up = u(15, 25)

    def pose(times):
        times = np.asarray(times, dtype=np.float64)
        n = len(times)
        pv = pelvis(times)
        r = rise(times)
        ank_r = heel_rise_ankle(toe("r", times), body, r)
        ank_l = heel_rise_ankle(toe("l", times), body, r)
        return standing_pose(body, pv, ank_r, ank_l, lean(times), pv + wr_r(times), pv + wr_l(times),
                             np.broadcast_to(pole_r, (n, 3)), np.broadcast_to(pole_l, (n, 3)),
                             0.0, head_up)  # fmt: skip

    stages = np.array([[0.0, t_move], [t_move, t_contact], [t_contact, t_ext], [t_ext, t_end]])
    info = {
        "step_m": [round(float(x), 3) for x in step],
        "first_step": "right" if first_right else "left",
    }
    return Motion(t_end, stages, pose, info)
