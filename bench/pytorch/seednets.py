#!/usr/bin/python3
"""The seed networks of cnnlab in PyTorch, timed the way `cnnlab bench` times them.

    python3 bench/pytorch/seednets.py check
    python3 bench/pytorch/seednets.py net mnist   --batch 64  --images 8192 --threads 2
    python3 bench/pytorch/seednets.py net cifar10 --batch 128 --images 1024 --threads 2

`net` builds the network of experiments/seed/mnist.yaml or
experiments/seed/cifar10.yaml layer by layer (same order, padding, dropout
rates and batch norm placement; batch norm momentum 0.1 and epsilon 1e-5 are
cnnlab's defaults too), with the file's loss (cross-entropy on the logits,
plus (l2/2)·Σw² over conv and dense weights when the file sets l2; both files
set 0) and optimizer (Adam, β 0.9/0.999, ε 1e-8, the file's learning rate).
It trains on random inputs of the data set's shape (pixels uniform in [0, 1],
random labels) for N images (rounded up to whole batches) after a warm-up of
3 steps, on the CPU with torch.set_num_threads(T), then infers as many images
in eval mode. The parameter count is checked against `cnnlab summary`.

It prints one line of key=value pairs:

    result net=mnist params=607394 batch=64 threads=2 images=8192 train_img_s=2345.6 infer_img_s=9876.5

`check` reports what is missing (python3-torch, python3-numpy,
libopenblas0-pthread) and exits 1, or prints the versions and the BLAS
library in use.

Environment: OPENBLAS_NUM_THREADS and OMP_NUM_THREADS default to T. To hold
PyTorch to AVX2 on an AVX-512 machine, set ONEDNN_MAX_CPU_ISA=AVX2
DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell (bench/compare does).
Runs with Debian's /usr/bin/python3 and the packages python3-torch and
libopenblas0-pthread.
"""

import argparse
import os
import sys
import time

# Parameters of the seed networks as `cnnlab summary FILE` counts them
# (batch norm: gamma and beta; running statistics are not parameters).
EXPECTED_PARAMS = {"mnist": 607394, "cifar10": 2519178}

# The train: sections of the seed files.
RECIPES = {
    "mnist": {"lr": 0.002, "l2": 0.0, "batch": 32},
    "cifar10": {"lr": 0.001, "l2": 0.0, "batch": 128},
}


def set_thread_env(threads):
    """Sets the BLAS and OpenMP thread counts before torch or numpy loads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


def check():
    """Prints the versions and BLAS in use, or what is missing; returns the exit code."""
    missing = []
    try:
        import numpy
    except ImportError:
        missing.append("python3-numpy")
        numpy = None
    try:
        import torch
    except ImportError:
        missing.append("python3-torch")
        torch = None
    blas = ""
    if numpy is not None:
        a = numpy.ones((64, 64), numpy.float32)
        a @ a  # loads the BLAS library
        blas = loaded_blas()
        if "openblas" not in blas:
            missing.append("libopenblas0-pthread")
    if missing:
        print("missing: " + " ".join(missing))
        print("install: apt-get install python3-torch libopenblas0-pthread")
        return 1
    print("ok torch=%s numpy=%s onednn_isa=%s blas=%s openblas_core=%s" % (
        torch.__version__, numpy.__version__, onednn_isa(), blas, openblas_core(blas)))
    return 0


def onednn_isa():
    """The instruction set oneDNN picks for convolutions here, as its verbose mode reports it."""
    import subprocess
    code = ("import torch; torch.nn.functional.conv2d(torch.rand(32, 3, 32, 32), "
            "torch.rand(64, 3, 3, 3), padding=1)")
    env = dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    for line in out.splitlines():
        if ",isa:" in line:
            return line.split(",isa:", 1)[1].strip().replace(" ", "_")
    return "none"  # convolutions do not go through oneDNN


def openblas_core(path):
    """The core type OpenBLAS runs its kernels for (openblas_get_corename)."""
    import ctypes
    try:
        f = ctypes.CDLL(path).openblas_get_corename
    except (OSError, AttributeError):
        return "unknown"
    f.restype = ctypes.c_char_p
    return f().decode()


def loaded_blas():
    """The path of the BLAS library mapped into this process, or ''."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return ""
    for p in sorted(paths):
        if "openblas" in p and "libopenblas" in os.path.basename(p):
            return p
    for p in sorted(paths):
        if os.path.basename(p).startswith("libblas"):
            return p
    return ""


