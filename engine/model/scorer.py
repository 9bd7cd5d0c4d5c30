"""``TorchScorer``: the trained network behind the :class:`engine.scoring.Scorer` interface.

``TorchScorer(checkpoint).score(joints (T, 17, 3) canonical metres at 30 Hz, movement)``:

1. preprocessing as stored in the checkpoint (:mod:`engine.model.windowing`): missing-joint
   fill, eq. 2 normalization, resampling to the model's rate, the window rule;
2. the network on every test window (one for the ``resample`` rule), outputs averaged;
3. a :class:`engine.scoring.ScoreResult`: the score (clipped to 0-100), its grade from the
   thresholds of ``resources/grading.json`` (not the classifier, whose softmax is reported
   as ``grade_probs``), stage scores, stage bounds in frames of the *input*, the temporal
   attention resampled onto the input's ``T`` frames (sums to 1) and the joint contribution
   (sums to 1).

Feedback keys (most important first): ``"fault:<name>"`` for each fault *of the scored
movement* (``resources/movements/<movement>.json``; all of the head's faults for movements
without a file, e.g. KIMORE exercises) whose probability from the auxiliary head is above the
threshold, ranked by expected cost ``probability × severity`` (severity from the movement file;
1 without one), so the fault that costs the most points comes first; then ``"stage:<name>"``
for stages scored more than 5 points below the overall score (weakest first). Stage names come
from :data:`STAGE_NAMES`. The threshold is the checkpoint's ``metrics["fault_threshold"]``
(chosen on validation data by the trainer, e.g. :mod:`engine.starter`), else 0.5; the
``fault_threshold`` argument overrides it. A model shared by several movements has outputs
for every movement's faults, so without the movement filter a free throw could be told to
tuck its legs.

For long recordings (``crop`` rule) stage bounds are those of the middle test window.

A bundle with a handcrafted model (``bundle.fuse``, :mod:`engine.model.handcrafted`) scores an
attempt with the mean of the networks' score and the handcrafted model's, computed on the same
prepared sequence; ``predict`` keeps the networks' own as ``score_network``. Stage scores and
everything else are the networks'. The exported backends fuse the same way (the weights travel
in the ONNX file's metadata).
"""

from __future__ import annotations

import numpy as np
import torch

from engine.grading import default_grading
from engine.model.checkpoint import Checkpoint, load_checkpoint
from engine.model.network import KineScoreNet
from engine.model.windowing import (
    INPUT_FPS,
    WindowSpec,
    prepare_sequence,
    test_windows,
    to_input_frames,
    window_frames,
)
from engine.scoring import ScoreResult

STAGE_NAMES: dict[str, tuple[str, ...]] = {
    "standing_long_jump": ("pre_swing", "take_off", "flight", "landing"),
    "sit_ups": ("lying", "curl_up", "top", "return"),
    "free_throw": ("set", "dip", "release", "follow_through"),
    "overhead_pass": ("ready", "move_under", "contact", "extension"),
}


DEFAULT_FAULT_THRESHOLD = 0.5


class ScorerError(ValueError):
    pass


def fault_severities(movement: str, faults: list[str]) -> np.ndarray | None:
    """Weight of each of ``faults`` when ``movement`` is scored: its severity for a fault of
    this movement's file, 0 for a fault of another movement's file, 1 for a fault no file
    knows. None when there is no movement file for ``movement``."""
    from engine.movements import MOVEMENTS, MovementConfigError, load_movement

    try:
        own = {f.key: f.severity for f in load_movement(movement).faults}
        other = {f.key for m in MOVEMENTS if m != movement for f in load_movement(m).faults}
    except MovementConfigError:
        return None
    return np.array([own.get(f, 0.0 if f in other else 1.0) for f in faults])


def fault_feedback(fault_probs: np.ndarray, faults: list[str], movement: str,
                   threshold: float = DEFAULT_FAULT_THRESHOLD) -> list[str]:
    """``"fault:<name>"`` keys above ``threshold``, costliest first (see module doc)."""
    probs = np.asarray(fault_probs, float)[:len(faults)]
    sev = fault_severities(movement, faults)
    weight = np.ones(len(probs)) if sev is None else sev[:len(probs)]
    keep = (probs > threshold) & (weight > 0)
    order = np.argsort(-(probs * weight), kind="stable")
    return [f"fault:{faults[i]}" for i in order if keep[i]]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def predict_windows(model: KineScoreNet, windows: np.ndarray, movement: int | None) -> dict:
    """Run the model on ``(n, W, 17, 3)`` windows; numpy outputs per window."""
    x = torch.from_numpy(np.ascontiguousarray(windows.transpose(0, 3, 1, 2), dtype=np.float32))
    mv = None
    if movement is not None and model.config.num_movements:
        mv = torch.full((len(windows),), int(movement), dtype=torch.long)
    with torch.no_grad():
        out = model(x, mv)
    return {k: v.numpy() for k, v in out._asdict().items()}


