"""Command line: `python -m explain_core [models|explain|precompute] ...`.

    python -m explain_core models                      train/load the default models, print accuracy
    python -m explain_core explain --model mnist-cnn --sample 0 --method integrated_gradients
    python -m explain_core precompute --model mnist-cnn --method integrated_gradients
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import ExplanationService, GlimpseError, Settings


def _settings(args) -> Settings:
    return Settings.from_env(data_dir=args.data_dir, model_store=args.model_store)


def _print_progress(event: dict) -> None:
    if event["stage"] == "training":
        print(f"  training {event['model_id']}: epoch {event['epoch']}/{event['epochs']} "
              f"loss {event['loss']:.3f} acc {event['accuracy']:.3f}", file=sys.stderr)


def cmd_models(svc: ExplanationService, args) -> None:
    t = time.perf_counter()
    svc.ensure_models(_print_progress)
    print(f"{'model':<20} {'held-out acc':>12}  {'hash':<16}  architecture")
    for m in svc.list_models():
        print(f"{m.model_id:<20} {m.accuracy:>12.4f}  {m.hash:<16}  {m.architecture}  [{m.dataset_description}]")
    print(f"ready in {time.perf_counter() - t:.1f} s")


def _parse_param(text: str):
    key, _, value = text.partition("=")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, value


def cmd_explain(svc: ExplanationService, args) -> None:
    params = dict(_parse_param(p) for p in args.param)
    s = svc.sample(args.model, args.sample)
    info = svc.model_info(args.model)
    print(f"{args.model} sample {s.sample_id}: label {info.class_names[s.label]}, "
          f"predicted {info.class_names[s.prediction]} (p={s.probabilities[s.prediction]:.3f})")
    t = time.perf_counter()
    r = svc.explain(args.model, args.sample, args.method, target=args.target, **params)
    ms = (time.perf_counter() - t) * 1000
    print(f"{args.method} {getattr(r, 'params', {})} in {ms:.1f} ms")
    attr = getattr(r, "attribution", None)
    if attr is not None:
        flat = attr.reshape(-1)
        names = info.feature_names or svc.dataset_for(args.model).feature_names
        top = np.argsort(-np.abs(flat))[:args.top]
        print(f"target {info.class_names[r.target]}; top {len(top)} of {flat.size} inputs by |attribution|:")
        for i in top:
            print(f"  {names[i]:<28} {flat[i]:+.5f}")
        if r.delta is not None:
            print(f"completeness delta {r.delta:+.3e} (relative {r.relative_delta:.3%})")
        for k in ("score", "intercept"):
            if k in r.extras:
                print(f"{k}: {r.extras[k]:.4f}")
    elif hasattr(r, "rules"):
        print(f"fidelity {r.fidelity:.3f}, accuracy {r.accuracy:.3f}; path {list(r.path)}")
        print(r.rules)
    elif hasattr(r, "layers"):
        for layer in r.layers:
            arr = getattr(layer, "values", getattr(layer, "weights", None))
            print(f"  {layer.name:<10} {layer.kind:<12} shape {tuple(arr.shape)}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m explain_core", description="Glimpse explanation engine")
    p.add_argument("--data-dir", help="folder with MNIST/Fashion-MNIST IDX files (env GLIMPSE_DATA_DIR)")
    p.add_argument("--model-store", help="folder for trained models (env GLIMPSE_MODEL_STORE)")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("models", help="train or load the default models and print their accuracy")
    e = sub.add_parser("explain", help="explain one sample")
    e.add_argument("--model", default="mnist-cnn")
    e.add_argument("--sample", type=int, default=0)
    e.add_argument("--method", default="integrated_gradients")
    e.add_argument("--target", type=int, default=None)
    e.add_argument("--top", type=int, default=10)
    e.add_argument("--param", action="append", default=[], help="method parameter, e.g. n_steps=64")
    pc = sub.add_parser("precompute", help="compute and cache methods for every sample of a model's data")
    pc.add_argument("--model", default="mnist-cnn")
    pc.add_argument("--method", action="append", default=[], help="repeat for several (default integrated_gradients)")
    pc.add_argument("--batch-size", type=int, default=64, help="samples per batched call")
    pc.add_argument("--param", action="append", default=[], help="parameter for every method, e.g. n_steps=64")
    args = p.parse_args(argv)
    svc = ExplanationService(_settings(args))
    try:
        if args.cmd == "explain":
            cmd_explain(svc, args)
        elif args.cmd == "precompute":
            from .precompute import run_cli

            methods = args.method or ["integrated_gradients"]
            params = dict(_parse_param(p) for p in args.param)
            run_cli(svc, args.model, methods, args.batch_size, {m: params for m in methods})
        else:
            cmd_models(svc, args)
    except GlimpseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
