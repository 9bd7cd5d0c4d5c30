"""ONNX export of the network: opset 17, fixed window, dynamic batch.

Inputs: ``joints`` float32 (batch, 3, window, 17) and, where the model has a movement
embedding, ``movement`` int64 (batch,). Outputs: :data:`engine.model.network.EXPORT_OUTPUTS`
(``score``, ``stage_scores``, ``stage_bounds`` (window fractions), ``grade_logits``,
``temporal_attention``, ``joint_contribution``, ``fault_logits``), batch first.

The TorchScript-based exporter (``dynamo=False``) is used: it needs no extra package and the
network avoids everything it cannot express (see ``engine.model.backbone``).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch

from engine import skeleton
from engine.model.network import EXPORT_OUTPUTS, ExportWrapper, KineScoreNet

OPSET = 17


def export_onnx(model: KineScoreNet, path: str | Path | None, window: int,
                opset: int = OPSET) -> bytes | Path:
    """Export ``model`` (put in eval mode) for windows of ``window`` frames.

    Returns the path written, or the model bytes when ``path`` is None.
    """
    model.eval()
    wrapper = ExportWrapper(model).eval()
    x = torch.zeros(2, 3, window, skeleton.NUM_JOINTS)
    args: tuple = (x,)
    names = ["joints"]
    if wrapper.with_movement:
        args = (x, torch.zeros(2, dtype=torch.long))
        names.append("movement")
    dynamic = {n: {0: "batch"} for n in (*names, *EXPORT_OUTPUTS)}
    target = io.BytesIO() if path is None else str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, args, target, dynamo=False, opset_version=opset,
                          input_names=names, output_names=list(EXPORT_OUTPUTS),
                          dynamic_axes=dynamic, do_constant_folding=True)
    model.eval()  # export restores the wrapper's previous mode; keep the model in eval
    return target.getvalue() if path is None else Path(path)
