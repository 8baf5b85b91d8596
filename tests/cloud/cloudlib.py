"""cloudlib.py - what the Pluto Cloud checks and bench/cloud_bench.py share:
collected check failures, and client-made run ids (UUIDv7)."""
import os
import sys
import time

FAILS = []


def check(cond, what):
    """Record a failed expectation (the script goes on, and exits 1 at the end)."""
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, file=sys.stderr)


def uuid7():
    """A UUIDv7: 48 bits of milliseconds, version 7, random bits."""
    ms = int(time.time() * 1000)
    r = int.from_bytes(os.urandom(10), "big")
    n = (ms << 80) | (0x7 << 76) | ((r >> 68) & 0xFFF) << 64 | (0b10 << 62) | (r & ((1 << 62) - 1))
    h = "%032x" % n
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
