"""The paper's scoring network (sections 3-4), its checkpoints, export and the torch scorer."""

from engine.model.network import EXPORT_OUTPUTS, KineScoreNet, ModelOutput, count_parameters

__all__ = ["EXPORT_OUTPUTS", "KineScoreNet", "ModelOutput", "count_parameters"]
