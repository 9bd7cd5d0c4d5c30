"""KineScore engine: skeleton data, preprocessing, model, training, evaluation, runtime
backends, live scoring and class records. Imports neither ``devices`` nor ``gui`` and never Qt."""

__version__ = "0.1.0"
