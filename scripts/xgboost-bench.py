"""Real-xgboost side of `npm run bench -- models` (one thread, nthread=1).

usage: /usr/bin/python3 xgboost_bench.py <dir>
  writes <dir>/x.f32 (100,000 x 20 float32, NaN = missing), <dir>/y.f32 (0/1 labels),
  <dir>/model100.json and <dir>/model500.json (depth 6) and prints a JSON report of timings
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

ROWS, COLS = 100_000, 20
TRAIN_PARAMS = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3,
                "max_bin": 256, "nthread": 1, "seed": 0}
TRAIN_ROUNDS = 100


def best_of(n, fn, prepare=lambda: None):
    times = []
    for _ in range(n):
        arg = prepare()
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times)


def main(out):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(ROWS, COLS)).astype(np.float32)
    lin = x[:, 0] - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + np.sin(x[:, 4]) + 0.5 * rng.normal(size=ROWS)
    y = (lin > 0).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    x.tofile(os.path.join(out, "x.f32"))
    y.tofile(os.path.join(out, "y.f32"))
    dtrain = xgb.DMatrix(x, label=y, nthread=1)
    report = {"train_seconds": best_of(1, lambda _: xgb.train(TRAIN_PARAMS, dtrain, TRAIN_ROUNDS)),
              "train_params": TRAIN_PARAMS, "train_rounds": TRAIN_ROUNDS}
    # The evaluated models are trained on a subset: only their size matters for prediction speed.
    dsmall = xgb.DMatrix(x[:20_000], label=y[:20_000], nthread=1)
    for trees in (100, 500):
        booster = xgb.train({**TRAIN_PARAMS, "eta": 0.1, "min_child_weight": 0}, dsmall, trees)
        booster.set_param("nthread", 1)
        with open(os.path.join(out, f"model{trees}.json"), "wb") as f:
            f.write(booster.save_raw("json"))
        # A fresh DMatrix per run: predict() caches its answer for a DMatrix it has seen.
        seconds = best_of(3, lambda d: booster.predict(d), lambda: xgb.DMatrix(x, nthread=1))
        report[f"predict{trees}_seconds"] = seconds
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
