"""End to end from Python: a Parquet-like table of image URLs -> sizes (HTTP Range requests,
the core's prefix ladder) -> the plan, as `plan_arrow(table, batcher, url="url")` does it, on a
local server (127.0.0.1, the tests' ImageServer: Range honoured, in a process of its own).

The images are real encoded files made by Pillow from seeded noise (JPEG, PNG, WebP, and JPEG
with a 12 KiB EXIF block), their sides drawn from the real size lists in bench/data (COCO
val2017, MathVista testmini), halved to keep encoding quick; 1 URL in 50 is a 404 (a reject
naming its row). Per run: wall time of the whole call, of the sizes stage alone, URLs per second,
bytes the server sent per image; median of --runs runs. Writes bench/results/python-urls.json
and python-urls.md.

  python bench/python/urls_end_to_end.py [--count 600] [--concurrency 16] [--runs 5]"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import sys

import pyarrow as pa
from PIL import Image

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.arrow import plan_arrow
from mm_tokenize_batcher.urls import image_sizes_from_urls

from results import REPO, machine, median_time, write

sys.path.insert(0, str(REPO / "crates" / "python" / "tests"))
from image_server import ImageServer  # noqa: E402


def real_sizes():
    out = []
    for name in ("coco_val2017.json", "mathvista_testmini.json"):
        out += json.loads((REPO / "bench" / "data" / name).read_text())["sizes"]
    return out


def make_images(count: int):
    rng = random.Random(27)
    pool = real_sizes()
    files = {}
    for i in range(count):
        h, w = pool[rng.randrange(len(pool))]
        h, w = max(h // 2, 8), max(w // 2, 8)
        small = Image.frombytes("RGB", (max(w // 8, 1), max(h // 8, 1)), rng.randbytes(max(w // 8, 1) * max(h // 8, 1) * 3))
        image = small.resize((w, h))
        kind = ("JPEG", "JPEG-EXIF", "PNG", "WEBP")[i % 4]
        out = io.BytesIO()
        if kind == "JPEG-EXIF":
            exif = Image.Exif()
            exif[0x8298] = "bench " * 2000  # Copyright: a large APP1 before the frame header
            image.save(out, format="JPEG", quality=85, exif=exif)
        elif kind == "PNG":
            image.save(out, format="PNG", compress_level=3)
        else:
            image.save(out, format=kind, quality=80)
        files[f"{i}.{kind.lower()}"] = out.getvalue()
    return files


def serve(files, commands, answers):
    """The server, in its own process (its own GIL: the client's figures are not the server's)."""
    with ImageServer(files) as server:
        answers.put(server.url)
        for command in iter(commands.get, "stop"):
            answers.put(len(server.requests))


class Server:
    def __init__(self, files):
        context = multiprocessing.get_context("fork")
        self.commands, self.answers = context.Queue(), context.Queue()
        self.process = context.Process(target=serve, args=(files, self.commands, self.answers), daemon=True)
        self.process.start()
        self.url = self.answers.get(timeout=60)

    def requests(self):
        self.commands.put("count")
        return self.answers.get(timeout=60)

    def stop(self):
        self.commands.put("stop")
        self.process.join(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = make_images(args.count)
    batcher = mtb.BalancedBatcher(batch_size=32)
    rows = []
    server = Server(files)
    try:
        urls = [f"{server.url}/range/{name}" if k % 50 != 49 else f"{server.url}/missing/{name}" for k, name in enumerate(files)]
        table = pa.table({"row": pa.array(range(len(urls)), pa.int64()), "url": urls})
        image_sizes_from_urls(urls[:32], concurrency=args.concurrency)  # warm-up (connections, imports)
        for stage, run in (
            ("sizes only", lambda: image_sizes_from_urls(urls, concurrency=args.concurrency)),
            ("URLs -> sizes -> plan", lambda: plan_arrow(table, batcher, url="url", concurrency=args.concurrency)),
        ):
            load_before = machine()["loadAverage"]
            sent_before = server.requests()
            seconds, times, out = median_time(run, args.runs)
            requests = (server.requests() - sent_before) / args.runs
            rejects = sum(1 for s in out if "code" in s) if stage == "sizes only" else sum(1 for c in out.column("code").to_pylist() if c)
            rows.append({"stage": stage, "urls": len(urls), "seconds": seconds, "times": times, "urlsPerSecond": len(urls) / seconds, "requestsPerUrl": requests / len(urls), "rejects": rejects, "loadAverage": load_before})
        bytes_read = sum(s["bytes_read"] for s in image_sizes_from_urls(urls, concurrency=args.concurrency)) / len(urls)
    finally:
        server.stop()
    data = {"count": args.count, "concurrency": args.concurrency, "runs": args.runs, "strategy": "balanced", "batchSize": 32, "bytesReadPerUrl": bytes_read, "fileBytesPerUrl": sum(map(len, files.values())) / len(files), **machine(), "results": rows}
    notes = f"""{args.count} URLs on a local server (1 in 50 a 404), concurrency {args.concurrency}, Balanced batch 32,
median of {args.runs} runs. Bytes read per URL {bytes_read:.0f} of {data['fileBytesPerUrl']:.0f} per file.
Python {data['python']}, {data['cores']} cores; load average (1, 5, 15 min) before each stage in the table.
`python bench/python/urls_end_to_end.py --count {args.count} --concurrency {args.concurrency} --runs {args.runs}`"""
    table_rows = [(r["stage"], r["urls"], f"{r['seconds']:.3f}", f"{r['urlsPerSecond']:.0f}", f"{r['requestsPerUrl']:.2f}", r["rejects"], " ".join(map(str, r["loadAverage"]))) for r in rows]
    write("python-urls", data, "URL list -> sizes -> plan (Python, local server)", ["stage", "URLs", "median s", "URLs/s", "requests/URL", "rejects", "load avg"], table_rows, notes)


if __name__ == "__main__":
    main()
