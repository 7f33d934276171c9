#!/usr/bin/env python3
"""Fits the learned head of the offline risk classifier with scikit-learn (called by train.mjs).

    python train_head.py WORKDIR

WORKDIR (written by train.mjs) holds
  features.f32   the feature matrix, little-endian float32, rows x inputs, row-major
  rules-blind.f32  (when rule_dropout > 0) the same rows' features had the rules found nothing
  job.json       {"rows": n, "inputs": d, "labels": [0..3 per row],
                  "subsets": [[row indices to train on], ...],
                  "hidden": 256, "alpha": 0.1, "members": 3, "max_iter": 400,
                  "rule_dropout": 1}
and receives
  heads.json     one head per subset: {"members": [{"hidden", "w1", "b1", "w2", "b2"}]}, the
                 weights as base64 of little-endian float32 in the layout riskHead.ts reads
                 (w1: hidden x inputs, w2: 4 x hidden, both row-major).

Each head is an ensemble of `members` one-hidden-layer ReLU networks (MLPClassifier, Adam,
L2 penalty `alpha`), seeds 0..members-1, so a run is repeatable. Progress goes to stderr.

Rule-feature dropout (ADR 0011): a share `rule_dropout` of the training rows (picked with a fixed
seed) is added a second time from rules-blind.f32, the row as if the rules had seen nothing (level
NORMAL, no signals; computed by train.mjs with the run-time feature code), with the same label. The head so learns to read the embeddings on their own too, instead of trusting
the rules most when they are silent, which is when they fail on new wording.
"""
import base64
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

LEVELS = 4


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def with_rule_dropout(x, blind, y, job):
    share = job.get("rule_dropout", 0)
    if not share:
        return x, y
    picked = np.random.default_rng(0).random(len(y)) < share
    return np.vstack([x, blind[picked]]), np.concatenate([y, y[picked]])


def read_matrix(path, n, d):
    x = np.fromfile(path, dtype="<f4")
    if x.size != n * d:
        raise SystemExit(f"{path} holds {x.size} values, expected {n} x {d}")
    return x.reshape(n, d).astype(np.float64)


def fit_member(x, y, job, seed):
    model = MLPClassifier(
        hidden_layer_sizes=(job["hidden"],),
        activation="relu",
        alpha=job["alpha"],
        max_iter=job["max_iter"],
        random_state=seed,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs is the point (repeatable training), not a convergence test.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    if list(model.classes_) != list(range(LEVELS)):
        raise SystemExit(f"training subset lacks a level: classes {list(model.classes_)}")
    w1, w2 = model.coefs_
    b1, b2 = model.intercepts_
    return {
        "hidden": int(job["hidden"]),
        "w1": b64(w1.T),
        "b1": [float(v) for v in b1],
        "w2": b64(w2.T),
        "b2": [float(v) for v in b2],
    }


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    workdir = sys.argv[1]
    with open(f"{workdir}/job.json", encoding="utf-8") as f:
        job = json.load(f)
    n, d = job["rows"], job["inputs"]
    x = read_matrix(f"{workdir}/features.f32", n, d)
    blind = read_matrix(f"{workdir}/rules-blind.f32", n, d) if job.get("rule_dropout", 0) else None
    y = np.asarray(job["labels"], dtype=np.int64)
    heads = []
    for s, subset in enumerate(job["subsets"]):
        idx = np.asarray(subset, dtype=np.int64)
        xs, ys = with_rule_dropout(x[idx], None if blind is None else blind[idx], y[idx], job)
        members = []
        for seed in range(job["members"]):
            started = time.time()
            members.append(fit_member(xs, ys, job, seed))
            print(
                f"  head {s + 1}/{len(job['subsets'])}, member {seed + 1}/{job['members']}: "
                f"{len(ys)} rows in {time.time() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        heads.append({"members": members})
    with open(f"{workdir}/heads.json", "w", encoding="utf-8") as f:
        json.dump(heads, f)


if __name__ == "__main__":
    main()
