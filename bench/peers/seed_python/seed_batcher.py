"""The seed's three strategies in Python, as SPEC describes them, on the seed's own stack:
PIL images in the buffer, numpy features, fastkmeans (k = n // batch_size) for the clustered
strategy, clusters cut into batches in input order, and SPEC sizing (medians of ln aspect and ln
area, sides rounded to multiple_of).

Reads {"sizes": [[h, w], ...], "batchSize", "bufferSizes", "multiples", "runs"} as JSON on stdin,
plans every buffer with every strategy, and writes on stdout, per (strategy, multiple, buffer
size): the median planning time per sample (us) and the batches (input indices and resize size).
Metrics are computed by the caller with the library's own `evaluate`, so both sides are scored by
one implementation.
"""

import json
import math
import sys
import time

import numpy as np
from fastkmeans import FastKMeans
from PIL import Image


def resize_size(images, multiple_of):
    w = np.array([im.size[0] for im in images], dtype=np.float64)
    h = np.array([im.size[1] for im in images], dtype=np.float64)
    la = float(np.median(np.log(w / h)))
    lp = float(np.median(np.log(w * h)))

    def round_to(x):
        return max(multiple_of, int(round(x / multiple_of)) * multiple_of)

    return [round_to(math.exp((lp - la) / 2)), round_to(math.exp((lp + la) / 2))]


def to_batches(buffer, groups, batch_size, multiple_of):
    batches = []
    for members in groups:
        for start in range(0, len(members), batch_size):
            idx = members[start:start + batch_size]
            images = [buffer[i]["image"] for i in idx]
            batches.append({"indices": [int(i) for i in idx], "resize_size": resize_size(images, multiple_of)})
    return batches


class SimpleBatcher:
    def __init__(self, batch_size, multiple_of=1):
        self.batch_size, self.multiple_of = batch_size, multiple_of

    def __call__(self, buffer):
        return to_batches(buffer, [list(range(len(buffer)))], self.batch_size, self.multiple_of)


class SortedBatcher:
    def __init__(self, batch_size, multiple_of=1):
        self.batch_size, self.multiple_of = batch_size, multiple_of

    def __call__(self, buffer):
        aspect = np.array([s["image"].size[0] / s["image"].size[1] for s in buffer])
        order = np.argsort(aspect, kind="stable").tolist()
        return to_batches(buffer, [order], self.batch_size, self.multiple_of)


class ClusteredBatcher:
    def __init__(self, batch_size, multiple_of=1, seed=0):
        self.batch_size, self.multiple_of, self.seed = batch_size, multiple_of, seed

    def __call__(self, buffer):
        n = len(buffer)
        k = max(1, n // self.batch_size)
        sizes = np.array([s["image"].size for s in buffer], dtype=np.float64)
        features = np.stack([sizes[:, 0] / sizes[:, 1], np.log(sizes[:, 0] * sizes[:, 1])], axis=1).astype(np.float32)
        if k == 1:
            labels = np.zeros(n, dtype=np.int64)
        else:
            km = FastKMeans(d=2, k=k, gpu=False, seed=self.seed)
            labels = km.fit_predict(features)
        groups = [np.flatnonzero(labels == c).tolist() for c in range(k)]
        return to_batches(buffer, [g for g in groups if g], self.batch_size, self.multiple_of)


STRATEGIES = {"simple": SimpleBatcher, "sorted": SortedBatcher, "clustered": ClusteredBatcher}


def main():
    request = json.load(sys.stdin)
    # Mode "1" keeps 5,000 real PIL images small (1 bit per pixel); the batchers read only .size.
    buffer = [{"image": Image.new("1", (w, h))} for h, w in request["sizes"]]
    n = len(buffer)
    rows = []
    for multiple_of in request["multiples"]:
        for buffer_size in request["bufferSizes"]:
            parts = [(start, buffer[start:start + buffer_size]) for start in range(0, n, buffer_size)]
            for name, make in STRATEGIES.items():
                batcher = make(request["batchSize"], multiple_of)
                times, planned = [], None
                for run in range(request["runs"] + 1):
                    t0 = time.perf_counter()
                    planned = [(start, batcher(part)) for start, part in parts]
                    if run > 0:  # run 0 warms up
                        times.append(time.perf_counter() - t0)
                times.sort()
                batches = [
                    {"indices": [start + i for i in b["indices"]], "resizeSize": b["resize_size"]}
                    for start, part_batches in planned
                    for b in part_batches
                ]
                rows.append({
                    "strategy": name,
                    "multipleOf": multiple_of,
                    "bufferSize": buffer_size,
                    "costUs": times[len(times) // 2] * 1e6 / n,
                    "batches": batches,
                })
    json.dump({"python": sys.version.split()[0], "numpy": np.__version__, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
