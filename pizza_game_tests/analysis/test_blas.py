"""The analysis runs on one BLAS thread and gives the process its own count back after."""

import threading

import pytest

from pizza_game.analysis import blas


def _thread_count():
    found = blas._openblas()
    if found is None:
        pytest.skip("numpy uses no bundled OpenBLAS here: nothing to set")
    return found[0]


def test_one_thread_inside_and_the_count_restored_after():
    get = _thread_count()
    before = get()
    with blas.one_blas_thread():
        assert get() == 1
        with blas.one_blas_thread():
            assert get() == 1
        assert get() == 1  # an inner end leaves the outer on one thread
    assert get() == before


def test_analyses_side_by_side_restore_the_count_when_the_last_ends():
    get = _thread_count()
    before = get()
    entered, release = threading.Barrier(2), threading.Event()
    seen = []

    def analysis():
        with blas.one_blas_thread():
            entered.wait()
            release.wait()
            seen.append(get())

    other = threading.Thread(target=analysis)
    other.start()
    with blas.one_blas_thread():
        entered.wait()
        release.set()
        other.join()
        assert get() == 1  # the other one ended first: this one still runs on one thread
    assert seen == [1] and get() == before
