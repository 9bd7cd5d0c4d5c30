"""Standing long jump: pre-swing, take-off, flight, landing (paper section 4).

Phases and how each is made
    *Stance before take-off* (pre-swing and take-off): both feet planted. Each leg is
    parametrised by its *leg line* (ankle -> hip inclination), knee flexion and heel rise
    (the ankle turns about the ball of the foot), with keyframes for standing, 1-2 arm swings
    with a half crouch and the deep crouch, then a quintic drive to the toe-off posture
    (body line 42-52 degrees from vertical, knees nearly straight, heels up 35-50 degrees).
    The joint rates at toe-off are solved so that the hip leaves at the aimed angle
    (20-28 degrees) and speed (3.5-4.1 m/s scaled by height), limited so that no quintic
    swings far back before it drives forward. The knees follow by two-bone IK.

    *Flight*: the legs follow angle keyframes (tuck, then reach forward) starting from the
    toe-off posture and its angular velocity; the whole-body centre of mass (segment model in
    ``kinematics``) follows the ballistic parabola ``c(t) = c0 + v0 (t - t0) - g/2 (t - t0)^2``
    exactly, with ``c0``/``v0`` the centre of mass and its velocity at toe-off; the pelvis is
    placed so that the posture's centre of mass lies on it. The flight ends when the lower
    ankle comes down to its standing height (found on a 4 ms grid refined twice by 40x).

    *Landing*: feet planted where they touched down; the pelvis decelerates on a quintic from
    its touch-down position and velocity into a squat over the feet, then rises to standing.

Stage boundaries
    pre-swing: start -> deepest crouch; take-off: deepest crouch -> toe-off;
    flight: toe-off -> touch-down; landing: touch-down -> end.

A shallow crouch drives more upwards (the body line at toe-off scales with crouch depth).
The fault-free jumps of the seed-0 data set average 1.99 m (docs/simulator.md).

Faults (magnitude ``m`` in [0, 1], each changes the movement continuously)
    no_arm_swing: back-swing and forward drive shrink (x(1 - 0.85 m)), take-off speed -12 %;
    shallow_knee_bend: crouch knee flexion x(1 - 0.7 m), speed -15 %;
    low_take_off_angle: aimed take-off angle -10 m degrees, body line 8 m degrees flatter;
    incomplete_extension: knees stay bent (+25 m degrees) and heels rise less (x(1 - 0.6 m));
    no_leg_tuck: the thighs are brought forward less in the flight (x(1 - 0.6 m));
    stiff_legged_landing: knees nearly straight at touch-down and a shallow squat;
    falling_backwards: the hips stop behind the heels, the trunk leans back, arms fly up.
"""

from __future__ import annotations

import numpy as np

from engine.simulator.body import Student
from engine.simulator.kinematics import (
    G,
    Piecewise,
    Track,
    assemble,
    center_of_mass,
    hermite_path,
    hips,
    lateral_angle,
    leg_fk,
    sagittal_angle,
)
from engine.simulator.motion import (
    Motion,
    fault,
    foot_chain,
    lerp,
    pelvis_over_ankles,
    standing_legs,
    swing_arm,
    upright_trunk,
)

MOVEMENT = "standing_long_jump"


