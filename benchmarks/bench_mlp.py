"""Benchmark: training a 784-256-10 MLP with course_lib, scikit-learn and Keras on the CPU.

All three train the same architecture (784 inputs, 256 ReLU units, 10 softmax outputs, cross-entropy) with Adam
(learning rate 1e-3), mini-batches of 128, for 5 epochs, on the same synthetic float32 data set (20,000 samples
drawn from 10 Gaussian class clusters in 784 dimensions, fixed seed). Reported for each: the wall-clock time of
training (best of ``--repeats`` runs, each from fresh initial weights, after an untimed warm-up run of each
library on 256 samples), the final training accuracy (evaluated on
the whole training set after training), and the achieved throughput in the conventional count of
6 x n_weights x samples x epochs floating-point operations (2 for the forward and 4 for the backward pass per
weight and sample), compared with the float32 matrix-multiply throughput measured on this machine in the same
run.

Run::

    python benchmarks/bench_mlp.py            # the full benchmark
    python benchmarks/bench_mlp.py --quick    # a small smoke run (seconds)

This is a script, not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported (later, for part c)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import course_lib  # noqa: E402
from course_lib import MLP, Adam, fit  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 784, 256, 10
LR = 1e-3
EPS = 1e-7  # Keras' and course_lib's Adam epsilon; scikit-learn's default is 1e-8, so it is set explicitly


def make_data(n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A learnable synthetic problem: 10 Gaussian clusters in 784 dimensions whose centres differ in a random
    50-dimensional subspace, with unit-variance noise in every dimension; the clusters overlap enough that 5 epochs
    do not reach 100 % training accuracy. float32, standardised features."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(N_IN, 50)))[0]  # (784, 50), orthonormal columns
    centres = rng.normal(scale=0.2, size=(N_OUT, 50)) @ basis.T  # (10, 784)
    y = rng.integers(0, N_OUT, size=n_samples)
    X = centres[y] + rng.normal(size=(n_samples, N_IN))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float32), y.astype(np.int64)


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 matrix-multiply throughput (best of ``repeats``), GFLOP/s, for (n, n) @ (n, n)."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, n), dtype=np.float32)
    B = rng.standard_normal((n, n), dtype=np.float32)
    C = np.empty((n, n), dtype=np.float32)
    for _ in range(2):  # warm-up
        np.matmul(A, B, out=C)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9


WARM_UP = 256  # samples of an untimed first run: imports, thread pools, (for Keras) tracing the train step


class CourseLib:
    name = "course_lib"

    def __init__(self, X, y, epochs, batch_size):
        self.X, self.y, self.epochs, self.batch_size = X, y, epochs, batch_size
        fit(MLP([N_IN, N_HIDDEN, N_OUT]), X[:WARM_UP], y[:WARM_UP], Adam(LR), epochs=1, batch_size=batch_size,
            progress=False)
        self.note = "fit(model, X, y, Adam(1e-3, eps=1e-7), ..., progress=False), float32"

    def run(self) -> float:
        self.model = MLP([N_IN, N_HIDDEN, N_OUT], activation="relu", output="softmax", seed=0)
        t0 = time.perf_counter()
        fit(self.model, self.X, self.y, Adam(LR, eps=EPS), epochs=self.epochs, batch_size=self.batch_size, seed=0,
            progress=False)
        return time.perf_counter() - t0

    def accuracy(self) -> float:
        return float(np.mean(self.model.predict(self.X) == self.y))


class SkLearn:
    name = "sklearn"

    def __init__(self, X, y, epochs, batch_size):
        import sklearn

        self.X, self.y, self.epochs, self.batch_size = X, y, epochs, batch_size
        self._fit(WARM_UP)
        self.note = (f"scikit-learn {sklearn.__version__} MLPClassifier(solver='adam', alpha=0, epsilon=1e-7), "
                     f"weights {self.clf.coefs_[0].dtype}")

    def _fit(self, n: int) -> float:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(
            hidden_layer_sizes=(N_HIDDEN,), activation="relu", solver="adam", alpha=0.0,
            batch_size=self.batch_size, learning_rate_init=LR, epsilon=EPS, max_iter=self.epochs, shuffle=True,
            tol=1e-12, n_iter_no_change=10**6, early_stopping=False, random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=5 is deliberate
            t0 = time.perf_counter()
            self.clf.fit(self.X[:n], self.y[:n])
            return time.perf_counter() - t0

    def run(self) -> float:
        return self._fit(len(self.X))

    def accuracy(self) -> float:
        return float(self.clf.score(self.X, self.y))


class Keras:
    """Keras 3 on the CPU. The training step is traced and compiled by a warm-up ``fit`` on a few mini-batches;
    before each timed ``fit``, weights and optimizer state are reset to the start (no new tracing)."""

    name = "keras"

    def __init__(self, X, y, epochs, batch_size):
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU only, even where a GPU is present
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras
        import tensorflow as tf

        self.X, self.y, self.epochs, self.batch_size = X, y, epochs, batch_size
        keras.utils.set_random_seed(0)
        self.model = keras.Sequential([
            keras.Input(shape=(N_IN,)),
            keras.layers.Dense(N_HIDDEN, activation="relu"),
            keras.layers.Dense(N_OUT, activation="softmax"),
        ])
        # the same initial weights as course_lib's MLP(seed=0) (the same [W1, b1, W2, b2] layout)
        self.initial = MLP([N_IN, N_HIDDEN, N_OUT], seed=0).get_weights()
        self.model.set_weights(self.initial)
        self.opt = keras.optimizers.Adam(learning_rate=LR, epsilon=EPS)
        self.model.compile(optimizer=self.opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.model.fit(X[:WARM_UP], y[:WARM_UP], epochs=1, batch_size=batch_size, verbose=0)  # warm-up
        threads = (tf.config.threading.get_intra_op_parallelism_threads(),
                   tf.config.threading.get_inter_op_parallelism_threads())
        self.note = (f"TensorFlow {tf.__version__} (CPU), Keras {keras.__version__}, intra/inter-op threads "
                     f"{threads} (0 = automatic); only fit() is timed, after a warm-up fit that traced and compiled "
                     "the train step")

    def run(self) -> float:
        self.model.set_weights(self.initial)
        for var in self.opt.variables:  # iterations and Adam moments back to zero; the learning rate stays
            if "learning_rate" not in var.path:
                var.assign(np.zeros(var.shape, dtype=var.dtype))
        t0 = time.perf_counter()
        self.model.fit(self.X, self.y, epochs=self.epochs, batch_size=self.batch_size, shuffle=True, verbose=0)
        return time.perf_counter() - t0

    def accuracy(self) -> float:
        return float(np.mean(self.model.predict(self.X, batch_size=1024, verbose=0).argmax(axis=1) == self.y))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run: 2,000 samples, 1 epoch, 1 repeat")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per library; the best is reported")
    parser.add_argument("--skip", nargs="*", default=[], choices=["sklearn", "keras"], help="libraries to skip")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.epochs, args.repeats = 2_000, 1, 1

    from threadpoolctl import threadpool_info

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, course_lib {course_lib.__version__}")
    print(f"CPU: {platform.processor() or platform.machine()}; os.cpu_count() = {os.cpu_count()}, "
          f"usable by this process = {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}")
    for pool in threadpool_info():
        print(f"  threadpool: {pool['internal_api']} {pool.get('version')} ({pool['prefix']}), "
              f"{pool['num_threads']} threads" + (f", arch {pool['architecture']}" if "architecture" in pool else ""))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE"):
        if var in os.environ:
            print(f"  {var}={os.environ[var]}")

    X, y = make_data(args.samples)
    n_weights = N_IN * N_HIDDEN + N_HIDDEN * N_OUT
    flops = 6.0 * n_weights * args.samples * args.epochs
    print(f"\nData: {args.samples} samples x {N_IN} features (float32), {N_OUT} classes; MLP {N_IN}-{N_HIDDEN}-"
          f"{N_OUT} ({n_weights} weights); Adam(lr={LR}, eps={EPS}), batch {args.batch_size}, {args.epochs} "
          f"epochs; best of {args.repeats} run(s)")
    mm_runs = [matmul_gflops()]

    libraries = [CourseLib(X, y, args.epochs, args.batch_size)]
    if "sklearn" not in args.skip:
        libraries.append(SkLearn(X, y, args.epochs, args.batch_size))
    if "keras" not in args.skip:
        libraries.append(Keras(X, y, args.epochs, args.batch_size))
    # The libraries take turns, so that a change in the machine's load during the run affects all of them alike.
    times = {lib.name: [] for lib in libraries}
    for _ in range(args.repeats):
        for lib in libraries:
            time.sleep(0.2)  # let the thread pools of the previous run go idle
            times[lib.name].append(lib.run())
        mm_runs.append(matmul_gflops())
    results = {lib.name: (min(times[lib.name]), lib.accuracy(), lib.note) for lib in libraries}
    mm = max(mm_runs)
    print(f"float32 matmul throughput, np.matmul of two 2048x2048 float32 matrices (best of 10 products, measured "
          f"before and after each round): {mm:.1f} GFLOP/s (measurements: {', '.join(f'{g:.0f}' for g in mm_runs)})")
    print("all timed runs (s): " + "; ".join(f"{k} " + ", ".join(f"{t:.3f}" for t in v) for k, v in times.items()))

    print(f"\n{'library':<11} {'time (s)':>9} {'train acc':>10} {'GFLOP/s':>8} {'of matmul':>10}   (best run)")
    for name, (t, acc, _) in results.items():
        gf = flops / t / 1e9
        print(f"{name:<11} {t:9.3f} {100 * acc:9.2f}% {gf:8.1f} {gf / mm:10.2f}")
    base_t, base_acc = results["course_lib"][:2]
    print()
    for name, (t, acc, _) in results.items():
        if name != "course_lib":
            print(f"{name}/course_lib time ratio: {t / base_t:.2f}x; accuracy difference "
                  f"{100 * (acc - base_acc):+.2f} points")
    print("\nNotes:")
    for name, (_, _, note) in results.items():
        print(f"  {name}: {note}")
    print(f"  GFLOP/s counts 6 x {n_weights} weights x {args.samples} samples x {args.epochs} epochs = "
          f"{flops / 1e9:.1f} GFLOP for every library, whatever each actually computes.")


if __name__ == "__main__":
    main()
