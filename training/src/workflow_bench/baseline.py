"""The plain script an analyst might write instead of mahnwerk-train: the same fit and
evaluation over the Parquet export with pandas and scikit-learn (mahnwerk-train bench-workflow
runs it beside its own commands and times both).

usage: baseline.py fit DECISIONS.parquet MODEL.pickle
       baseline.py fit-weighted DECISIONS.parquet MODEL.pickle
       baseline.py evaluate DECISIONS.parquet MODEL.pickle
"""
import json
import pickle
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

CHANNELS = ["email", "sms", "letter", "whatsapp"]
HOURS = list(range(8, 21))


def features(channel, hour, segment, stage):
    """One-hot crosses of channel and three-hour bucket, plus segment and stage."""
    frame = pd.DataFrame({
        "arm": channel.astype(str) + ":" + (hour // 3).astype(str),
        "segment": segment.astype(str),
        "stage": stage.astype(str),
    })
    return frame


def read(path):
    columns = ["channel", "hour", "stage", "context_segment", "reward", "propensity"]
    frame = pd.read_parquet(path, columns=columns)
    return frame[frame.reward.notna()].reset_index(drop=True)


def importance_weights(propensity, clip=10.0):
    """mahnwerk-train fit --importance-weights' weights: min(clip, s / p) with the scale s for
    which they average 1 (the k largest inverse propensities clipped, the smallest such k)."""
    inverse = 1.0 / propensity
    descending = np.sort(inverse)[::-1]
    n = len(inverse)
    k = np.arange(n)
    rest = descending.sum() - np.concatenate(([0.0], np.cumsum(descending)[:-1]))
    scale = (n - k * clip) / rest
    first = int(np.argmax(scale * descending <= clip * (1 + 1e-12)))
    return np.minimum(clip, scale[first] * inverse)


def fit(path, out, weighted=False):
    frame = read(path)
    x = pd.get_dummies(features(frame.channel, frame.hour, frame.context_segment, frame.stage), sparse=True)
    model = LogisticRegression(max_iter=200)
    weights = importance_weights(frame.propensity.to_numpy()) if weighted else None
    model.fit(x.sparse.to_coo().tocsr(), frame.reward >= 0.5, sample_weight=weights)
    with open(out, "wb") as f:
        pickle.dump((model, list(x.columns)), f)
    print(json.dumps({"rows": len(frame)}))


def fit_weighted(path, out):
    fit(path, out, weighted=True)


def evaluate(path, model_path):
    """IPS and self-normalised IPS of the fitted model's greedy choice. The model is additive in
    its one-hot features, so the best arm is the one whose own coefficient is largest, for every
    decision alike (ties: the first channel, the earliest hour)."""
    frame = read(path)
    with open(model_path, "rb") as f:
        model, columns = pickle.load(f)
    coef = dict(zip(columns, model.coef_[0]))
    arms = [(c, h) for c in CHANNELS for h in HOURS]
    best_channel, best_hour = max(arms, key=lambda arm: coef.get(f"arm_{arm[0]}:{arm[1] // 3}", 0.0))
    chosen = (frame.channel.to_numpy() == best_channel) & (frame.hour.to_numpy() == best_hour)
    weights = chosen / frame.propensity.to_numpy()
    rewards = frame.reward.to_numpy()
    ips = float(np.mean(weights * rewards))
    snips = float(np.sum(weights * rewards) / max(np.sum(weights), 1e-12))
    se = float(np.std(weights * rewards) / np.sqrt(len(frame)))
    print(json.dumps({"ips": ips, "ci95": [ips - 1.96 * se, ips + 1.96 * se], "snips": snips, "n": len(frame)}))


if __name__ == "__main__":
    command, data, model = sys.argv[1:4]
    {"fit": fit, "fit-weighted": fit_weighted, "evaluate": evaluate}[command](data, model)
