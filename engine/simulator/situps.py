"""Sit-ups as in the one-minute test: a continuous set of repetitions, 3-10 s of it.

The student lies on the back (local x from the pelvis towards the feet), knees bent about
90 degrees with the feet planted, fingers clasped behind the head. Each repetition is
lying -> curl-up -> top (elbows at the knees) -> return, driven by one curl variable
``c(t)`` (0 = flat, 1 = full sit-up) through minimum-jerk keyframes; the thoracic segment
rises ahead of the lumbar one (``lumbar = -90 + 0.85 A c^1.6``, ``thoracic = -90 + A c``,
degrees from vertical, A = 118-130: the back rounds over the knees at the top), the chin tucks as the trunk curls, the hands are placed behind the head by
arm IK (elbows out on the mat, forward at the top), knees by leg IK with the feet planted.

Cadence: 1.1-2.3 s per repetition (about 26-55 per minute), faster for more skilled
students, with ±8 % jitter between repetitions.

Stage boundaries
    The four stages are those of the *first* repetition (the sequence starts lying): lying
    [0, first curl start), curl-up, top, return [.., back on the mat). All repetitions'
    boundaries are in ``info["rep_times"]`` (seconds) and the recording's metadata.

Faults (magnitude ``m``; each repetition varies it by ±15 %)
    shoulders_not_touching: at the bottom the trunk stays up by 18 % m of the curl;
    hips_lifting: the pelvis rises up to 12 cm m during the curl-up;
    jerking_momentum: curl-up 45 % m faster, the head whips forward, the trunk overshoots;
    hands_leaving_head: the hands leave the head and reach towards the knees;
    incomplete_curl: the curl stops 35 % m short (elbows do not reach the knees);
    dropping_back: the return is 55 % m faster and the head drops back at the end.
"""

from __future__ import annotations

import numpy as np

from engine.simulator.body import Student
from engine.simulator.kinematics import Track, assemble, trunk_chain, two_bone_ik, unit
from engine.simulator.motion import Motion, fault, leg_distance, lerp

MOVEMENT = "sit_ups"
MAX_DURATION = 10.0