def build(student: Student, faults: dict[str, float], rng: np.random.Generator) -> Motion:
    body = student.body
    fl = body.flexibility
    m_arm, m_knee = fault(faults, "no_arm_swing"), fault(faults, "shallow_knee_bend")
    m_angle, m_ext = fault(faults, "low_take_off_angle"), fault(faults, "incomplete_extension")
    m_tuck, m_stiff = fault(faults, "no_leg_tuck"), fault(faults, "stiff_legged_landing")
    m_fall = fault(faults, "falling_backwards")
    u = rng.uniform
    speed = u(0.85, 1.15)

    # ---------------------------------------------------------------- feet and postures
    ah, hw = body.ankle_height, body.hip_width
    dz = u(0.0, 0.06)  # each foot this much wider than its hip
    ank0_r = np.array([0.0, ah, hw + dz])
    ank0_l = np.array([0.0, ah, -(hw + dz)])
    toe_r = ank0_r + np.array([body.foot, -ah, 0.0])
    toe_l = ank0_l + np.array([body.foot, -ah, 0.0])

    k_stand = u(8, 14)
    k_crouch = (u(75, 100) + 15 * (fl - 0.5)) * (1 - 0.7 * m_knee)
    lean_crouch = (u(30, 45) + 10 * (fl - 0.5)) * (0.4 + 0.6 * k_crouch / 85) + 3
    phi_back = -(u(50, 70) + 15 * (fl - 0.5)) * (1 - 0.85 * m_arm)
    phi_drive = lerp(u(150, 175), u(35, 55), m_arm)
    alpha = u(20, 28) - 10 * m_angle  # aimed take-off angle of the pelvis velocity, deg
    # body line from vertical at toe-off: a shallow crouch drives more upwards than forwards
    incl = float(np.clip(u(42, 52) * (0.6 + 0.4 * min(k_crouch / 85, 1.0)) + 8 * m_angle, 25, 62))
    v_take = u(3.5, 4.1) * np.sqrt(body.height / 1.65) * (
        1 - 0.15 * m_knee - 0.12 * m_arm - 0.15 * m_ext)  # fmt: skip
    k_to = max(min(u(12, 18) + 25 * m_ext, 0.55 * k_crouch), 8.0)
    rise_to = u(35, 50) * (1 - 0.6 * m_ext)
    elbow0 = u(10, 25)
    arm_lat = u(4, 12)
    arm_asym = u(-6, 6)

    # ---------------------------------------------------------------- pre-swing keyframes
    still0 = u(0.3, 0.8)
    half = u(0.35, 0.48) * speed
    n_sw = 1 + int(rng.random() < 0.5)
    lean0 = u(0, 5)
    phi0 = u(0, 10)
    kt = [0.0, still0]
    kk = [k_stand, k_stand]  # knee flexion
    inc0 = u(-2, 2)
    ks = [inc0, inc0]  # leg line inclination
    kl = [lean0, lean0]
    ka = [phi0, phi0]
    ke = [elbow0, elbow0]
    t = still0
    for i in range(n_sw):
        last = i == n_sw - 1
        t += half * u(0.9, 1.1)
        kt.append(t)
        k = k_stand + u(0, 6)
        kk.append(k)
        ks.append(inc0)
        kl.append(u(3, 10))
        ka.append(lerp(u(80, 130), 25, m_arm))
        ke.append(elbow0 + u(5, 15))
        t += half * u(1.0, 1.3)
        k = k_crouch if last else k_crouch * u(0.4, 0.6)
        kt.append(t)
        kk.append(k)
        ks.append(u(-6, 2) * k / 85)
        kl.append(lean_crouch if last else 0.5 * lean_crouch)
        ka.append(phi_back if last else 0.7 * phi_back)
        ke.append(elbow0)
    t_crouch = t
    t_drive = u(0.2, 0.27) * speed
    t_to = t_crouch + t_drive

    # toe-off posture, and the joint rates that give the aimed take-off velocity
    s_to = incl

    def hip_of(sig, kap, dlt):
        return foot_chain(toe_r, body, np.atleast_1d(dlt), np.atleast_1d(sig),
                          np.atleast_1d(kap), dz, 1.0)[2][0]  # fmt: skip

    x0 = np.array([s_to, k_to, rise_to])
    jac = np.stack(
        [(hip_of(*(x0 + 0.01 * e)) - hip_of(*(x0 - 0.01 * e))) / 0.02 for e in np.eye(3)], 1
    )[:2]  # d hip (x, y) / d (deg); fmt: skip
    e_dir = np.array([np.cos(np.radians(alpha)), np.sin(np.radians(alpha))])
    rates = np.array([0.0, -u(600, 900) * (1 - 0.5 * m_ext), u(500, 800) * (1 - 0.6 * m_ext)])
    w = jac @ rates

    def cross(a, b):
        return a[0] * b[1] - a[1] * b[0]

    rates[0] = -cross(w, e_dir) / cross(jac[:, 0], e_dir)
    v_now = np.linalg.norm(jac @ rates)
    rates *= np.clip(v_take / max(v_now, 1e-6), 0.5, 2.2)
    # keep each quintic from swinging far back before it drives forward: |T v| <= 3.5 |delta|
    # (or 100 degrees for a small delta); the heel rise is clamped at 0 where its quintic dips
    seg = np.array([t_drive, t_drive, 0.8 * t_drive])
    delta = x0 - np.array([ks[-1], kk[-1], 0.0])
    lim = np.maximum(3.5 * np.abs(delta), 100.0) / seg
    rates = np.clip(rates, -lim, lim)
    kap_tr = Track(kt + [t_to], kk + [k_to], [np.nan] * len(kt) + [rates[1]])
    sig_tr = Track(kt + [t_to], ks + [s_to], [np.nan] * len(kt) + [rates[0]])
    rise = Track([0, t_crouch + 0.2 * t_drive, t_to], [0.0, 0.0, rise_to], [0.0, 0.0, rates[2]])
    mid_toe = 0.5 * (toe_r + toe_l)

    # upper body through the flight (times after toe-off; a short flight cuts them short)
    lean_to = incl * u(0.85, 1.0)
    lean_air = u(15, 30)
    lean_land = lerp(u(35, 55), 5, m_fall) * (1 - 0.4 * m_stiff)
    lean_pre = Track(kt + [t_crouch + 0.7 * t_drive, t_to, t_to + 0.22, t_to + 0.42],
                     kl + [lean_to, 0.93 * lean_to, lean_air, lean_land])  # fmt: skip
    phi_air = lerp(u(110, 150), 60, m_arm)
    phi_land = lerp(u(45, 80), 120, m_fall)
    # the arms are furthest back a little before the deepest crouch and already swing forward
    # through it (a real swing peaks near 1000 deg/s, not in the drive's 0.2 s alone)
    t_back = t_crouch - 0.12 * speed
    phi_pre = Track(kt[:-1] + [t_back, t_crouch, t_to, t_to + 0.1, t_to + 0.25, t_to + 0.42],
                    ka[:-1] + [phi_back, 0.5 * phi_back, 0.8 * phi_drive, phi_drive, phi_air,
                               phi_land])  # fmt: skip
    elbow_pre = Track(kt + [t_to], ke + [elbow0])

    def upper(pelvis, lean, phi, elbow):
        tr = upright_trunk(pelvis, body, lean)
        th2 = 1.1 * lean
        el_r, wr_r = swing_arm(tr["right_shoulder"], th2, body, phi + arm_asym, elbow, arm_lat, 1.0)
        el_l, wr_l = swing_arm(tr["left_shoulder"], th2, body, phi - arm_asym, elbow, arm_lat, -1.0)
        return {**tr, "pelvis": pelvis, "right_elbow": el_r, "right_wrist": wr_r,
                "left_elbow": el_l, "left_wrist": wr_l}  # fmt: skip

    def stance_pre(t):
        k, sg, d = kap_tr(t), sig_tr(t), np.maximum(rise(t), 0.0)
        ank_r, knee_r, hip_r = foot_chain(toe_r, body, d, sg, k, dz, 1.0)
        ank_l, knee_l, hip_l = foot_chain(toe_l, body, d, sg, k, dz, -1.0)
        pelvis = hip_r - np.array([0.0, 0.0, hw])
        parts = upper(pelvis, lean_pre(t), phi_pre(t), elbow_pre(t))
        parts.update({"right_hip": hip_r, "right_knee": knee_r, "right_ankle": ank_r,
                      "left_hip": hip_l, "left_knee": knee_l, "left_ankle": ank_l})  # fmt: skip
        return assemble(parts)

    # ---------------------------------------------------------------- toe-off state
    eps = 1e-3
    j_to, j_before = stance_pre(np.array([t_to, t_to - eps]))
    com0 = center_of_mass(j_to)
    vcom0 = (com0 - center_of_mass(j_before)) / eps

    def leg_angles(j, hip, knee, ankle, side):
        th = np.mod(sagittal_angle(j[knee] - j[hip]), 360.0)
        ts = np.mod(sagittal_angle(j[ankle] - j[knee]), 360.0)
        return (
            th,
            ts,
            lateral_angle(j[knee] - j[hip], side),
            lateral_angle(j[ankle] - j[knee], side),
        )

    # flight time estimate from the centre of mass (landing ~15 cm lower), for the leg keys
    t_fl = (vcom0[1] + np.sqrt(max(vcom0[1], 0.0) ** 2 + 2 * G * 0.15)) / G
    a_now = leg_angles(j_to, 1, 2, 3, 1.0)
    a_bef = leg_angles(j_before, 1, 2, 3, 1.0)
    rate_thigh = float(np.clip((a_now[0] - a_bef[0]) / eps, -400, 400))
    rate_shank = float(np.clip((a_now[1] - a_bef[1]) / eps, -400, 400))
    psi_tuck = u(70, 90) * (1 - 0.65 * m_tuck)
    th_tuck = 180 - psi_tuck
    sh_tuck = th_tuck + u(95, 115) * (1 - 0.3 * m_tuck)
    psi_reach = u(60, 78) * (1 - 0.6 * m_tuck)
    th_reach = 180 - psi_reach
    k_contact = u(35, 50) * (1 - 0.75 * m_stiff)
    sh_reach = th_reach + k_contact
    # knees bend first (heels come up behind), then the thighs swing forward and the shanks
    # reach out for the landing
    ft = [
        t_to,
        t_to + max(0.3 * t_fl, 0.06),
        t_to + max(0.55 * t_fl, 0.12),
        t_to + max(0.85 * t_fl, 0.2),
    ]
    th_mid = 0.5 * (a_now[0] + th_tuck)
    thigh_tr = Track(ft, [a_now[0], th_mid, th_tuck, th_reach], [rate_thigh, np.nan, np.nan, 0.0])
    shank_tr = Track(ft, [a_now[1], th_mid + u(100, 120), sh_tuck, sh_reach],
                     [rate_shank, np.nan, np.nan, 0.0])  # fmt: skip
    lam_thigh, lam_shank = a_now[2], a_now[3]

    def flight_rel(t):
        """Flight posture with the pelvis at the origin."""
        zero = np.zeros((len(t), 3))
        parts = upper(zero, lean_pre(t), phi_pre(t), elbow_pre(t))
        hip_r, hip_l = hips(zero, body)
        th, sh = thigh_tr(t), shank_tr(t)
        knee_r, ank_r = leg_fk(hip_r, body, th, lam_thigh, sh, lam_shank, 1.0)
        knee_l, ank_l = leg_fk(hip_l, body, th, lam_thigh, sh, lam_shank, -1.0)
        parts.update({"right_hip": hip_r, "right_knee": knee_r, "right_ankle": ank_r,
                      "left_hip": hip_l, "left_knee": knee_l, "left_ankle": ank_l})  # fmt: skip
        return assemble(parts)

    def com_path(t):
        dt = (np.asarray(t) - t_to)[:, None]
        return com0 + vcom0 * dt + 0.5 * np.array([0.0, -G, 0.0]) * dt * dt

    def flight(t):
        rel = flight_rel(t)
        return rel + (com_path(t) - center_of_mass(rel))[:, None, :]

    # touch-down: first time after take-off that the lower ankle is back at standing height
    grid = t_to + np.arange(0.06, 1.5, 0.004)
    low = flight(grid)[:, [3, 6], 1].min(axis=1) - ah
    below = np.nonzero(low <= 0)[0]
    if len(below) == 0:
        raise RuntimeError("standing long jump: the flight never came down (simulator bug)")
    lo, hi = grid[max(below[0] - 1, 0)], grid[below[0]]
    for _ in range(2):  # two finer grids over the bracket (4 ms -> 0.1 ms -> 2.5 us)
        fine = np.linspace(lo, hi, 41)
        k = int(np.argmax(flight(fine)[:, [3, 6], 1].min(axis=1) - ah <= 0))
        lo, hi = fine[max(k - 1, 0)], fine[k]
    t_land = hi
    j_land, j_land_b = flight(np.array([t_land, t_land - eps]))
    p_land = j_land[0]
    v_land = (j_land[0] - j_land_b[0]) / eps
    ank_land_r = j_land[3].copy()
    ank_land_l = j_land[6].copy()
    ank_land_r[1] = ank_land_l[1] = ah
    mid_land = 0.5 * (ank_land_r + ank_land_l)
    dz_land = max(abs(ank_land_r[2]) - hw, 0.0)

    # ---------------------------------------------------------------- landing
    # the squat: knee flexion as the style and faults say, but never above the touch-down
    # height (the pelvis keeps going down after touch-down instead of dipping and rising)
    k_squat = (u(100, 125) + 10 * (fl - 0.5)) * (1 - 0.6 * m_stiff)
    dx_squat = u(-0.08, 0.02) - 0.25 * m_fall
    p_squat = pelvis_over_ankles(body, mid_land, k_squat, dx_squat, dz_land)
    y_max = p_land[1] - 0.04
    if p_squat[1] > y_max:
        ks = np.linspace(k_squat, 140.0, 200)
        ys = np.array([pelvis_over_ankles(body, mid_land, k, dx_squat, dz_land)[1] for k in ks])
        p_squat = pelvis_over_ankles(body, mid_land, ks[min(np.searchsorted(-ys, -y_max), 199)],
                                     dx_squat, dz_land)  # fmt: skip
    # absorption time: fast enough that the pelvis does not overshoot the squat height
    dy = p_land[1] - p_squat[1]
    t_abs = float(np.clip(2.4 * dy / max(-v_land[1], 0.3), 0.12, 0.5))
    t_sq = t_land + t_abs
    t_stand = t_sq + u(0.7, 1.0) * speed + 0.5 * m_fall
    t_end = t_stand + u(0.3, 0.8)
    t_end = max(t_end, 3.0)
    p_stand = pelvis_over_ankles(body, mid_land, u(8, 14), u(-0.03, 0.02), dz_land)
    pelvis_post = Piecewise([hermite_path(t_land, p_land, v_land, t_sq, p_squat),
                             Track([t_sq, t_stand], [p_squat, p_stand])], [t_sq])  # fmt: skip
    lean_sq = lerp(u(35, 55), -12, m_fall) * (1 - 0.4 * m_stiff)
    lean_post = Track(
        [t_land, t_sq, t_stand], [float(lean_pre(np.array([t_land]))[0]), lean_sq, u(0, 8)]
    )
    phi_post = Track(
        [t_land, t_sq, t_stand],
        [float(phi_pre(np.array([t_land]))[0]), lerp(u(50, 90), 125, m_fall), u(0, 15)],
    )
    lean_all = Piecewise([lean_pre, lean_post], [t_land])
    phi_all = Piecewise([phi_pre, phi_post], [t_land])

    def landing(t):
        pelvis = pelvis_post(t)
        parts = upper(pelvis, lean_all(t), phi_all(t), elbow_pre(t))
        n = len(t)
        parts.update(standing_legs(pelvis, np.broadcast_to(ank_land_r, (n, 3)),
                                   np.broadcast_to(ank_land_l, (n, 3)), body))  # fmt: skip
        return assemble(parts)

    def pose(t):
        t = np.asarray(t, dtype=np.float64)
        out = np.empty((len(t), 17, 3))
        for mask, fn in ((t < t_to, stance_pre), ((t >= t_to) & (t < t_land), flight),
                         (t >= t_land, landing)):  # fmt: skip
            if mask.any():
                out[mask] = fn(t[mask])
        return out

    heel_land = min(ank_land_r[0], ank_land_l[0]) - 0.3 * body.foot
    stages = np.array([[0.0, t_crouch], [t_crouch, t_to], [t_to, t_land], [t_land, t_end]])
    info = {
        "jump_distance_m": round(float(heel_land - mid_toe[0]), 3),
        "take_off_angle_deg": round(float(np.degrees(np.arctan2(vcom0[1], vcom0[0]))), 1),
        "take_off_speed_mps": round(float(np.hypot(vcom0[0], vcom0[1])), 3),
        "flight_time_s": round(float(t_land - t_to), 3),
        "flight_com": {"t0": t_to, "c0": com0.tolist(), "v0": vcom0.tolist()},
    }
    return Motion(t_end, stages, pose, info)
