"""A PyTorch batch_sampler from an mm-tokenize-batcher plan (plain json: torch is not needed to run it).

    mm-tokenize-batcher plan data/ --preset qwen2-vl --batch-size 32 --out plan.jsonl

    sampler = PlanBatchSampler("plan.jsonl")
    dataset = MyDataset(sampler.files)          # item i is the image at sampler.files[i]
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=...)
    for step, batch in enumerate(loader): ...   # sampler.resize_sizes[k] is batch k's (h, w)
"""
import json
import os
import random


def read_plan(path):
    """The plan's batches (dicts with "files", "sizes", "resizeSize", "step", "rank") and its
    last record ({"rejects": [...], "dropped": [...]}). Relative paths are made absolute against
    the plan file's folder; URLs are left as they are."""
    folder = os.path.dirname(os.path.abspath(path))
    batches, tail = [], None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            if "rejects" in record:
                tail = record
                continue
            record["files"] = [name if "://" in name else os.path.normpath(os.path.join(folder, name)) for name in record["files"]]
            batches.append(record)
    if tail is None:
        raise ValueError(f"{path}: no rejects record at the end: the plan is incomplete")
    return batches, tail


class PlanBatchSampler:
    """Yields one list of dataset indices per planned batch, in the plan's order (or, with
    shuffle=True, in an order drawn from seed + epoch: call set_epoch(epoch) each epoch; the same
    seed on every rank keeps the ranks' steps together, since every rank's plan has as many).

    files: the dataset's file list (index i = files[i]); by default the plan's own files, each
    once, in order of first appearance (sampler.files)."""

    def __init__(self, plan_path, files=None, shuffle=False, seed=0):
        self.batches, tail = read_plan(plan_path)
        self.rejects, self.dropped = tail["rejects"], tail.get("dropped", [])
        if files is None:
            files = list(dict.fromkeys(f for b in self.batches for f in b["files"]))
        self.files = list(files)
        position = {f if "://" in f else os.path.abspath(f): i for i, f in enumerate(self.files)}
        self.index_lists = [[position[f if "://" in f else os.path.abspath(f)] for f in b["files"]] for b in self.batches]
        self.resize_sizes = [tuple(b["resizeSize"]) for b in self.batches]
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def order(self):
        order = list(range(len(self.index_lists)))
        if self.shuffle:
            random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        return order

    def __iter__(self):
        for k in self.order():
            yield list(self.index_lists[k])

    def __len__(self):
        return len(self.index_lists)


if __name__ == "__main__":
    # python3 batch_sampler.py plan.jsonl: prints the index lists and sizes as JSON.
    import sys

    sampler = PlanBatchSampler(sys.argv[1])
    print(json.dumps({
        "files": sampler.files,
        "batches": list(sampler),
        "resize_sizes": sampler.resize_sizes,
        "rejects": sampler.rejects,
    }))
