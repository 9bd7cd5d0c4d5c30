"""Preprocessing steps on crafted input with known answers, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from engine.preprocess import (
    Augmenter,
    PrepConfig,
    PreprocessError,
    fill_missing,
    map_frames,
    normalize,
    prepare,
    repair,
    resample_uniform,
    rotate_y,
    sliding_windows,
    time_warp,
    to_window,
)
from engine.preprocess.align import align_streams, longest_segment, split_at_gaps
from engine.preprocess.augment import (
    BONE_GROUPS,
    max_amplitude,
    mirror,
    scale_bones,
    warp_positions,
)
from engine.skeleton import EDGES, JOINT_INDEX, NUM_JOINTS, bone_lengths, trunk_length
from tests.preprocess_helpers import REST, confidence_ones, moving_skeleton


# ----------------------------------------------------------------------------- normalization
def test_normalize_makes_trunk_one_and_centre_zero():
    j = moving_skeleton(40) * 1.7  # a bigger person
    norm, info = normalize(j)
    np.testing.assert_allclose(trunk_length(norm), 1.0, atol=1e-5)
    np.testing.assert_allclose(norm.mean(axis=1), 0.0, atol=1e-6)
    np.testing.assert_allclose(info.trunk, trunk_length(j))
    assert not info.degenerate.any()


def test_normalize_is_invariant_to_position_and_size():
    j = moving_skeleton(30)
    shift = np.stack([np.linspace(-2, 3, 30), np.zeros(30), np.linspace(0, -1, 30)], 1)
    a, _ = normalize(j)
    b, _ = normalize(j * 0.8 + shift[:, None, :] + np.array([5.0, 0.3, -2.0]))
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_degenerate_frame_is_filled_not_divided():
    j = moving_skeleton(30)
    j[12] = 0.0  # KIMORE-like frame that collapses to a point
    norm, info = normalize(j)
    assert info.degenerate[12] and info.degenerate.sum() == 1
    assert np.isfinite(norm).all()
    ref, _ = normalize(moving_skeleton(30))
    np.testing.assert_allclose(norm[12], ref[12], atol=0.02)  # smooth motion: spline recovers it


def test_trunk_outlier_frame_is_degenerate():
    j = moving_skeleton(30)
    j[5, JOINT_INDEX["left_shoulder"]] += np.array([3.0, 0.0, 0.0])  # glitch: trunk x3.7
    _, info = normalize(j)
    assert info.degenerate[5] and info.degenerate.sum() == 1


def test_no_usable_frame_is_an_error():
    with pytest.raises(PreprocessError, match="no usable frame"):
        normalize(np.zeros((10, NUM_JOINTS, 3)))


def test_root_trajectory_keeps_global_motion():
    j = moving_skeleton(31)  # walks 0.3 m/s for 1 s
    _, info = normalize(j)
    root = info.root_trajectory()
    assert root[-1, 0] == pytest.approx(0.3 / info.scale, rel=1e-3)


# ----------------------------------------------------------------------------- missing joints
def test_spline_fill_recovers_sinusoid():
    t_len = 120
    j = moving_skeleton(t_len)
    k = JOINT_INDEX["left_wrist"]
    truth = j.copy()
    j[:, k, 2] = -3 + 0.3 * np.sin(2 * np.pi * np.arange(t_len) / 60)
    truth[:, k, 2] = j[:, k, 2]
    conf = confidence_ones(t_len)
    conf[40:52, k] = 0.2  # 12 frames lost
    j[40:52, k] = 99.0  # garbage where confidence is low
    filled, rep = fill_missing(j, conf)
    err = np.abs(filled[40:52, k] - truth[40:52, k]).max()
    linear = np.interp(np.arange(40, 52), [39, 52], truth[[39, 52], k, 2])
    assert err < 5e-3 < np.abs(linear - truth[40:52, k, 2]).max()  # spline, not a straight line
    np.testing.assert_array_equal(filled[~rep.missing], j[~rep.missing])
    assert rep.filled_per_joint == {"left_wrist": 12}


def test_fill_uses_timestamps_for_uneven_frames():
    t = np.cumsum(np.r_[0, np.where(np.arange(59) % 3 == 0, 0.05, 0.025)])
    j = np.repeat(REST[None], 60, axis=0)
    j[:, :, 0] += (2.0 * t)[:, None]  # linear in time, not in frame index
    j[20:24, 3] = np.nan
    filled, _ = fill_missing(j, timestamps=t)
    np.testing.assert_allclose(filled[20:24, 3, 0], REST[3, 0] + 2.0 * t[20:24], atol=1e-9)


def test_fill_holds_ends_and_reports_long_gaps():
    j = moving_skeleton(80)
    k = JOINT_INDEX["right_ankle"]
    j[:5, k] = np.nan
    j[30:70, k] = np.nan
    filled, rep = fill_missing(j, max_gap=20)
    np.testing.assert_allclose(filled[:5, k], np.repeat(j[5:6, k], 5, 0))
    assert [(g.joint, g.start, g.stop) for g in rep.long_gaps] == [("right_ankle", 30, 70)]


def test_joint_missing_everywhere_names_the_joint():
    j = moving_skeleton(20)
    j[:, JOINT_INDEX["left_knee"]] = np.nan
    with pytest.raises(PreprocessError, match="left_knee"):
        fill_missing(j)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((0, 17, 3)), "empty"),
        (np.zeros((10, 25, 3)), "17 joints"),
        (np.zeros((10, 17)), "shape"),
        (np.full((5, 17, 3), np.inf), "inf"),
    ],
)
def test_bad_joint_arrays_give_clear_errors(bad, match):
    with pytest.raises(PreprocessError, match=match):
        fill_missing(bad)
    with pytest.raises(PreprocessError, match=match):
        prepare(bad)


# ----------------------------------------------------------------------------- alignment
def test_resample_keeps_straight_line_and_length_formula():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.028, 0.038, 100))  # jittered 30 Hz
    t[50:] += 0.2  # and a few dropped frames
    v = np.stack([3.0 * t - 1.0, -0.5 * t], 1)
    grid, out = resample_uniform(t, v, fps=30)
    assert len(grid) == int(np.floor((t[-1] - t[0]) * 30))
    np.testing.assert_allclose(np.diff(grid), 1 / 30)
    np.testing.assert_allclose(out, np.stack([3.0 * grid - 1.0, -0.5 * grid], 1), atol=1e-9)


def test_resample_exact_duration_gives_floor_frames():
    t = np.arange(31) / 30.0  # exactly 1 s
    grid, _ = resample_uniform(t, np.zeros((31, 2)))
    assert len(grid) == 30


def test_timestamps_going_backwards_is_an_error():
    t = np.array([0.0, 0.033, 0.066, 0.05, 0.1])
    with pytest.raises(PreprocessError, match="backwards at frame 3"):
        resample_uniform(t, np.zeros((5, 3)))
    with pytest.raises(PreprocessError, match="backwards"):
        prepare(moving_skeleton(5), timestamps=t)


def test_align_streams_nan_stays_local_and_coverage():
    t_d = np.arange(61) / 30.0
    t_k = np.arange(0.5, 3.0, 1 / 25)  # a 25 Hz stream that starts late
    kp = np.stack([100 + 10 * t_k, 50 + 0 * t_k], 1)
    kp[10] = np.nan
    al = align_streams((t_d, np.zeros((61, 2))), {"kp": (t_k, kp)})
    out = al.streams["kp"]
    nan_rows = np.nonzero(np.isnan(out[:, 0]))[0]
    assert 0 < len(nan_rows) <= 3  # grid points within 40 ms of the lost sample
    ok = ~np.isnan(out[:, 0]) & (al.times >= t_k[0])
    np.testing.assert_allclose(out[ok, 0], 100 + 10 * al.times[ok], atol=1e-9)
    assert al.coverage["kp"] == pytest.approx((al.times >= 0.5).mean())


def test_split_at_gaps_and_longest_segment():
    t = np.r_[np.arange(10) / 30, 10 + np.arange(40) / 30, 20 + np.arange(5) / 30]
    assert split_at_gaps(t, 0.5) == [(0, 10), (10, 50), (50, 55)]
    assert longest_segment(t, 0.5) == (10, 50)


# ----------------------------------------------------------------------------- windows
def test_to_window_resample_keeps_endpoints_and_straight_lines():
    x = np.linspace(0, 1, 47)[:, None, None] * np.ones((1, 17, 3))
    w = to_window(x, 90)
    assert w.shape == (90, 17, 3)
    np.testing.assert_allclose(w[:, 0, 0], np.linspace(0, 1, 90), atol=1e-12)


def test_to_window_center_and_sliding():
    x = np.arange(100, dtype=float)[:, None]
    np.testing.assert_array_equal(to_window(x, 90, "center")[:, 0], np.arange(5, 95))
    short = to_window(x[:10], 90, "center")[:, 0]
    assert short[9] == 9 and (short[10:] == 9).all()
    wins = sliding_windows(x, 40, 30)
    assert wins.shape == (3, 40, 1) and wins[-1, -1, 0] == 99
    with pytest.raises(PreprocessError, match="unknown window rule"):
        to_window(x, 90, "zoom")


def test_map_frames_tracks_resample():
    assert map_frames([0, 46], 47, 90).tolist() == [0.0, 89.0]


# ----------------------------------------------------------------------------- augmentation
def test_rotation_keeps_bone_lengths_and_vertical():
    norm, _ = normalize(moving_skeleton(20))
    rot = rotate_y(norm, np.deg2rad(25))
    np.testing.assert_allclose(bone_lengths(rot), bone_lengths(norm), atol=1e-6)
    np.testing.assert_allclose(rot[..., 1], norm[..., 1], atol=1e-7)
    assert not np.allclose(rot, norm)


def test_time_warp_keeps_endpoints_and_is_monotonic():
    x = np.linspace(0, 1, 90)[:, None]
    for f in (0.5, 1.0, 1.5):
        a = max_amplitude(90, f)
        y = time_warp(x, a, f)[:, 0]
        assert y[0] == pytest.approx(0) and y[-1] == pytest.approx(1)
        assert (np.diff(y) > 0).all()
        assert not np.allclose(y, x[:, 0])
        assert (np.diff(warp_positions(90, -a, f)) > 0).all()


def test_augmenter_is_seeded_and_moves_bounds():
    norm, _ = normalize(moving_skeleton(90))
    bounds = np.array([[0, 20], [20, 45], [45, 70], [70, 89]], float)
    r1 = Augmenter(seed=3, p=1.0).augment(norm, bounds)
    r2 = Augmenter(seed=3, p=1.0).augment(norm, bounds)
    np.testing.assert_array_equal(r1.joints, r2.joints)
    assert set(r1.params) == {"warp", "jitter", "rotate_deg"}
    assert abs(r1.params["rotate_deg"]) <= 30
    assert r1.stage_bounds[0, 0] == 0 and r1.stage_bounds[-1, -1] == pytest.approx(89)
    assert not np.allclose(r1.stage_bounds, bounds)
    assert r1.joints.dtype == np.float32


def test_augmenter_probability_and_jitter_sigma():
    x = np.zeros((90, 17, 3))
    aug = Augmenter(seed=0, p=0.5)
    applied = [set(aug.augment(x).params) for _ in range(400)]
    for name in ("warp", "jitter", "rotate_deg"):
        frac = np.mean([name in a for a in applied])
        assert 0.4 < frac < 0.6, (name, frac)
    noisy = Augmenter(seed=1, p_warp=0, p_jitter=1, p_rotate=0)(x)
    assert noisy.std() == pytest.approx(0.02, rel=0.05)
    assert np.array_equal(Augmenter(seed=1, p=0)(x), x.astype(np.float32))


def test_mirror_swaps_sides_and_keeps_bones():
    x = moving_skeleton(30)
    m = mirror(x)
    lw, rw = JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]
    np.testing.assert_allclose(m[:, rw], x[:, lw] * [-1, 1, 1])
    # left and right bones trade places: the same lengths, in another order
    np.testing.assert_allclose(np.sort(bone_lengths(m), -1), np.sort(bone_lengths(x), -1), atol=1e-9)
    assert not np.allclose(m, x)
    np.testing.assert_allclose(mirror(m), x)


def test_augmenter_mirror_only_when_asked():
    norm, _ = normalize(moving_skeleton(90))
    default = Augmenter(seed=5, p=1.0)
    assert not any("mirror" in default.augment(norm).params for _ in range(50))
    aug = Augmenter(seed=0, p=0.0, p_mirror=0.5)
    flags = ["mirror" in aug.augment(norm).params for _ in range(400)]
    assert 0.4 < np.mean(flags) < 0.6
    r = Augmenter(seed=0, p=0.0, p_mirror=1.0).augment(norm)
    np.testing.assert_allclose(r.joints, mirror(norm).astype(np.float32), atol=1e-6)


def test_scale_bones_scales_only_the_named_bones_and_keeps_angles_and_centre():
    norm, _ = normalize(moving_skeleton(40))
    knee, ankle = JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]
    out = scale_bones(norm, {knee: 1.1})  # the left thigh (hip -> knee)
    ratio = bone_lengths(out) / bone_lengths(norm)
    thigh = [i for i, (_, c) in enumerate(EDGES) if c == knee]
    others = [i for i in range(len(EDGES)) if i not in thigh]
    np.testing.assert_allclose(ratio[:, thigh], 1.1)
    np.testing.assert_allclose(ratio[:, others], 1.0)
    # the shin below it is moved, not turned: its direction is unchanged
    np.testing.assert_allclose(out[:, ankle] - out[:, knee], norm[:, ankle] - norm[:, knee],
                               atol=1e-6)
    np.testing.assert_allclose(out.mean(axis=1), norm.mean(axis=1), atol=1e-6)
    np.testing.assert_allclose(trunk_length(out), trunk_length(norm))


def test_augmenter_bone_scale_changes_limbs_alike_left_and_right():
    norm, _ = normalize(moving_skeleton(60))
    # off (the default) draws nothing: the random stream, and so every output, is as before
    np.testing.assert_array_equal(Augmenter(seed=4, p=1.0)(norm),
                                  Augmenter(seed=4, p=1.0, bone_sigma=0.0)(norm))
    r = Augmenter(seed=2, p=0.0, p_bones=1.0, bone_sigma=0.05).augment(norm)
    assert set(r.params) == {"bones"} and set(r.params["bones"]) == set(BONE_GROUPS)
    ratio = bone_lengths(r.joints.astype(np.float64)).mean(axis=0) / bone_lengths(norm).mean(axis=0)
    for group, children in BONE_GROUPS.items():
        idx = [i for i, (_, c) in enumerate(EDGES) if c in children]
        np.testing.assert_allclose(ratio[idx], r.params["bones"][group], rtol=1e-5)
        assert abs(np.log(r.params["bones"][group])) <= 0.1 + 1e-9  # clipped to two SD
    assert not np.allclose(ratio, 1.0)
    draws = [Augmenter(seed=s, p=0.0, p_bones=1.0, bone_sigma=0.05).augment(norm).params["bones"]
             for s in range(200)]
    logs = np.log([[d[g] for g in BONE_GROUPS] for d in draws])
    assert 0.035 < logs.std() < 0.05  # N(0, 0.05) clipped at two SD has SD 0.044


def test_bone_scale_config_is_checked():
    from engine.config import ConfigError, from_dict

    assert from_dict({"data": {"augment": {"bone_scale": 0.05}}}).data.augment.bone_scale == 0.05
    with pytest.raises(ConfigError, match="data.augment.bone_scale"):
        from_dict({"data": {"augment": {"bone_scale": -0.1}}})


# ----------------------------------------------------------------------------- pipeline
def test_prepare_uneven_attempt_to_window():
    rng = np.random.default_rng(0)
    j = moving_skeleton(100)
    t = np.cumsum(rng.uniform(0.03, 0.037, 100))
    conf = confidence_ones(100)
    conf[30:35, JOINT_INDEX["head"]] = 0
    out = prepare(j, conf, t, stage_bounds=[[0, 25], [25, 50], [50, 75], [75, 99]])
    assert out.joints.shape == (90, 17, 3) and out.joints.dtype == np.float32
    assert out.root.shape == (90, 3)
    np.testing.assert_allclose(trunk_length(out.joints), 1.0, atol=0.01)
    assert out.num_frames == int(np.floor((t[-1] - t[0]) * 30))
    assert out.stage_bounds[0, 0] == 0 and out.stage_bounds[-1, -1] == pytest.approx(89)
    assert out.scale == pytest.approx(float(np.median(trunk_length(j))), rel=1e-3)


def test_prepare_cuts_stream_stop_and_keeps_variable_length():
    j = moving_skeleton(80)
    t = np.r_[np.arange(10) / 30, 50 + np.arange(70) / 30]
    out = prepare(j, timestamps=t, config=PrepConfig(window=None))
    assert out.report["cut_to_frames"] == (10, 80)
    assert out.num_frames == len(out.joints) == 69


def test_prepare_without_timestamps_takes_frames_as_uniform():
    out = prepare(moving_skeleton(45), config=PrepConfig(window=None))
    assert out.joints.shape == (45, 17, 3) and out.duration == pytest.approx(1.5)


# ----------------------------------------------------------------------------- real data
def test_all_of_kimore_prepares(kimore_path):
    from engine.datasets import load_kimore
    from engine.preprocess import prepare_many
    from engine.splits import check_disjoint, subject_kfold

    samples = load_kimore(kimore_path)
    out = prepare_many(samples, progress=False)
    assert all(o.joints.shape == (90, 17, 3) and np.isfinite(o.joints).all() for o in out)
    # the KIMORE sequence with a 214 s pause (subject P_ID3) is cut at the pause
    cut = [s.subject for s, o in zip(samples, out) if "cut_to_frames" in o.report]
    assert "P_ID3" in cut
    # its frame 34 collapses to a point; the confidence already marks its trunk missing, and
    # without confidence (a source that has none) the trunk check catches it
    p_id3 = next(s for s in samples if s.subject == "P_ID3" and s.timestamps[-1] > 200)
    assert trunk_length(p_id3.joints[34]) < 0.01
    _, bad, trunk, _ = repair(p_id3.joints[:35])
    assert bad.tolist() == [False] * 34 + [True] and trunk[34] > 0.3
    norm, _ = normalize(p_id3.joints[:35])
    assert np.isfinite(norm).all()
    subjects = [s.subject for s in samples]
    for tr, te in subject_kfold(subjects, 5, [s.group for s in samples]):
        check_disjoint(subjects, tr, te)
