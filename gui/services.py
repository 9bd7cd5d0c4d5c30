"""What the app loads at start-up, each call made on a worker thread (never the UI's):
the scoring model, the class records and the device. Every failure becomes a
:class:`Problem` whose message says what to do next.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from engine.paths import resource

log = logging.getLogger("gui")
MODEL_SUFFIXES = (".pt", ".onnx")
#: The bundled model's preferred file names, best first; any other *.pt / *.onnx in
#: resources/models/ is used when none of these exists.
BUNDLED_NAMES = ("kinescore.pt", "starter.pt", "kinescore.onnx", "starter.onnx")


def models_dir() -> Path:
    return resource("models")


def find_bundled_model() -> Path | None:
    """The bundled model in ``resources/models/`` (None when there is none)."""
    d = models_dir()
    for name in BUNDLED_NAMES:
        if (d / name).is_file():
            return d / name
    if not d.is_dir():
        return None
    found = sorted((p for p in d.glob("*") if p.suffix in MODEL_SUFFIXES and p.is_file()),
                   key=lambda p: (p.suffix != ".pt", p.name))  # a checkpoint before its export
    return found[0] if found else None


def model_path(setting: str) -> Path | None:
    """The model file a setting names ("" = the bundled model)."""
    return Path(setting).expanduser() if setting else find_bundled_model()


class ModelError(RuntimeError):
    """The model cannot be used. ``str()`` is a teacher-actionable sentence in the current
    language (re-translated each time, so a banner follows a language switch)."""

    def __init__(self, kind: str, path: Path | None = None, detail: str = ""):
        self.kind, self.path, self.detail = kind, path, detail
        super().__init__(kind)

    def __str__(self) -> str:
        if self.kind == "missing":
            return QCoreApplication.translate(
                "Services", "No scoring model is installed (nothing in {folder}). Live "
                "view and recording work, and attempts are saved unscored; choose a "
                "model file in Settings to score them.").format(folder=models_dir())
        if self.kind == "not_found":
            return QCoreApplication.translate(
                "Services", "The model file {path} does not exist. Attempts are saved "
                "unscored until you choose a model file in Settings.").format(path=self.path)
        if self.kind == "onnx":
            return QCoreApplication.translate(
                "Services", "{path}: this KineScore build cannot run ONNX models; "
                "choose a .pt model in Settings.").format(path=self.path)
        return QCoreApplication.translate(
            "Services", "The model file {path} cannot be used ({error}). Attempts are "
            "saved unscored; choose another model file in Settings, or reinstall "
            "KineScore to restore the bundled model.").format(path=self.path, error=self.detail)


def load_scorer(path: Path | None):
    """A scorer for ``path``: through ``engine.runtime.load_scorer`` (ONNX Runtime / TensorRT
    / torch, chosen automatically) when this build has the runtime backends, else the torch
    checkpoint (``.pt``) directly. One CPU thread, leaving the other core to capture and
    drawing. Raises :class:`ModelError`."""
    if path is None:
        raise ModelError("missing")
    if not path.is_file():
        raise ModelError("not_found", path)
    try:
        from engine.runtime import load_scorer as runtime_load_scorer
    except ImportError:
        runtime_load_scorer = None
    if runtime_load_scorer is not None:
        try:
            return runtime_load_scorer(path, threads=1)
        except Exception as exc:  # noqa: BLE001
            if path.suffix != ".pt":
                raise ModelError("corrupt", path, str(exc)) from exc
            log.warning("runtime backends failed for %s (%s); using torch", path, exc)
    elif path.suffix == ".onnx":
        raise ModelError("onnx", path)
    try:
        import torch

        from engine.model.scorer import TorchScorer

        torch.set_num_threads(1)
        return TorchScorer(str(path), num_threads=1)
    except Exception as exc:  # noqa: BLE001 - corrupt, truncated, wrong layout...
        raise ModelError("corrupt", path, str(exc)) from exc


DEVICE_ADVICE = {  # devices.ErrorCode -> what the teacher should do
    "sdk_missing": QT_TRANSLATE_NOOP("Services", "The software for this device is not "
                                     "installed; see the set-up guide, or choose another "
                                     "device."),
    "not_found": QT_TRANSLATE_NOOP("Services", "The device is not connected. Plug it in and "
                                   "click Retry, or choose another device."),
    "busy": QT_TRANSLATE_NOOP("Services", "The device is used by another program. Close that "
                              "program, then click Retry."),
    "disconnected": QT_TRANSLATE_NOOP("Services", "The device was unplugged or stopped. Plug "
                                      "it back in and click Retry; attempts already saved "
                                      "are safe."),
    "no_frames": QT_TRANSLATE_NOOP("Services", "The device sends no picture. Check its cable "
                                   "and that no other program uses it, then click Retry."),
    "file": QT_TRANSLATE_NOOP("Services", "The file cannot be played. Choose another file or "
                              "device."),
    "bad_spec": QT_TRANSLATE_NOOP("Services", "The device setting is not valid. Choose a "
                                  "device in Settings."),
}


def device_problem(code: str, message: str) -> str:
    """A translated, actionable sentence for a device error, with the device's own words."""
    advice = DEVICE_ADVICE.get(code)
    if advice:
        lead = QCoreApplication.translate("Services", advice)
    else:
        lead = QCoreApplication.translate(
            "Services", "The device stopped. Click Retry, or choose another device.")
    return QCoreApplication.translate("Services", "{advice}\nDetails: {details}").format(
        advice=lead, details=message)
