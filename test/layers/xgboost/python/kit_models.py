"""Real-xgboost side of the kit trainer's tests.

usage:
  /usr/bin/python3 kit_models.py data <out-dir>
      writes <task>.data.json (train/valid/test rows with missing values) for the tasks below, and
      <task>.xgb.json with xgboost hist's test metric on the same data and parameters
  /usr/bin/python3 kit_models.py check <dir> <task> ...
      loads <dir>/<task>/xgboost-model (JSON written by the kit) as SageMaker's container does
      (pickle first, then Booster.load_model), predicts <task>.data.json's test rows, continues
      training for 3 rounds from it, and prints a JSON report
"""
import json
import os
import pickle
import sys

import numpy as np
import xgboost as xgb

TASKS = {
    "regression": {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.2, "num_round": 60,
                   "base_score": 5.123456789},
    "binary": {"objective": "binary:logistic", "max_depth": 4, "eta": 0.2, "num_round": 60,
               "subsample": 0.8, "colsample_bytree": 0.8, "lambda": 2.0, "alpha": 0.1, "gamma": 0.1,
               "min_child_weight": 2},
    "multiclass": {"objective": "multi:softprob", "num_class": 3, "max_depth": 4, "eta": 0.2, "num_round": 40},
    "early": {"objective": "binary:logistic", "max_depth": 6, "eta": 0.5, "num_round": 200,
              "early_stopping_rounds": 5},
}


def generate(rng, n, task):
    x = rng.normal(size=(n, 8)).astype(np.float32)
    lin = x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3] + np.sin(2 * x[:, 4]) + 0.3 * rng.normal(size=n)
    if task == "regression":
        y = 2.0 * lin + 5.0
    elif task in ("binary", "early"):
        y = (lin + 0.5 * rng.normal(size=n) > 0).astype(np.float32)
    else:
        y = np.digitize(lin + 0.5 * rng.normal(size=n), [-0.7, 0.7]).astype(np.float32)
    x[rng.random(x.shape) < 0.08] = np.nan
    return x, y.astype(np.float32)


def rows(x):
    return [[None if np.isnan(v) else float(v) for v in row] for row in x]


def metric(task, pred, y):
    if task == "regression":
        return float(np.sqrt(np.mean((pred - y) ** 2)))
    if task == "multiclass":
        return float(np.mean(np.argmax(pred, axis=1) == y))
    order = np.argsort(pred, kind="mergesort")
    ranks = np.empty(len(pred))
    s = pred[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def data(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(11)
    for task, params in TASKS.items():
        x, y = generate(rng, 6000, task)
        tr, va, te = slice(0, 3000), slice(3000, 4000), slice(4000, 6000)
        with open(os.path.join(out_dir, task + ".data.json"), "w") as f:
            json.dump({"params": params,
                       "train": {"x": rows(x[tr]), "y": y[tr].tolist()},
                       "valid": {"x": rows(x[va]), "y": y[va].tolist()},
                       "test": {"x": rows(x[te]), "y": y[te].tolist()}}, f)
        p = {k: v for k, v in params.items() if k not in ("num_round", "early_stopping_rounds")}
        p.update({"tree_method": "hist", "seed": 0})
        dtrain, dvalid, dtest = (xgb.DMatrix(x[s], label=y[s]) for s in (tr, va, te))
        booster = xgb.train(p, dtrain, params["num_round"], evals=[(dvalid, "valid")],
                            early_stopping_rounds=params.get("early_stopping_rounds"), verbose_eval=False)
        limit = (0, booster.best_iteration + 1) if "early_stopping_rounds" in params else (0, 0)
        with open(os.path.join(out_dir, task + ".xgb.json"), "w") as f:
            json.dump({"metric": metric(task, booster.predict(dtest, iteration_range=limit), y[te])}, f)


def check(model_dir, tasks):
    report = {}
    for task in tasks:
        path = os.path.join(model_dir, task, "xgboost-model")
        # The SageMaker XGBoost container's load path (serve_utils.get_loaded_booster).
        try:
            booster = pickle.load(open(path, "rb"))
        except Exception:
            booster = xgb.Booster()
            booster.load_model(path)
        with open(os.path.join(model_dir, task + ".data.json")) as f:
            d = json.load(f)
        to = lambda rs: np.array([[np.nan if v is None else v for v in r] for r in rs], dtype=np.float32)
        dtest = xgb.DMatrix(to(d["test"]["x"]))
        pred = booster.predict(dtest)
        ntree_limit = int(booster.attr("best_ntree_limit") or 0)
        container = booster.predict(dtest, ntree_limit=ntree_limit) if ntree_limit else pred
        config = json.loads(booster.save_config())
        params = {k: v for k, v in d["params"].items() if k not in ("num_round", "early_stopping_rounds")}
        dtrain = xgb.DMatrix(to(d["train"]["x"]), label=np.array(d["train"]["y"], dtype=np.float32))
        before = len(booster.get_dump())
        continued = xgb.train({**params, "tree_method": "hist"}, dtrain, 3, xgb_model=booster)
        report[task] = {
            "pred": np.asarray(pred, dtype=np.float32).reshape(len(d["test"]["x"]), -1).astype(float).tolist(),
            "margin": np.asarray(booster.predict(dtest, output_margin=True), dtype=np.float32).reshape(len(d["test"]["x"]), -1).astype(float).tolist(),
            "container": np.asarray(container, dtype=np.float32).reshape(len(d["test"]["x"]), -1).astype(float).tolist(),
            "base_score": config["learner"]["learner_model_param"]["base_score"],
            "trees_before": before,
            "trees_after": len(continued.get_dump()),
            "continued_pred_finite": bool(np.all(np.isfinite(continued.predict(dtest)))),
        }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "data":
        data(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3:])
