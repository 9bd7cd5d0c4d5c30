"""Every experiment config shipped in ``resources/configs`` loads, validates and builds its network.

A misspelt key or an out-of-range value in one of these files would otherwise only show up when
someone starts the (long) cross-validation it describes."""

from pathlib import Path

import pytest
import torch

from engine.config import load_config
from engine.model.network import KineScoreNet
from engine.train import resolve_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "resources" / "configs").glob("*.yaml"))
MOVEMENTS = ["standing_long_jump", "sit_ups", "free_throw", "overhead_pass"]


def test_configs_are_found():
    assert len(CONFIGS) >= 5, "resources/configs should hold the documented experiment configs"


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_config_builds_a_working_network(path):
    cfg = load_config(path)
    assert cfg.name == path.stem, f"{path.name}: 'name' should be the file's stem"
    cfg = resolve_config(cfg, MOVEMENTS, [])
    torch.manual_seed(0)
    net = KineScoreNet(cfg.model).eval()
    x = torch.randn(2, 3, cfg.data.window, 17)
    movement = torch.tensor([0, 1]) if cfg.model.num_movements else None
    with torch.no_grad():
        out = net(x, movement)
    assert out.score.shape == (2,)
    assert torch.isfinite(out.score).all()


@pytest.mark.parametrize("fixed,base", [("kimore_pooled_fixes", "kimore_pooled"),
                                        ("uiprmd_fixes", "uiprmd_long")])
def test_fixes_configs_change_only_the_three_starter_fixes(fixed, base):
    """The ``*_fixes`` configs are documented as their base plus three a-priori changes."""
    root = CONFIGS[0].parent
    a, b = load_config(root / f"{fixed}.yaml"), load_config(root / f"{base}.yaml")
    assert a.model.joint_activation == "leaky_relu" != b.model.joint_activation
    assert not a.train.mining.enabled and b.train.mining.enabled
    assert a.train.ema_decay > 0 and b.train.ema_decay == 0
    same = lambda c: (c.model.channels, c.train.epochs, c.train.lr, c.train.batch_size,  # noqa: E731
                      c.train.curriculum, c.data.window, c.data.fps, c.data.window_rule)
    assert same(a) == same(b)
