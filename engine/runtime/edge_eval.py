"""``kinescore-engine edge-eval``: what pruning and quantization cost in accuracy.

Subject-disjoint k-fold cross-validation (:func:`engine.splits.subject_kfold`, as
``kinescore-engine cv``). In every fold, on the fold's training subjects only:

1. train the model (the config's full recipe);
2. prune 15 % of the temporal-conv channels (:mod:`engine.runtime.prune`, importance from
   training windows) and fine-tune for ``--ft-epochs`` epochs at a tenth of the rate;
3. export both to ONNX FP32, and FP16 / INT8 copies (INT8 calibrated on training windows);
4. as a control, fine-tune a copy of the *unpruned* model with the same extra epochs: the
   change due to pruning is "pruned + fine-tuned" minus this control (with a model trained
   for few epochs, the extra epochs alone improve it).

Every variant then scores the fold's test subjects through the deployed code path (ONNX
Runtime for the exported files, window outputs averaged per sequence, takes averaged per
subject and exercise as in :mod:`engine.evaluate`), and the pooled predictions give MAE and
SRCC per variant and their change from the unpruned FP32 model.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

VARIANTS = ("torch FP32", "ORT FP32", "ORT FP16", "ORT INT8", "pruned, no fine-tuning",
            "pruned + fine-tuned", "pruned + fine-tuned, ORT INT8",
            "unpruned + same fine-tuning (control)")


def _ort_item_scores(onnx_path, items, spec) -> np.ndarray:
    from engine.model.windowing import test_windows
    from engine.runtime.ort import OnnxRuntimeScorer

    scorer = OnnxRuntimeScorer(onnx_path)
    return np.array([scorer.run_windows(test_windows(it.joints, spec)[0], it.movement)["score"].mean()
                     for it in items])


def _torch_item_scores(model, items, spec) -> np.ndarray:
    from engine.model.scorer import predict_windows
    from engine.model.windowing import test_windows

    return np.array([predict_windows(model, test_windows(it.joints, spec)[0], it.movement)["score"].mean()
                     for it in items])


def run_edge_eval(cfg, samples, *, ratio: float = 0.15, ft_epochs: int = 10,
                  folds: int | None = None, log=print) -> dict:
    """Per-variant metrics (see module doc); ``folds`` overrides ``cfg.eval.folds``."""
    from tqdm import tqdm

    from engine.evaluate import summarize, unit_predictions
    from engine.model.checkpoint import save_checkpoint
    from engine.model.windowing import WindowSpec
    from engine.runtime.export import export_checkpoint, to_fp16, to_int8
    from engine.runtime.prune import calibration_windows, finetune_config, prune_and_finetune
    from engine.splits import subject_kfold
    from engine.train import fault_names, prepare_items, resolve_config, train_model

    movements = list(cfg.data.movements) or sorted({s.movement for s in samples})
    spec = WindowSpec.from_config(cfg.data)
    items = prepare_items(samples, spec, movements, fault_names(samples), progress=True)
    splits = subject_kfold([s.subject for s in samples], folds or cfg.eval.folds,
                           groups=[s.group or "" for s in samples], seed=cfg.eval.seed)
    per_item = {v: np.full(len(items), np.nan) for v in VARIANTS}
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for f, (tr, te) in enumerate(tqdm(splits, desc="edge-eval", unit="fold")):
            train_s = [samples[i] for i in tr]
            train_i, test_i = [items[i] for i in tr], [items[i] for i in te]
            res = train_model(train_s, cfg, movements=movements, log=log)
            rcfg = resolve_config(res.config, movements, res.faults)
            ck = save_checkpoint(tmp / f"full{f}.pt", res.model, rcfg, movements=movements,
                                 faults=res.faults)
            _, pruned_raw, report = prune_and_finetune(res.model, rcfg, train_s, movements,
                                                       ratio=ratio, epochs=0, items=train_i,
                                                       log=log)
            reports.append(str(report))
            start = copy.deepcopy(pruned_raw)
            pruned_ft = train_model(train_s, finetune_config(rcfg, start, ft_epochs),
                                    movements=movements, init_model=start, log=log).model
            control = copy.deepcopy(res.model)
            control = train_model(train_s, finetune_config(rcfg, control, ft_epochs),
                                  movements=movements, init_model=control, log=log).model
            ckp = save_checkpoint(tmp / f"pruned{f}.pt", pruned_ft, replace(rcfg, model=pruned_ft.config),
                                  movements=movements, faults=res.faults)
            x, mv = calibration_windows(train_i, spec)
            fp32 = export_checkpoint(ck, tmp / f"full{f}.onnx")
            fp32p = export_checkpoint(ckp, tmp / f"pruned{f}.onnx")
            files = {"ORT FP32": fp32, "ORT FP16": to_fp16(fp32, tmp / f"full{f}.fp16.onnx"),
                     "ORT INT8": to_int8(fp32, tmp / f"full{f}.int8.onnx", x, mv),
                     "pruned + fine-tuned, ORT INT8": to_int8(fp32p, tmp / f"p{f}.int8.onnx", x, mv)}
            te = np.asarray(te)
            per_item["torch FP32"][te] = _torch_item_scores(res.model, test_i, spec)
            per_item["pruned, no fine-tuning"][te] = _torch_item_scores(pruned_raw, test_i, spec)
            per_item["pruned + fine-tuned"][te] = _torch_item_scores(pruned_ft, test_i, spec)
            per_item["unpruned + same fine-tuning (control)"][te] = _torch_item_scores(
                control, test_i, spec)
            for name, path in files.items():
                per_item[name][te] = _ort_item_scores(path, test_i, spec)
    results = {}
    for v in VARIANTS:
        pred = unit_predictions(items, per_item[v])
        results[v] = summarize(pred)["all"]
    base = results["torch FP32"]
    for v in VARIANTS:
        results[v]["d_mae"] = results[v]["mae"] - base["mae"]
        results[v]["d_srcc"] = results[v]["srcc"] - base["srcc"]
    ctrl = results["unpruned + same fine-tuning (control)"]
    pruning_effect = {"d_mae": results["pruned + fine-tuned"]["mae"] - ctrl["mae"],
                      "d_srcc": results["pruned + fine-tuned"]["srcc"] - ctrl["srcc"]}
    return {"variants": results, "pruning": reports, "pruning_vs_control": pruning_effect}


def format_edge_table(res: dict) -> str:
    lines = ["| variant | MAE | Δ MAE | SRCC | Δ SRCC | n |", "|---|---|---|---|---|---|"]
    for v, r in res["variants"].items():
        lines.append(f"| {v} | {r['mae']:.2f} | {r['d_mae']:+.2f} | {r['srcc']:.3f} | "
                     f"{r['d_srcc']:+.3f} | {r['n']} |")
    return "\n".join(lines)


def add_edge_eval(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="accuracy of the pruned, FP16 and INT8 deployment variants "
                       "under subject-disjoint cross-validation",
                       description="Cross-validate the model and its deployment variants "
                       "(15 %% pruned + fine-tuned, ONNX FP32/FP16/INT8) on one dataset.")
    p.add_argument("--config", required=True, help="experiment YAML (as for `cv`)")
    p.add_argument("--data", help="dataset file (overrides data.path)")
    p.add_argument("--folds", type=int, help="override eval.folds")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--ratio", type=float, default=0.15, help="pruning ratio (default 0.15)")
    p.add_argument("--ft-epochs", type=int, default=10, help="fine-tuning epochs (default 10)")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.set_defaults(func=_edge_eval_cmd)


def _edge_eval_cmd(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config
    from engine.datasets import DatasetError
    from engine.train import TrainError, load_samples

    try:
        cfg = load_config(args.config)
        if args.data:
            cfg = replace(cfg, data=replace(cfg.data, path=args.data))
        if args.epochs:
            cfg = replace(cfg, train=replace(cfg.train, epochs=args.epochs))
        cfg = replace(cfg, train=replace(cfg.train, progress=False))
        samples = load_samples(cfg.data.dataset, cfg.data.path)
        res = run_edge_eval(cfg, samples, ratio=args.ratio, ft_epochs=args.ft_epochs,
                            folds=args.folds, log=lambda *a: None)
    except (ConfigError, DatasetError, TrainError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{cfg.name}: {args.folds or cfg.eval.folds}-fold subject-disjoint CV, "
          f"{cfg.train.epochs} epochs, pruning {args.ratio:.0%} + {args.ft_epochs} fine-tuning epochs")
    print(format_edge_table(res))
    eff = res["pruning_vs_control"]
    print(f"pruning effect (pruned + fine-tuned minus the equally fine-tuned unpruned model): "
          f"MAE {eff['d_mae']:+.2f}, SRCC {eff['d_srcc']:+.3f}")
    print("pruning per fold:", *res["pruning"], sep="\n  ")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0
