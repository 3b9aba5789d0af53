"""Train a small network of your own and open Glimpse on it (no downloads: the data is
scikit-learn's breast-cancer table).

    python examples/train_and_show.py                 # serves http://127.0.0.1:8050/ (Ctrl+C stops)
    python examples/train_and_show.py --port 0        # any free port
    python examples/train_and_show.py --no-serve      # train, check, explain one row, exit
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from torch import nn

try:
    import glimpse
except ImportError:   # run from a clone without `pip install .`: use the clone's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import glimpse


class Standardise(nn.Module):
    """The training set's mean and spread, inside the model: it takes raw rows."""

    def __init__(self, X: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", X.mean(0))
        self.register_buffer("std", X.std(0).clamp_min(1e-6))

    def forward(self, x):
        return (x - self.mean) / self.std


def train(X: torch.Tensor, y: torch.Tensor, epochs: int = 300, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(Standardise(X), nn.Linear(X.shape[1], 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model.eval()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--no-serve", action="store_true", help="explain one row in the terminal instead of serving")
    args = p.parse_args(argv)

    data = load_breast_cancer(as_frame=True)      # a DataFrame: its columns name the features
    X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.3, random_state=0,
                                                        stratify=data.target)
    model = train(torch.tensor(X_train.to_numpy(), dtype=torch.float32), torch.tensor(y_train.to_numpy()))
    names = [str(n) for n in data.target_names]

    if args.no_serve:
        service = glimpse.build_service(model, X_test, y_test, X_train=X_train, y_train=y_train,
                                        class_names=names, title="My breast-cancer MLP")
        info = service.list_models()[0]
        print(f"{info.title}: held-out accuracy {info.accuracy:.1%} on {info.n_test} rows")
        result = glimpse.explain(model, X_test.iloc[0], data=X_train)
        top = sorted(zip(X_test.columns, result.attribution), key=lambda kv: -abs(kv[1]))[:3]
        print(f"Row 0, class {names[result.target]!r}: " + ", ".join(f"{k} {v:+.3f}" for k, v in top))
        return
    glimpse.show(model, X_test, y_test, X_train=X_train, y_train=y_train, class_names=names,
                 title="My breast-cancer MLP", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
