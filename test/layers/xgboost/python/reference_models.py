"""Trains models with real xgboost on generated data and writes, per case, the model JSON, the test
rows and xgboost's predictions (outputs and margins), for the kit's evaluator tests.

usage: /usr/bin/python3 reference_models.py <out-dir>
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb


def data(rng, n, objective, categorical):
    x = rng.normal(size=(n, 6)).astype(np.float32)
    if categorical:
        x[:, 4] = rng.integers(0, 7, n)
        x[:, 5] = rng.integers(0, 3, n)
    lin = x[:, 0] - 0.7 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
    if categorical:
        lin = lin + np.where(np.isin(x[:, 4], [1, 3, 5]), 1.2, -0.4) + 0.6 * (x[:, 5] == 2)
    lin = lin + 0.3 * rng.normal(size=n)
    if objective in ("binary:logistic", "reg:logistic", "binary:logitraw"):
        y = (lin > 0).astype(np.float32)
    elif objective.startswith("multi:"):
        y = np.digitize(lin, [-0.6, 0.6]).astype(np.float32)
    elif objective == "count:poisson":
        y = rng.poisson(np.exp(0.4 * lin)).astype(np.float32)
    elif objective == "reg:gamma":
        y = rng.gamma(2.0, np.exp(0.4 * lin) / 2.0).astype(np.float32) + 1e-3
    elif objective == "reg:tweedie":
        y = np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2.0, np.exp(0.4 * lin) / 2.0)).astype(np.float32)
    else:
        y = (3.0 * lin + 10.0).astype(np.float32)
    mask = rng.random(x.shape) < 0.1
    x[mask] = np.nan
    return x, y


CASES = [
    ("reg_hist", "reg:squarederror", "hist", False, {}),
    ("reg_exact", "reg:squarederror", "exact", False, {"subsample": 0.8}),
    ("reg_cat", "reg:squarederror", "hist", True, {"max_cat_to_onehot": 1}),
    ("reg_logistic", "reg:logistic", "hist", False, {}),
    ("bin_logistic_cat", "binary:logistic", "hist", True, {"max_cat_to_onehot": 1}),
    ("bin_logistic_base03", "binary:logistic", "approx", False, {"base_score": 0.3}),
    ("bin_logitraw", "binary:logitraw", "hist", False, {"base_score": 0.3}),
    ("multi_softprob_cat", "multi:softprob", "hist", True, {"num_class": 3, "max_cat_to_onehot": 1}),
    ("multi_softmax", "multi:softmax", "hist", False, {"num_class": 3}),
    ("poisson", "count:poisson", "hist", False, {}),
    ("gamma", "reg:gamma", "hist", False, {"base_score": 2.0}),
    ("tweedie", "reg:tweedie", "hist", True, {"max_cat_to_onehot": 1}),
    ("forest", "reg:squarederror", "hist", False, {"num_parallel_tree": 3, "subsample": 0.7}),
]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, objective, method, categorical, extra in CASES:
        x, y = data(rng, 900, objective, categorical)
        types = ["q"] * 4 + (["c", "c"] if categorical else ["q", "q"])
        kw = {"feature_types": types, "enable_categorical": True} if categorical else {}
        train = xgb.DMatrix(x[:600], label=y[:600], **kw)
        test = xgb.DMatrix(x[600:], **kw)
        params = {"objective": objective, "tree_method": method, "max_depth": 4, "eta": 0.3, "seed": 1, **extra}
        booster = xgb.train(params, train, 12)
        write(out_dir, name, booster, x[600:], booster.predict(test), booster.predict(test, output_margin=True))

    # Early stopping: the container predicts with ntree_limit=best_ntree_limit, Booster.predict uses every tree.
    x, y = data(rng, 900, "multi:softprob", False)
    train, valid = xgb.DMatrix(x[:400], label=y[:400]), xgb.DMatrix(x[400:600], label=y[400:600])
    test = xgb.DMatrix(x[600:])
    booster = xgb.train(
        {"objective": "multi:softprob", "num_class": 3, "tree_method": "hist", "max_depth": 5, "eta": 0.6},
        train, 80, evals=[(valid, "valid")], early_stopping_rounds=3, verbose_eval=False,
    )
    write(out_dir, "early_stopped", booster, x[600:], booster.predict(test), booster.predict(test, output_margin=True),
          container=booster.predict(test, iteration_range=(0, booster.best_iteration + 1)),
          best_ntree_limit=booster.best_ntree_limit, total_trees=len(booster.get_dump()))


def libm_expf(out_dir):
    """glibc's expf on spread-out float32 inputs, for the kit's expf (the exponentials xgboost uses)."""
    import ctypes

    libm = ctypes.CDLL("libm.so.6")
    libm.expf.restype = ctypes.c_float
    libm.expf.argtypes = [ctypes.c_float]
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-104, 88.7, 20000), rng.uniform(-4, 4, 20000)]).astype(np.float32)
    with open(os.path.join(out_dir, "expf.json"), "w") as f:
        json.dump({"x": x.astype(float).tolist(), "y": [float(libm.expf(float(v))) for v in x]}, f)


def write(out_dir, name, booster, x, pred, margin, **extra):
    with open(os.path.join(out_dir, name + ".model.json"), "wb") as f:
        f.write(booster.save_raw("json"))
    case = {
        "x": [[None if np.isnan(v) else float(v) for v in row] for row in x],
        "pred": np.asarray(pred, dtype=np.float32).reshape(len(x), -1).astype(float).tolist(),
        "margin": np.asarray(margin, dtype=np.float32).reshape(len(x), -1).astype(float).tolist(),
    }
    for key, value in extra.items():
        case[key] = np.asarray(value, dtype=np.float32).reshape(len(x), -1).astype(float).tolist() if isinstance(value, np.ndarray) else value
    with open(os.path.join(out_dir, name + ".case.json"), "w") as f:
        json.dump(case, f)


if __name__ == "__main__":
    main(sys.argv[1])
    libm_expf(sys.argv[1])
