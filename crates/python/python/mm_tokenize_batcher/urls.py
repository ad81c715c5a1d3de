"""Image sizes from URLs: HTTP Range requests (httpx) for the prefix ladder's passes, at most
``concurrency`` at a time, each within ``timeout_ms``. The ladder and its rungs are the core's
(``read_header_pass``); a URL that fails (HTTP status, refused, DNS, timeout) is a reject naming
it, never an exception of the whole call."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _native

FIRST_PREFIX = 2 * 1024  # the ladder's first rung (crates/formats/src/ladder.rs)


class _Failed(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def _read(client: Any, url: str, limit: float) -> Tuple[bytes, float]:
    """The first ``limit`` bytes of ``url`` (``inf``: all of it) and the file's length."""
    import httpx

    headers = {} if math.isinf(limit) else {"Range": f"bytes=0-{int(limit) - 1}"}
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                raise _Failed("READ_FAILED", f"{url}: HTTP {response.status_code}")
            if response.status_code == 206:
                total = response.headers.get("content-range", "").rpartition("/")[2]
                length = float(total) if total.isdigit() else math.inf
            else:  # the server ignored Range: read what the pass needs, then stop
                size = response.headers.get("content-length", "")
                length = float(size) if size.isdigit() else math.inf
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= limit:
                    break
            data = bytes(body if math.isinf(limit) else body[: int(limit)])
            if response.status_code == 200 and math.isinf(length) and len(body) < limit:
                length = float(len(data))
            return data, length
    except httpx.TimeoutException as error:
        raise _Failed("TIMEOUT", f"{url}: no answer within the timeout ({type(error).__name__})") from None
    except httpx.HTTPError as error:
        raise _Failed("READ_FAILED", f"{url}: {type(error).__name__}: {error}") from None


def image_sizes_from_urls(urls: Sequence[str], *, concurrency: Optional[int] = None, timeout_ms: Optional[float] = None) -> List[Dict[str, Any]]:
    """``{"height", "width", "bytes_read"}`` per URL, or a reject ``{"index", "code",
    "message", "bytes_read"}`` (``READ_FAILED``: HTTP status, network; ``TIMEOUT``; the
    header's own codes). Defaults: the core's (``concurrency`` 16)."""
    import httpx

    options = {k: v for k, v in (("concurrency", concurrency), ("timeout_ms", timeout_ms)) if v is not None}
    workers, timeout = _native.url_options(options)
    n = len(urls)
    out: List[Optional[Dict[str, Any]]] = [None] * n
    read = [0] * n
    pending = [(k, float(FIRST_PREFIX)) for k in range(n)]
    timeouts = httpx.Timeout(None if timeout is None else timeout / 1000)
    with httpx.Client(timeout=timeouts, follow_redirects=True) as client, ThreadPoolExecutor(max_workers=workers) as pool:
        while pending:
            def fetch(item: Tuple[int, float]) -> Any:
                try:
                    return _read(client, urls[item[0]], item[1])
                except _Failed as failed:
                    return failed

            results = list(pool.map(fetch, pending))
            asked, prefixes, lengths = [], [], []
            for (k, _), result in zip(pending, results):
                if isinstance(result, _Failed):
                    out[k] = {"index": k, "code": result.code, "format": None, "detail": result.detail, "message": f"url {k}: {result.detail}", "bytes_read": read[k]}
                    continue
                data, length = result
                read[k] += len(data)
                asked.append(k)
                prefixes.append(data)
                lengths.append(length)
            widths, heights, more, failures = _native.read_header_pass(prefixes, lengths)
            failed = {f["index"]: f for f in failures}
            pending = []
            for j, k in enumerate(asked):
                if j in failed:
                    f = failed[j]
                    detail = f"{urls[k]}: {(f['format'] + ': ') if f['format'] else ''}{f['detail']}"
                    out[k] = {"index": k, "code": f["code"], "format": f["format"], "detail": f["detail"], "message": f"url {k}: {detail}", "bytes_read": read[k]}
                elif more[j] > 0:
                    pending.append((k, more[j]))
                else:
                    out[k] = {"height": int(heights[j]), "width": int(widths[j]), "bytes_read": read[k]}
    return out  # type: ignore[return-value]
