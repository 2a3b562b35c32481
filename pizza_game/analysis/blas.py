"""One BLAS thread while an analysis runs.

The analysis multiplies only small matrices (the largest: the Gram matrix of the CR2 degrees of
freedom, a few hundred rows by the clusters, ``stats._satterthwaite_df``). numpy's OpenBLAS
splits such a product over every core, and its threads then spin waiting for the next one: on
two busy cores at 180 days of history the product took 4-8 ms instead of 0.13 ms, and the
spinning threads slowed everything after it, analyse() 357 ms instead of 251 ms (median of 5).
OpenBLAS splits the output of a product among its threads, not the sums behind each number, so
the numbers are the same (every field of the AnalysisResult equal at 7 and 180 days and over a
season).

The library is the OpenBLAS that numpy's wheels bundle (``numpy.libs`` next to the package);
where numpy uses another BLAS, nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
import threading
from collections.abc import Callable, Iterator

import numpy as np

# (get, set) thread-count functions of the OpenBLAS builds numpy has shipped: 64-bit integer
# interface first.
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_lock = threading.Lock()
_held = {"depth": 0, "threads": 0}  # analyses running, and the count to restore after the last


@functools.cache
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """The (get, set) thread counts of numpy's bundled OpenBLAS, or None without one."""
    pattern = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")
    for path in sorted(glob.glob(pattern)):
        try:
            library = ctypes.CDLL(path)  # the copy numpy loaded: the same file is opened once
        except OSError:
            continue
        for get, set_ in _SYMBOLS:
            if hasattr(library, get) and hasattr(library, set_):
                getter, setter = getattr(library, get), getattr(library, set_)
                getter.restype, getter.argtypes = ctypes.c_int, []
                setter.restype, setter.argtypes = None, [ctypes.c_int]
                return getter, setter
    return None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """OpenBLAS on one thread inside, its own count again after (analyses running side by side
    in threads restore it when the last one ends)."""
    found = _openblas()
    if found is None:
        yield
        return
    get, set_ = found
    with _lock:
        if _held["depth"] == 0:
            _held["threads"] = get()
            set_(1)
        _held["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _held["depth"] -= 1
            if _held["depth"] == 0:
                set_(_held["threads"])
