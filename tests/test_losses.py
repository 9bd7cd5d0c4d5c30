"""Each loss term on hand-computed cases, and the section-5 schedules at given epochs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import TrainConfig
from engine.model.losses import (
    contrastive_loss,
    frame_scores,
    local_loss,
    mse_loss,
    rank_loss,
    smooth_loss,
)
from engine.schedules import (
    EasyBuffer,
    curriculum_probability,
    difficulty,
    hard_mask,
    intensity_levels,
    lambda_local,
    lambda_rank,
    loss_weights,
    mining_rho,
    motion_intensity,
)

T = torch.tensor


def test_paper_rank_example():
    """Section 5: predictions [85, 86] and [86, 85] against truth [80, 90]."""
    y = T([80.0, 90.0])
    assert float(rank_loss(T([85.0, 86.0]), y)) == pytest.approx(0.0)  # ordered, margin 1 met
    assert float(rank_loss(T([86.0, 85.0]), y)) == pytest.approx(1.0)  # (1 + 1) / (2 * 1)
    assert float(rank_loss(T([85.0, 85.5]), y)) == pytest.approx(0.25)  # margin short by 0.5
    # MSE cannot tell the reversed ranking from a correct one with the same errors
    assert float(mse_loss(T([85.0, 85.0]), y)) == float(mse_loss(T([85.0, 85.0]), y.flip(0)))


def test_rank_loss_only_within_groups():
    y, p = T([80.0, 90.0]), T([86.0, 85.0])
    assert float(rank_loss(p, y, groups=T([0, 1]))) == 0.0
    assert float(rank_loss(p, y, groups=T([1, 1]))) == pytest.approx(1.0)


def test_local_loss():
    s = T([[10.0, 12.0, 12.0, 18.0]])
    assert float(local_loss(s)) == pytest.approx((4 + 0 + 36) / 3)


def test_frame_scores_interpolate_linearly_between_centres():
    scores = T([[0.0, 40.0, 40.0, 100.0]])
    bounds = T([[[0.0, 0.25], [0.25, 0.5], [0.5, 0.75], [0.75, 1.0]]])
    s = frame_scores(scores, bounds, 8)[0].numpy()  # frame centres 1/16, 3/16, ...
    # centres at 0.125, 0.375, 0.625, 0.875: frame 0 (0.0625) before the first centre
    np.testing.assert_allclose(s, [0, 10, 30, 40, 40, 55, 85, 100], atol=1e-5)
    expected = np.mean(np.diff(s) ** 2)
    assert float(smooth_loss(scores, bounds, 8)) == pytest.approx(expected, rel=1e-5)


def test_contrastive_loss_hand_case():
    f = T([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    y = T([50.0, 52.0, 70.0])  # 0~1 positives; 2 negative of both
    # triplets (a,p,n): (0,1,2): 1 - 4 + 1 = -2 -> 0; (1,0,2): 1 - 5 + 1 = -3 -> 0
    assert float(contrastive_loss(f, y, delta=5, margin=1)) == 0.0
    f2 = T([[0.0, 0.0], [3.0, 0.0], [0.0, 1.0]])
    # (0,1,2): 9 - 1 + 1 = 9; (1,0,2): 9 - 10 + 1 = 0 -> mean 4.5
    assert float(contrastive_loss(f2, y, delta=5, margin=1)) == pytest.approx(4.5)
    assert float(contrastive_loss(f2, T([50.0, 60.0, 70.0]))) == 0.0  # no positive pair


def test_losses_give_gradients():
    p = torch.randn(6, requires_grad=True)
    y = torch.arange(6.0) * 10
    (rank_loss(p * 10, y) + mse_loss(p, y)).backward()
    assert p.grad is not None and float(p.grad.abs().sum()) > 0


def test_lambda_schedules():
    assert lambda_rank(1) == pytest.approx(0.1) and lambda_rank(5) == 0.5 and lambda_rank(40) == 0.5
    assert lambda_local(9) == pytest.approx(0.2) and lambda_local(10) == pytest.approx(0.18)
    assert lambda_local(25) == pytest.approx(0.2 * 0.81)
    w = loss_weights(3, TrainConfig())
    assert w.rank == pytest.approx(0.3) and w.contrast == 0.1


def test_mining_schedule_and_selection():
    assert mining_rho(1, 51) == pytest.approx(0.6)
    assert mining_rho(26, 51) == pytest.approx(0.45)
    assert mining_rho(51, 51) == pytest.approx(0.3)
    h = difficulty([10, 10, 2], [50, 100, 50], eta=0.5)
    np.testing.assert_allclose(h, [10, 10 * np.exp(-0.5), 2])
    mask = hard_mask([1.0, 5.0, 3.0, 4.0, 0.5], 0.6)  # ceil(3) hardest
    assert mask.tolist() == [False, True, True, True, False]


def test_easy_buffer_keeps_last_ten_epochs_and_replays_twenty_percent():
    buf = EasyBuffer(epochs=10, fraction=0.2)
    buf.add(range(10), epoch=1)
    buf.add(range(10, 20), epoch=5)
    rng = np.random.default_rng(0)
    assert len(buf.replay(10, rng)) == 4  # 20 % of 20
    got = buf.replay(11, rng)  # epoch-1 entries expired
    assert len(buf) == 10 and len(got) == 2 and all(10 <= i < 20 for i in got)


def test_curriculum_levels_and_probabilities():
    assert motion_intensity(np.zeros((5, 17, 3))) == 0.0
    lv = intensity_levels(np.array([0.0, 0.2, 0.5, 1.0]))
    assert lv.tolist() == [0, 0, 1, 2]
    for epoch, expect in [(1, [1, 0, 0]), (10, [1, 0, 0]), (11, [1, 0, 0]), (18, [1, 0.5, 0]),
                          (25, [1, 1, 0]), (26, [1, 1, 1])]:
        np.testing.assert_allclose(curriculum_probability(np.array([0, 1, 2]), epoch), expect)
