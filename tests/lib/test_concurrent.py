"""hocbaso.signing.concurrent: the records of a run signed side by side, the key used by one
thread at a time, each outcome (or its error) in its place."""

import threading
import time

import pytest

from hocbaso.errors import SigningError
from hocbaso.signing import concurrent
from hocbaso.signing.base import Signer


class SlowSigner(Signer):
    """Notes how many threads are inside ``sign`` at once."""

    certificate = None

    def __init__(self):
        self.inside = self.most_inside = 0
        self.lock = threading.Lock()
        self.closed = False

    def sign(self, data):
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.02)
        with self.lock:
            self.inside -= 1
        return b"signed:" + data

    def close(self):
        self.closed = True


def test_the_key_is_used_by_one_thread_at_a_time():
    raw = SlowSigner()
    signer = concurrent.SerialSigner(raw)
    results = concurrent.each([b"%d" % i for i in range(12)], signer.sign, at_once=6)
    assert results == [b"signed:%d" % i for i in range(12)]
    assert raw.most_inside == 1
    signer.close()
    assert raw.closed


def test_the_waits_overlap_and_errors_stay_in_their_place():
    inside = [0, 0]  # now, most
    lock = threading.Lock()

    def work(job):
        with lock:
            inside[0] += 1
            inside[1] = max(inside[1], inside[0])
        time.sleep(0.05)  # a token on its way
        with lock:
            inside[0] -= 1
        if job == 3:
            raise SigningError("The record %(n)s could not be signed.", n=job)
        return job * 10

    results = concurrent.each(list(range(8)), work, at_once=4)
    assert [r for i, r in enumerate(results) if i != 3] == [0, 10, 20, 40, 50, 60, 70]
    assert isinstance(results[3], SigningError)
    assert 2 <= inside[1] <= 4


@pytest.mark.parametrize("at_once", [1, 8])
def test_one_at_a_time_when_asked_or_alone(at_once):
    seen = []
    results = concurrent.each([1], lambda job: seen.append(threading.current_thread()) or job,
                              at_once=at_once)
    assert results == [1]
    assert seen == [threading.main_thread()]
