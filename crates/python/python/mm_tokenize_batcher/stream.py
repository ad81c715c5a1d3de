"""Streaming: batches an iterable of samples larger than memory, one buffer at a time, as the
npm package's ``batchStream`` does (the same options, read in Rust, and the same batches: carry-over,
rank dealing, shuffled epochs and the shuffle buffer's draws all come from the core)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from . import _native
from .batchers import Batcher, _shape, create_batcher
from .errors import batcher_error

#: Draws per call into Rust for the shuffle buffer (any block size gives the same draws).
_DRAW_BLOCK = 1024

# (sample, stream position, carried once already)
_Entry = Tuple[Any, int, bool]


class _ShuffleBuffer:
    """WebDataset's ``shuffle(n)``: once full, each sample read replaces a drawn one, which goes on
    to be planned; when the source ends the rest leave in a drawn order (draws from Rust)."""

    def __init__(self, size: int, seed: int, epoch: int) -> None:
        self.size, self.seed, self.epoch = size, seed, epoch

    def __call__(self, entries: Iterator[_Entry]) -> Iterator[_Entry]:
        held: List[_Entry] = []
        drawn, block, block_start = 0, [], 0
        for entry in entries:
            if len(held) < self.size:
                held.append(entry)
                continue
            if drawn - block_start >= len(block):
                block_start = drawn
                block = _native.shuffle_draws(self.seed, self.epoch, drawn, _DRAW_BLOCK, self.size)
            j = block[drawn - block_start]
            drawn += 1
            out, held[j] = held[j], entry
            yield out
        for j in _native.shuffle_drain(self.seed, self.epoch, len(held)):
            yield held[j]


class BatchStream:
    """The batches of a stream (dicts as a batcher's, ``indices`` being stream positions, plus
    ``step``, ``rank`` and ``padding``). ``rejects`` and ``dropped`` collect what was left out."""

    def __init__(self, source: Iterable[Any], batcher: Optional[Batcher] = None, **options: Any) -> None:
        if batcher is None:
            strategy = options.pop("strategy", None)
            if strategy is None:
                raise batcher_error("INVALID_OPTION", "batch_stream needs `batcher` or `strategy` (with that strategy's options)", option="strategy")
            stream_keys = set(_native.registry()["stream_options"])
            own = {k: v for k, v in options.items() if k not in stream_keys}
            options = {k: v for k, v in options.items() if k in stream_keys}
            batcher = create_batcher(strategy, **own)
            others = list(own)
        else:
            others = []
        self.batcher = batcher
        self._source = source
        self._resolved = _native.stream_options(options, others, batcher.strategy, batcher._wire)
        self.buffer_size: int = self._resolved["buffer_size"]
        self.rejects: List[Dict[str, Any]] = []
        self.dropped: List[Dict[str, Any]] = []

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        r = self._resolved
        entries: Iterator[_Entry] = ((s, i, False) for i, s in enumerate(self._source))
        if r["shuffle"] and r["shuffle_buffer"] > 0:
            entries = _ShuffleBuffer(r["shuffle_buffer"], r["shuffle_seed"], r["epoch"])(entries)
        carried: List[_Entry] = []
        step, buffer_index, ended = 0, 0, False
        while not ended or carried:
            buffer = carried
            while not ended and len(buffer) < self.buffer_size:
                entry = next(entries, None)
                if entry is None:
                    ended = True
                else:
                    buffer.append(entry)
            if not buffer:
                break
            batches, carried, step = self._plan(buffer, ended, step, buffer_index)
            buffer_index += 1
            yield from batches

    def _plan(self, entries: List[_Entry], last: bool, step: int, buffer_index: int) -> Tuple[List[Dict[str, Any]], List[_Entry], int]:
        r = self._resolved
        carrying = r["carry"] and not last
        request: Dict[str, Any] = {"world_size": r["world_size"], "rank": r["rank"], "leftover": r["leftover"] if last else "hold", "carry": carrying, "shuffle": r["shuffle"]}
        if carrying:
            request["max_carry"] = r["max_carry"]
        if r["shuffle"]:
            request.update(shuffle_seed=r["shuffle_seed"], epoch=r["epoch"], buffer_index=buffer_index)
        samples = [e[0] for e in entries]
        try:
            plan = self.batcher.plan(samples, request, [e[2] for e in entries])
        except _native.BatcherError as error:
            if getattr(error, "index", None) is not None and getattr(error, "detail", None) is not None:
                at = entries[error.index][1]  # type: ignore[attr-defined]
                moved = batcher_error(error.code, f"stream sample {at}: {str(error).split(': ', 1)[1]}", index=at)  # type: ignore[attr-defined]
                moved.format, moved.detail = error.format, error.detail  # type: ignore[attr-defined]
                raise moved from error
            raise
        for rej in plan["rejects"]:
            at = entries[rej["index"]][1]
            self.rejects.append({**rej, "index": at, "message": f"stream sample {at}: {rej['message'].split(': ', 1)[1]}", "sample": entries[rej["index"]][0]})
        for i in plan["dropped"]:
            self.dropped.append({"index": entries[i][1], "sample": entries[i][0]})
        carried = [(entries[i][0], entries[i][1], True) for i in plan["held"]]
        batches = _shape(plan, samples, ranks=True, rank=r["rank"], step_base=step)
        for b in batches:
            b["indices"] = [entries[i][1] for i in b["indices"]]
        return list(batches), carried, step + (len(plan["offsets"]) - 1) // plan["world_size"]


def batch_stream(source: Iterable[Any], batcher: Optional[Batcher] = None, **options: Any) -> BatchStream:
    """Batches a stream: ``batch_stream(samples, batcher, buffer_size=1024, carry=True)``, or
    ``batch_stream(samples, strategy="balanced", batch_size=32, ...)``. Options as the npm
    package's ``batchStream``, in snake_case: ``buffer_size``, ``carry``, ``max_carry``,
    ``world_size``, ``rank``, ``leftover``, ``shuffle``, ``shuffle_seed``, ``epoch``,
    ``shuffle_buffer``."""
    return BatchStream(source, batcher, **options)
