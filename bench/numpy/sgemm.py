#!/usr/bin/env python3
"""Time float32 matrix products with numpy, to set beside cnnlab's SGEMM.

Usage:
    sgemm.py [--threads N] [--repeats R] SHAPE...

SHAPE is MxNxK, optionally followed by :TT where each T is N (as stored) or
T (transposed) for A and B, as in Sgemm(transA, transB, m, n, k, ...):
    1024x1024x1024        C(1024×1024) = A(1024×1024)·B(1024×1024)
    576x128x32768:TN      C = Aᵀ·B with A stored 32768×576
    32768x576x128:NT      C = A·Bᵀ with B stored 576×128

For each shape it prints one line "SHAPE GFLOP/s": the best of R timed runs,
each at least 0.2 s of repeated products into a preallocated C. The BLAS
thread count is set with threadpoolctl; the library and kernel in use are
printed on stderr. To hold OpenBLAS to its AVX2 kernels:
    OPENBLAS_CORETYPE=Haswell python3 sgemm.py --threads 2 1024x1024x1024
"""

import argparse
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def parse_shape(text):
    """Return (m, n, k, transA, transB) for "MxNxK[:TT]"."""
    dims, _, trans = text.partition(":")
    trans = trans or "NN"
    parts = dims.split("x")
    if len(parts) != 3 or len(trans) != 2 or any(t not in "NT" for t in trans):
        raise ValueError(f"shape {text!r}: want MxNxK or MxNxK:TT with T in N, T")
    m, n, k = (int(p) for p in parts)
    return m, n, k, trans[0] == "T", trans[1] == "T"


def gflops(m, n, k, trans_a, trans_b, repeats, rng):
    a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(op_a, op_b, out=c)
    best = float("inf")
    for _ in range(repeats):
        runs, start = 0, time.perf_counter()
        while True:
            np.matmul(op_a, op_b, out=c)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= 0.2:
                break
        best = min(best, elapsed / runs)
    return 2 * m * n * k / best / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per shape; the best is printed")
    parser.add_argument("shapes", nargs="+", metavar="SHAPE", help="MxNxK or MxNxK:TT")
    args = parser.parse_args()
    shapes = []
    for text in args.shapes:
        try:
            shapes.append((text, parse_shape(text)))
        except ValueError as err:
            parser.error(str(err))
    rng = np.random.default_rng(1)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                print(f"{info.get('internal_api')} {info.get('version')} "
                      f"{info.get('architecture')} threads={info.get('num_threads')}", file=sys.stderr)
        for text, (m, n, k, ta, tb) in shapes:
            print(f"{text} {gflops(m, n, k, ta, tb, args.repeats, rng):.1f}", flush=True)


if __name__ == "__main__":
    main()
