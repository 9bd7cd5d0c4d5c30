"""The handcrafted model a checkpoint can carry beside its networks (``bundle.fuse``; ours).

Why: on KIMORE and UI-PRMD the best figures of ``docs/results.md`` are not one network but
networks averaged with a handcrafted linear model (``engine.baselines``: ``ridge``, ``angles``,
``control``, ``segments``, ``combined`` or ``select``; weight 1/2, never searched). Those
figures came from the cross-validation harness; a model trained with ``kinescore-engine
train`` held only the network, so the method that measured best was not the one a checkpoint
could deliver to new people. A
:class:`HandcraftedModel` is that linear model in a form a checkpoint (``torch.load`` with
``weights_only=True``) and an exported model's JSON metadata can hold: per movement, the
feature set's name (:data:`engine.baselines.FEATURE_SETS`), the standardization and the linear
weights. :func:`fuse` is the fusion the harness measures (:func:`engine.evaluate.fuse_predictions`).

The features are computed from the *prepared* sequence (eq. 2 normalization, the model's frame
rate: :func:`engine.model.windowing.prepare_sequence`), exactly as the baselines see
:class:`engine.train.Item` joints, so a bundle scores an attempt as the harness did. A score is
the ridge prediction clipped to 0-100 or, for binary labels (UI-PRMD), the logistic
probability × 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.baselines import FEATURE_SETS, feature_blocks, make_baseline

#: Baselines a bundle can fuse (``engine.baselines.make_baseline`` keys): ``ridge``, ``angles``,
#: ``control``, ``segments`` and ``combined`` use one feature set (their ``feature_set``) for
#: every movement, ``select`` chooses one per movement inside the training data.
KINDS: tuple[str, ...] = ("ridge", "angles", "control", "segments", "combined", "select")
#: The network's share of a fused score (1/2 by design, as in the harness: never searched).
NETWORK_WEIGHT = 0.5


class HandcraftedError(ValueError):
    pass


def fuse(network_score: float | np.ndarray, handcrafted_score: float | np.ndarray):
    """The fused 0-100 score: the plain mean of the networks' and the handcrafted model's."""
    return NETWORK_WEIGHT * np.asarray(network_score) + (1 - NETWORK_WEIGHT) * np.asarray(
        handcrafted_score)


@dataclass
class LinearUnit:
    """One movement's model: ``score = clip(w · (x - mean) / scale + b, 0, 100)`` or, when
    ``logistic``, ``100 · sigmoid(w · (x - mean) / scale + b)``, ``x`` = feature set ``features``."""

    features: str
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    logistic: bool

    def score(self, x: np.ndarray) -> float:
        z = float(((x - self.mean) / self.scale) @ self.coef + self.intercept)
        if self.logistic:
            return float(100.0 / (1.0 + np.exp(-z)))
        return float(np.clip(z, 0.0, 100.0))


class HandcraftedModel:
    """Per-movement linear models over handcrafted features (see module doc)."""

    def __init__(self, kind: str, fps: float, units: dict[str, LinearUnit]):
        self.kind, self.fps, self.units = kind, float(fps), dict(units)

    @classmethod
    def fit(cls, kind: str, items, binary: bool, fps: float) -> HandcraftedModel:
        """Fit baseline ``kind`` on prepared items (all movements) and keep its weights."""
        if kind not in KINDS:
            raise HandcraftedError(f"bundle.fuse: unknown handcrafted model {kind!r}; use one "
                                   f"of {sorted(KINDS)} or none")
        base = make_baseline(kind, binary, fps).fit(items)
        return cls.from_baseline(base, kind)

    @classmethod
    def from_baseline(cls, base, kind: str) -> HandcraftedModel:
        """The weights of a fitted baseline of one of :data:`KINDS`."""
        units = {}
        for movement, pipe in base.models.items():
            scaler, lin = pipe.steps[0][1], pipe.steps[-1][1]
            features = base.chosen[movement] if kind == "select" else base.feature_set
            units[movement] = LinearUnit(
                features=features, mean=np.asarray(scaler.mean_, float),
                scale=np.asarray(scaler.scale_, float), coef=np.ravel(lin.coef_).astype(float),
                intercept=float(np.ravel(lin.intercept_)[0]), logistic=bool(base.binary))
        return cls(kind, base.fps, units)

    def score(self, joints: np.ndarray, movement: str) -> float:
        """The 0-100 score of one prepared sequence ``(L, 17, 3)`` of ``movement``."""
        unit = self.units.get(movement)
        if unit is None:
            raise HandcraftedError(f"movement {movement!r} has no handcrafted model in this "
                                   f"bundle (it has {sorted(self.units)})")
        return unit.score(feature_blocks(joints, self.fps, (unit.features,))[unit.features])

    def to_dict(self) -> dict:
        """Plain lists and numbers: storable in a checkpoint and in JSON."""
        return {"kind": self.kind, "fps": self.fps, "units": {
            m: {"features": u.features, "mean": u.mean.tolist(), "scale": u.scale.tolist(),
                "coef": u.coef.tolist(), "intercept": u.intercept, "logistic": u.logistic}
            for m, u in self.units.items()}}

    @classmethod
    def from_dict(cls, d, where: str = "model") -> HandcraftedModel:
        """Validate and rebuild; errors name ``where`` and the field that is wrong."""
        def bad(what: str):
            return HandcraftedError(f"{where}: handcrafted model: {what}; retrain the bundle")

        if not isinstance(d, dict) or not isinstance(d.get("units"), dict) or not d["units"]:
            raise bad("missing or empty 'units'")
        if d.get("kind") not in KINDS:
            raise bad(f"unknown kind {d.get('kind')!r}")
        units = {}
        for m, u in d["units"].items():
            arrays = {}
            for k in ("mean", "scale", "coef", "intercept"):
                try:
                    arrays[k] = np.asarray(u[k], float)
                except (KeyError, TypeError, ValueError) as exc:
                    raise bad(f"movement {m!r}: field {k!r} missing or not numbers "
                              f"({type(exc).__name__})") from None
            if arrays["intercept"].shape != ():
                raise bad(f"movement {m!r}: field 'intercept' must be one number")
            intercept = float(arrays.pop("intercept"))
            features, logistic = str(u.get("features")), bool(u.get("logistic", False))
            if features not in FEATURE_SETS:
                raise bad(f"movement {m!r}: unknown feature set {features!r}")
            n = {a.shape for a in arrays.values()}
            if len(n) != 1 or len(next(iter(n))) != 1:
                raise bad(f"movement {m!r}: mean, scale and coef must be vectors of one length")
            if (not all(np.isfinite(a).all() for a in arrays.values()) or not np.isfinite(intercept)
                    or (arrays["scale"] <= 0).any()):
                raise bad(f"movement {m!r}: non-finite weights or a scale <= 0")
            units[str(m)] = LinearUnit(features, arrays["mean"], arrays["scale"], arrays["coef"],
                                       intercept, logistic)
        try:
            fps = float(d.get("fps", 30.0))
        except (TypeError, ValueError):
            raise bad(f"fps {d.get('fps')!r} is not a number") from None
        return cls(str(d["kind"]), fps, units)