def aggregate(outs: dict, starts: np.ndarray, length: int, spec: WindowSpec,
              input_frames: int) -> dict:
    """Average per-window outputs into one prediction for the sequence (see module doc)."""
    n, t_out = outs["temporal_attention"].shape
    att = np.zeros(max(input_frames, 1))
    cover = np.zeros_like(att)
    grid = np.arange(len(att)) + 0.5
    for i in range(n):
        a, b = to_input_frames(window_frames(spec, length, int(starts[i])), spec)
        centres = a + (np.arange(t_out) + 0.5) * (b - a) / t_out
        inside = (grid >= a) & (grid < b)
        att[inside] += np.interp(grid[inside], centres, outs["temporal_attention"][i])
        cover[inside] += 1
    att = np.where(cover > 0, att / np.maximum(cover, 1), 0.0)
    att = att / att.sum() if att.sum() > 0 else np.full_like(att, 1.0 / len(att))
    mid = n // 2
    a, b = to_input_frames(window_frames(spec, length, int(starts[mid])), spec)
    bounds = a + outs["stage_bounds"][mid] * (b - a)
    bounds = np.clip(bounds, 0, input_frames)
    contrib = outs["joint_contribution"].mean(axis=0)
    return {
        "score": float(np.clip(outs["score"].mean(), 0, 100)),
        "stage_scores": outs["stage_scores"].mean(axis=0),
        "stage_bounds": bounds,
        "grade_probs": _softmax(outs["grade_logits"]).mean(axis=0),
        "temporal_attention": att,
        "joint_contribution": contrib / max(contrib.sum(), 1e-12),
        "fault_probs": 1.0 / (1.0 + np.exp(-outs["fault_logits"].mean(axis=0))),
    }


class TorchScorer:
    """Scores attempts with a checkpoint in torch on the CPU (see module doc)."""

    def __init__(self, checkpoint: str | Checkpoint, num_threads: int | None = None,
                 fault_threshold: float | None = None):
        self.checkpoint = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        self.model = self.checkpoint.model.eval()
        self.spec = self.checkpoint.window
        self.movements = list(self.checkpoint.movements)
        self.faults = list(self.checkpoint.faults)
        self.model_version = self.checkpoint.model_version
        self.grading = default_grading()
        if fault_threshold is None:
            fault_threshold = self.checkpoint.metrics.get("fault_threshold", DEFAULT_FAULT_THRESHOLD)
        self.fault_threshold = float(fault_threshold)
        self.handcrafted = self.checkpoint.handcrafted
        if num_threads:
            torch.set_num_threads(num_threads)

    def movement_index(self, movement: str) -> int | None:
        if not self.model.config.num_movements:
            return None
        if movement not in self.movements:
            raise ScorerError(f"movement {movement!r} is unknown to model {self.model_version} "
                              f"(trained on {self.movements})")
        return self.movements.index(movement)

    def run_windows(self, windows: np.ndarray, movement: int | None) -> dict:
        """Network outputs per window (the hook the ONNX Runtime / TensorRT backends of
        :mod:`engine.runtime` replace; everything else is shared)."""
        return predict_windows(self.model, windows, movement)

    def predict(self, joints, movement: str, confidence=None, timestamps=None) -> dict:
        """Aggregated numpy outputs for one attempt (used by :meth:`score` and evaluation)."""
        joints = np.asarray(joints, dtype=np.float64)
        if joints.ndim != 3 or joints.shape[1:] != (17, 3):
            raise ScorerError(f"joints must be (T, 17, 3) canonical metres, got {joints.shape}")
        idx = self.movement_index(movement)
        prep = prepare_sequence(joints, confidence, timestamps, self.spec)
        windows, starts = test_windows(prep.joints, self.spec)
        outs = self.run_windows(windows, idx)
        if timestamps is not None:
            ts = np.asarray(timestamps, float)
            input_frames = int(round((ts[-1] - ts[0]) * INPUT_FPS)) + 1
        else:
            input_frames = len(joints)
        out = aggregate(outs, starts, len(prep.joints), self.spec, input_frames)
        if self.handcrafted is not None:
            from engine.model.handcrafted import HandcraftedError, fuse

            try:
                hand = self.handcrafted.score(prep.joints, movement)
            except HandcraftedError as exc:
                raise ScorerError(f"model {self.model_version}: {exc}") from None
            out["score_network"] = out["score"]
            out["score"] = float(np.clip(fuse(out["score"], hand), 0.0, 100.0))
        return out

    def score(self, joints: np.ndarray, movement: str, confidence=None,
              timestamps=None) -> ScoreResult:
        p = self.predict(joints, movement, confidence, timestamps)
        feedback = fault_feedback(p["fault_probs"], self.faults, movement, self.fault_threshold)
        names = STAGE_NAMES.get(movement, tuple(f"stage_{i + 1}" for i in range(4)))
        for i in np.argsort(p["stage_scores"]):
            if p["stage_scores"][i] < p["score"] - 5 and i < len(names):
                feedback.append(f"stage:{names[i]}")
        return ScoreResult(
            score=p["score"],
            grade=self.grading.grade(p["score"]),
            grade_probs=p["grade_probs"].astype(np.float64),
            stage_scores=np.clip(p["stage_scores"], 0, 100).astype(np.float64),
            stage_bounds=p["stage_bounds"].astype(np.float64),
            temporal_attention=p["temporal_attention"].astype(np.float64),
            joint_contribution=p["joint_contribution"].astype(np.float64),
            feedback=feedback,
            model_version=self.model_version,
        )

