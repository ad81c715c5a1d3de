"""``BatcherError``: every error this library raises on purpose (the Rust core's codes)."""

from __future__ import annotations

from typing import Optional

from ._native import BatcherError

__all__ = ["BatcherError", "batcher_error"]


def batcher_error(code: str, message: str, index: Optional[int] = None, option: Optional[str] = None) -> BatcherError:
    """A ``BatcherError`` raised by the Python side (input shapes only: every rule is Rust's)."""
    error = BatcherError(message)
    error.code = code  # type: ignore[attr-defined]
    error.index = index  # type: ignore[attr-defined]
    error.option = option  # type: ignore[attr-defined]
    error.format = None  # type: ignore[attr-defined]
    error.detail = None  # type: ignore[attr-defined]
    return error