def build(student: Student, faults: dict[str, float], rng: np.random.Generator) -> Motion:
    body = student.body
    fl = body.flexibility
    u = rng.uniform
    m_sh, m_hip = fault(faults, "shoulders_not_touching"), fault(faults, "hips_lifting")
    m_jerk, m_hands = fault(faults, "jerking_momentum"), fault(faults, "hands_leaving_head")
    m_inc, m_drop = fault(faults, "incomplete_curl"), fault(faults, "dropping_back")

    # ---------------------------------------------------------------- set-up
    y_p = body.back_depth
    hw, ah = body.hip_width, body.ankle_height
    knee_flex = u(80, 100)
    d = float(leg_distance(body, knee_flex))
    dz = u(0.0, 0.05)
    x_a = np.sqrt(max(d * d - (y_p - ah) ** 2 - dz * dz, 0.05))
    ank_r = np.array([x_a, ah, hw + dz])
    ank_l = np.array([x_a, ah, -(hw + dz)])
    amp = u(118, 130) + 8 * (fl - 0.5)  # curl amplitude, degrees of the thoracic segment
    tempo = lerp(1.25, 0.8, student.skill) * u(0.9, 1.1)  # duration scale (1 ~ 1.6 s/rep)
    hand_z = u(0.05, 0.08)

    def jit(x, rel=0.08):
        return x * u(1 - rel, 1 + rel)

    def mj(m):  # per-repetition fault magnitude
        return float(np.clip(m * u(0.85, 1.15), 0, 1)) if m > 0 else 0.0

    # ---------------------------------------------------------------- repetitions
    n_reps = int(rng.integers(3, 7))
    lead = u(0.3, 0.8)
    while True:
        t = lead
        c0 = 0.18 * mj(m_sh)
        kt, kc = [0.0], [c0]
        lift_t, lift_v = [0.0], [0.0]
        whip_t, whip_v = [0.0], [0.0]
        hand_t, hand_v = [0.0], [0.0]
        rep_times = []
        for i in range(n_reps):
            c_low = 0.18 * mj(m_sh)
            c_high = 1 - 0.35 * mj(m_inc)
            t_curl = t if i == 0 else t + jit(0.12 * tempo, 0.5)
            t_top = t_curl + jit(0.6 * tempo) * (1 - 0.45 * mj(m_jerk))
            t_ret = t_top + jit(0.12 * tempo, 0.5)
            t_end = t_ret + jit(0.62 * tempo) * (1 - 0.55 * mj(m_drop))
            over = 0.08 * mj(m_jerk)
            kt += [t_curl, 0.5 * (t_curl + t_top), t_top, t_ret, t_end]
            kc += [kc[-1], 0.5 * (kc[-1] + c_high), c_high + over, c_high, c_low]
            mh = mj(m_hip)
            lift_t += [t_curl, t_curl + 0.6 * (t_top - t_curl), t_ret]
            lift_v += [0.0, 0.12 * mh, 0.0]
            mw = mj(m_jerk)
            whip_t += [t_curl, t_curl + 0.3 * (t_top - t_curl), t_top]
            whip_v += [0.0, 30 * mw, 0.0]
            mhd = mj(m_hands)
            hand_t += [t_curl, t_curl + 0.5 * (t_top - t_curl), t_ret, t_end]
            hand_v += [0.15 * mhd, mhd, mhd, 0.15 * mhd]
            rep_times.append([t_curl, t_top, t_ret, t_end])
            t = t_end
        duration = max(t + u(0.2, 0.6), 3.0)
        if duration <= MAX_DURATION or n_reps == 1:
            break
        n_reps -= 1
    curl = Track(_dedupe(kt), _dedupe_vals(kt, kc))
    lift = Track(_dedupe(lift_t), _dedupe_vals(lift_t, lift_v))
    whip = Track(_dedupe(whip_t), _dedupe_vals(whip_t, whip_v))
    hands_off = Track(_dedupe(hand_t), _dedupe_vals(hand_t, hand_v))
    drop_head = mj(m_drop)

    def pose(times):
        times = np.asarray(times, dtype=np.float64)
        n = len(times)
        c = np.clip(curl(times), 0.0, 1.2)
        pelvis = np.zeros((n, 3))
        pelvis[:, 1] = y_p + np.maximum(lift(times), 0.0)
        th2 = -90 + amp * c
        th1 = -90 + 0.85 * amp * np.clip(c, 0, None) ** 1.6
        neck_flex = 10 + 25 * np.clip(c, 0, 1) + whip(times) - 8 * drop_head * (c < 0.1)
        tr = trunk_chain(pelvis, body, th1, th2, th2 + neck_flex, th2 + neck_flex + 5)
        # hands behind the head, or reaching for the knees when they leave it
        a_h = unit(tr["head"] - tr["neck"])
        front_h = np.cross(a_h, np.array([0.0, 0.0, 1.0]))
        off = hands_off(times)[:, None]
        parts = {**tr, "pelvis": pelvis}
        hip_r = pelvis + np.array([0.0, 0.0, hw])
        hip_l = pelvis - np.array([0.0, 0.0, hw])
        knee_r, ank_rr = two_bone_ik(hip_r, np.broadcast_to(ank_r, (n, 3)), body.thigh,
                                     body.shank, np.array([0.2, 1.0, 0.15]))  # fmt: skip
        knee_l, ank_ll = two_bone_ik(hip_l, np.broadcast_to(ank_l, (n, 3)), body.thigh,
                                     body.shank, np.array([0.2, 1.0, -0.15]))  # fmt: skip
        for side, sh_key, el_key, wr_key, knee in ((1.0, "right_shoulder", "right_elbow", "right_wrist", knee_r),
                                                   (-1.0, "left_shoulder", "left_elbow", "left_wrist", knee_l)):  # fmt: skip
            behind = (
                tr["head"] - 0.07 * front_h - 0.02 * a_h + side * hand_z * np.array([0, 0, 1.0])
            )
            reach = knee + np.array([0.0, 0.05, 0.0])
            target = behind + off * (reach - behind)
            # elbows out on the mat when lying, pointing at the knees at the top
            ce = np.clip(c, 0, 1)[:, None] ** 2
            to_knee = unit(knee - tr[sh_key])
            pole = side * (1 - 0.8 * ce) * tr["rr"] + 0.3 * (1 - ce) * tr["n"] + 1.5 * ce * to_knee
            el, wr = two_bone_ik(tr[sh_key], target, body.upper_arm, body.forearm, pole)
            parts[el_key], parts[wr_key] = el, wr
        parts.update({"right_hip": hip_r, "right_knee": knee_r, "right_ankle": ank_rr,
                      "left_hip": hip_l, "left_knee": knee_l, "left_ankle": ank_ll})  # fmt: skip
        return assemble(parts)

    first = rep_times[0]
    stages = np.array([[0.0, first[0]], [first[0], first[1]], [first[1], first[2]],
                       [first[2], first[3]]])  # fmt: skip
    info = {
        "repetitions": n_reps,
        "rep_times": [[round(x, 4) for x in r] for r in rep_times],
        "cadence_per_min": round(60.0 * n_reps / (rep_times[-1][3] - rep_times[0][0]), 1),
    }
    return Motion(duration, stages, pose, info)


def _dedupe(times: list[float]) -> list[float]:
    """Keyframe times made strictly increasing (a repeated time keeps its last value)."""
    out: list[float] = []
    for t in times:
        if out and t <= out[-1] + 1e-6:
            out[-1] = t
        else:
            out.append(t)
    return out


def _dedupe_vals(times: list[float], vals: list[float]) -> list[float]:
    out_t: list[float] = []
    out_v: list[float] = []
    for t, v in zip(times, vals):
        if out_t and t <= out_t[-1] + 1e-6:
            out_t[-1], out_v[-1] = t, v
        else:
            out_t.append(t)
            out_v.append(v)
    return out_v