def build(net):
    """Returns the PyTorch twin of experiments/seed/<net>.yaml."""
    from torch import nn

    if net == "mnist":
        # conv 28@3×3 valid relu → maxpool 2 → flatten → dense 128 relu → dense 10
        return nn.Sequential(
            nn.Conv2d(1, 28, 3, stride=1, padding=0), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(13 * 13 * 28, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )
    if net == "cifar10":
        layers = []
        cin = 3
        # 4 × [conv 3×3 same → maxpool 2 → relu → batchnorm]
        for cout in (64, 128, 256, 512):
            layers += [nn.Conv2d(cin, cout, 3, stride=1, padding=1),
                       nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)]
            cin = cout
        layers.append(nn.Flatten())
        fin = 2 * 2 * 512
        # 4 × [dense → relu → dropout 0.3 → batchnorm]
        for units in (128, 256, 512, 1024):
            layers += [nn.Linear(fin, units), nn.ReLU(), nn.Dropout(0.3),
                       nn.BatchNorm1d(units, eps=1e-5, momentum=0.1)]
            fin = units
        layers.append(nn.Linear(fin, 10))
        return nn.Sequential(*layers)
    raise ValueError("unknown network %r (want mnist or cifar10)" % net)


INPUT_SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}


def bench_net(net, batch, images, threads, seed=1):
    """Trains and infers net on random inputs; returns the result line."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = build(net)
    params = sum(p.numel() for p in model.parameters())
    if params != EXPECTED_PARAMS[net]:
        raise SystemExit("%s: %d parameters, cnnlab counts %d: the networks differ"
                         % (net, params, EXPECTED_PARAMS[net]))
    recipe = RECIPES[net]
    batch = batch or recipe["batch"]
    opt = torch.optim.Adam(model.parameters(), lr=recipe["lr"], betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    weights = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    x = torch.rand((batch,) + INPUT_SHAPES[net])
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        if recipe["l2"] > 0:
            loss = loss + 0.5 * recipe["l2"] * sum((w * w).sum() for w in weights)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(3):  # warm-up
        step()
    steps = max(1, -(-images // batch))
    start = time.perf_counter()
    for _ in range(steps):
        step()
    train = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        model(x)  # warm up eval mode
        start = time.perf_counter()
        for _ in range(steps):
            model(x)
        infer = time.perf_counter() - start
    n = steps * batch
    return ("result net=%s params=%d batch=%d threads=%d images=%d train_img_s=%.1f infer_img_s=%.1f"
            % (net, params, batch, threads, n, n / train, n / infer))


def main(argv):
    ap = argparse.ArgumentParser(description="cnnlab's seed networks in PyTorch")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="report the versions and BLAS, or what is missing")
    p = sub.add_parser("net", help="time training and inference of a seed network")
    p.add_argument("net", choices=sorted(EXPECTED_PARAMS))
    p.add_argument("--batch", type=int, default=0, help="batch size (default: the file's)")
    p.add_argument("--images", type=int, default=4096, help="images to train on after the warm-up")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads")
    args = ap.parse_args(argv)
    if args.cmd == "check":
        return check()
    if args.batch < 0 or args.images < 1 or args.threads < 1:
        ap.error("--batch must be ≥ 0, --images and --threads ≥ 1")
    set_thread_env(args.threads)
    print(bench_net(args.net, args.batch, args.images, args.threads), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
