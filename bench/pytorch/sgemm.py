#!/usr/bin/python3
"""Float32 matrix products timed with numpy (OpenBLAS) and torch.mm.

    python3 bench/pytorch/sgemm.py --threads 2 --min-time 0.3 square1024:N:N:1024:1024:1024 ...

Each shape is name:TA:TB:M:N:K (TA, TB: N or T), the operands of
C = op(A)·op(B) with op(A) M×K and op(B) K×N, all row-major; a transposed
operand is stored transposed and multiplied through a transposed view, so
the BLAS sees the same layout as cnnlab's gemm.Sgemm with transA/transB.
Each product runs once to warm up, then repeats for at least --min-time
seconds (and 3 times). Prints one line per library and shape, with the
mean and the rate at the 10th percentile of call times (the steadier
measure on a shared machine; both include Python's call overhead, about a
microsecond):

    result impl=numpy shape=square1024 m=1024 n=1024 k=1024 gflops=123.4 p10_gflops=130.2

OPENBLAS_NUM_THREADS and OMP_NUM_THREADS default to --threads; torch gets
torch.set_num_threads(--threads). Runs with Debian's /usr/bin/python3 and the
packages python3-numpy, python3-torch and libopenblas0-pthread.
"""

import argparse
import os
import sys
import time


def parse_shape(s):
    """Parses name:TA:TB:M:N:K."""
    parts = s.split(":")
    if len(parts) != 6 or parts[1] not in "NT" or parts[2] not in "NT":
        raise argparse.ArgumentTypeError("shape %r: want name:TA:TB:M:N:K with TA, TB N or T" % s)
    try:
        m, n, k = (int(p) for p in parts[3:])
    except ValueError:
        raise argparse.ArgumentTypeError("shape %r: M, N, K must be whole numbers" % s)
    if min(m, n, k) < 1:
        raise argparse.ArgumentTypeError("shape %r: M, N, K must be ≥ 1" % s)
    return parts[0], parts[1] == "T", parts[2] == "T", m, n, k


def timed(run, min_time):
    """Runs run once, then repeatedly for min_time seconds; returns the mean
    seconds per call and the 10th percentile of call times."""
    run()
    reps, start, times = 0, time.perf_counter(), []
    while True:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and reps >= 3:
            times.sort()
            return elapsed / reps, times[len(times) // 10]


def main(argv):
    ap = argparse.ArgumentParser(description="float32 matmul with numpy and torch")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per shape and library")
    ap.add_argument("--impl", default="numpy,torch", help="comma-separated: numpy, torch")
    ap.add_argument("shapes", nargs="+", type=parse_shape)
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import numpy as np
    impls = args.impl.split(",")
    torch = None
    if "torch" in impls:
        import torch
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(1)
    for name, ta, tb, m, n, k in args.shapes:
        a = rng.random((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.random((n, k) if tb else (k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        for impl in impls:
            if impl == "numpy":
                x, y = (a.T if ta else a), (b.T if tb else b)
                sec, p10 = timed(lambda: np.matmul(x, y, out=c), args.min_time)
            elif impl == "torch":
                ta_, tb_, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
                x, y = (ta_.t() if ta else ta_), (tb_.t() if tb else tb_)
                sec, p10 = timed(lambda: torch.mm(x, y, out=tc), args.min_time)
            else:
                ap.error("unknown --impl %r (want numpy or torch)" % impl)
            print("result impl=%s shape=%s m=%d n=%d k=%d gflops=%.1f p10_gflops=%.1f"
                  % (impl, name, m, n, k, flops / sec / 1e9, flops / p10 / 1e9), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
