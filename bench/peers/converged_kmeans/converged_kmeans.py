"""Reference peer of the SPEC real-data protocol: a CONVERGED k-means, in numpy. A yardstick for
the benchmark, not library code.

Per buffer: k = ceil(n / batch_size) on standardised (ln aspect, ln area); STARTS k-means++ starts,
each run with Lloyd's iterations until no label changes; the start with the least inertia wins.
Each cluster is sorted by shape (ln aspect, then ln area, then position) and cut into batches of
batch_size; every batch is sized by the SPEC's median rule (medians of ln aspect and ln area, each
side rounded to the nearest multiple of multiple_of, at least multiple_of).

Reads on stdin {"jobs": [{"name", "sizes": [[h, w], ...], "bufferSizes": [...]}], "batchSize",
"multiples", "seed"}. Each job's sizes are cut into consecutive buffers, each planned on its own.
Writes on stdout, per (job, buffer size, multiple): the planning time per sample (us) and the
batches (indices into the job's sizes, resize size [h, w]). The caller scores them with the
library's own `evaluate`.
"""

import json
import math
import sys
import time

import numpy as np

STARTS = 5
MAX_ITERATIONS = 1000


def kmeans_groups(heights, widths, batch_size, seed):
    n = len(heights)
    if n == 0:
        return []
    k = -(-n // batch_size)
    la = np.log(widths / heights)
    lp = np.log(widths * heights)

    def standardise(x):
        sd = x.std()
        return (x - x.mean()) / (sd if sd > 0 else 1.0)

    points = np.stack([standardise(la), standardise(lp)], axis=1)
    rng = np.random.default_rng(seed)
    best_inertia, best_labels = math.inf, None
    for _ in range(STARTS):
        # k-means++: each next centre drawn with probability proportional to squared distance.
        centres = np.empty((k, 2))
        centres[0] = points[rng.integers(n)]
        nearest = ((points - centres[0]) ** 2).sum(axis=1)
        for c in range(1, k):
            total = nearest.sum()
            pick = rng.integers(n) if total <= 0 else min(n - 1, int(np.searchsorted(np.cumsum(nearest), rng.random() * total, side="right")))
            centres[c] = points[pick]
            nearest = np.minimum(nearest, ((points - centres[c]) ** 2).sum(axis=1))
        labels = None
        for _ in range(MAX_ITERATIONS):
            dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            new = dist.argmin(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            counts = np.bincount(labels, minlength=k)
            sums = np.stack([np.bincount(labels, weights=points[:, j], minlength=k) for j in range(2)], axis=1)
            filled = counts > 0  # an emptied cluster keeps its centre
            centres[filled] = sums[filled] / counts[filled, None]
        inertia = float(((points - centres[labels]) ** 2).sum())
        if inertia < best_inertia:
            best_inertia, best_labels = inertia, labels
    groups = []
    for c in range(k):
        members = np.flatnonzero(best_labels == c)
        if len(members) == 0:
            continue
        order = np.lexsort((members, lp[members], la[members]))
        groups.append(members[order].tolist())
    return groups


def resize_size(heights, widths, members, multiple_of):
    h = heights[members]
    w = widths[members]
    la = float(np.median(np.log(w / h)))
    lp = float(np.median(np.log(w * h)))

    def round_to(x):  # nearest multiple, halves away from zero (as Rust's f64::round)
        return max(multiple_of, int(math.floor(x / multiple_of + 0.5)) * multiple_of)

    return [round_to(math.exp((lp - la) / 2)), round_to(math.exp((lp + la) / 2))]


def main():
    request = json.load(sys.stdin)
    batch_size, seed = request["batchSize"], request.get("seed", 0)
    rows = []
    for job in request["jobs"]:
        sizes = np.array(job["sizes"], dtype=np.float64).reshape(-1, 2)
        heights, widths = sizes[:, 0], sizes[:, 1]
        n = len(sizes)
        for buffer_size in job["bufferSizes"]:
            t0 = time.perf_counter()
            planned = []
            for start in range(0, n, buffer_size):
                end = min(n, start + buffer_size)
                groups = kmeans_groups(heights[start:end], widths[start:end], batch_size, seed)
                for g in groups:
                    for at in range(0, len(g), batch_size):
                        planned.append([start + i for i in g[at:at + batch_size]])
            grouping = time.perf_counter() - t0
            for multiple_of in request["multiples"]:
                t1 = time.perf_counter()
                batches = [{"indices": idx, "resizeSize": resize_size(heights, widths, np.array(idx), multiple_of)} for idx in planned]
                sizing = time.perf_counter() - t1
                rows.append({
                    "name": job["name"],
                    "bufferSize": buffer_size,
                    "multipleOf": multiple_of,
                    "costUs": (grouping + sizing) * 1e6 / n,
                    "batches": batches,
                })
    json.dump({"python": sys.version.split()[0], "numpy": np.__version__, "starts": STARTS, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
