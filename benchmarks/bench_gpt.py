"""Benchmark: training and sampling course_lib's GPT against the same model in Keras 3, on the CPU.

Both libraries train the same character-level GPT on tiny Shakespeare (the 65-character vocabulary of
``course_lib/data/tinyshakespeare.txt``): the same architecture (``course_lib.keras_gpt.build_keras_gpt`` is
``course_lib.gpt.GPT`` in Keras layers), the same initial weights (course_lib's ``GPT(seed=0)``, copied into
Keras), the same sequence of mini-batches (``steps`` x ``batch`` windows of ``context`` characters drawn once
with a fixed seed from the first 90 % of the text, in the same order, no shuffling), and the same optimizer:
AdamW with learning rate 1e-3, weight decay 0.1 on every parameter (Keras' default selection), beta 0.9/0.999,
epsilon 1e-7, no schedule, no clipping. On the Keras side that is ``course_lib.keras_gpt.make_keras_adamw``,
``keras.optimizers.AdamW`` with the embeddings' sparse gradients made dense first: the stock optimizer updates
embedding rows of tokens that occur several times in a batch by up to sqrt(occurrences) times Adam's step
(``--keras-stock-adamw`` shows its effect on the losses). Two sizes:

- ``chapter``: the model of chapter "A GPT from scratch", d_model 64, 4 heads, 2 layers, context 64, batch 32;
- ``d256``: d_model 256, 8 heads, 4 layers, context 64, batch 32.

Keras runs ``model.fit`` on the whole fixed sequence (one epoch, ``shuffle=False``) after ``model.compile`` with
``jit_compile=False`` and with ``jit_compile=True`` (XLA), each traced and compiled by an untimed warm-up fit;
the table shows both. course_lib runs the plain loop ``loss, grads = model.loss_and_grads(X, Y);
optimizer.step(model.params, grads)``. Each timed run starts from the same weights and a fresh optimizer state;
the libraries take turns, and the best of ``--repeats`` runs is reported. Threads: by default each library's own
choice (course_lib: ``GPT.n_threads`` parts of each batch in parallel threads with ``GPT.blas_threads`` BLAS
threads; TensorFlow: its automatic pools); ``--threads N`` gives both N threads in all, which makes the
comparison robust on a machine where other processes compete for the cores.

Reported per library: training tokens per second (``steps x batch x context`` / time), the mean training loss
over the run and the validation loss after it (on fixed windows of the last 10 % of the text): with the same
start, data and optimizer, the two libraries follow the same trajectory up to float32 rounding, so these agree
to about 1e-6; the largest weight difference after training is printed too. Achieved throughput counts

    FLOPs per token = 6 N + 12 L T d,   N = n_params - (V + T) d,

the count behind "model FLOPs utilisation" (Chowdhery et al. 2022, PaLM, appendix B; 6 N from Kaplan et al.
2020): 2 FLOPs per weight of every matrix product forward and 4 backward (the embeddings are lookups and do not
count), plus the attention scores Q K^T and the weighted values P V (2 T d each per token and layer forward,
twice that backward, over the full T x T, as both libraries compute it). It is compared with the float32
matrix-multiply throughput of np.matmul measured in the same run. Generation (course_lib only): tokens per second
of ``GPT.generate`` for batch 1, a 16-character prompt, with and without the key/value cache, both for 48 new
tokens (prompt plus new tokens fill the context exactly) and for 200 (past the context, where the window slides
and the cache is rebuilt at every step, since every token's position changes).

Decoding throughput against the batch size (chapter "What large models cost"): ``GPT.generate`` with the key/value
cache, ``n_new`` new tokens after a one-token prompt for each of B sequences, for B from 1 to 128, with an
untrained GPT of d_model 384, 6 heads, 4 layers, context 64 (the time of a step does not depend on the weights'
values), best of ``--repeats`` interleaved runs. Each step is placed on a roofline: FLOPs per step
``B * (2 N_mm + 4 L t d)`` (``course_lib.cost.inference_flops_per_token``, N_mm the weights of the matrix
products, t the mean cache length), bytes per step the weights read once plus the key/value cache
(``course_lib.cost.kv_cache_bytes``), against the float32 matmul peak of one core (``GPT.blas_threads`` is 1
during generation) and the copy bandwidth of an array the size of the weights (``course_lib.cost.measure_bandwidth``).
While the intensity is below the ridge point the step is memory-bound: tokens per second grow almost in proportion
to B.

Run::

    python benchmarks/bench_gpt.py              # the full benchmark (about 5 minutes on 2 idle cores)
    python benchmarks/bench_gpt.py --threads 1  # both libraries on one thread (robust on a busy machine)
    python benchmarks/bench_gpt.py --quick      # a smoke run (a minute or two)
    python benchmarks/bench_gpt.py --decode-only  # only decoding throughput against the batch size (a minute)
    python benchmarks/bench_gpt.py --decode-only --lora  # ... and a LoRA step against a full fine-tuning step
                                                         # (benchmarks/bench_lora.py, chapter 23)

This is a script, not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported (later, in KerasRunner)
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # deterministic float32 sums, as in the tests

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import course_lib  # noqa: E402
from course_lib import cost  # noqa: E402
from course_lib.datasets import lm_windows, load_tiny_shakespeare, split_text  # noqa: E402
from course_lib.gpt import GPT  # noqa: E402
from course_lib.optimizers import AdamW  # noqa: E402
from course_lib.tokenizers import CharTokenizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mlp import matmul_gflops  # noqa: E402  (the same float32 matmul measurement for both benchmarks)

LR, WEIGHT_DECAY, BETA1, BETA2, EPS = 1e-3, 0.1, 0.9, 0.999, 1e-7


@dataclass(frozen=True)
class Size:
    name: str
    d_model: int
    n_heads: int
    n_layers: int
    context: int = 64
    batch: int = 32


SIZES = {"chapter": Size("chapter", 64, 4, 2), "d256": Size("d256", 256, 8, 4)}


def flops_per_token(V: int, size: Size) -> float:
    """6 N + 12 L T d with N = n_params - (V + T) d, the weights of the matrix products (see the module doc)."""
    d, L, T = size.d_model, size.n_layers, size.context
    n_params = V * d + T * d + L * (12 * d * d + 13 * d) + 2 * d + d * V
    return 6.0 * (n_params - (V + T) * d) + 12.0 * L * T * d


class Data:
    """The fixed training batches and validation windows, as int64 arrays."""

    def __init__(self, size: Size, steps: int, n_val: int, seed: int = 0):
        text = load_tiny_shakespeare()
        self.tokenizer = CharTokenizer.train(text)
        train_text, val_text = split_text(text, 0.1)
        X, Y = lm_windows(np.array(self.tokenizer.encode(train_text)), size.context, stride=1)
        pick = np.random.default_rng(seed).choice(len(X), size=steps * size.batch, replace=False)
        self.X, self.Y = X[pick], Y[pick]  # batch s is rows s*batch:(s+1)*batch
        Xv, Yv = lm_windows(np.array(self.tokenizer.encode(val_text)), size.context)
        self.X_val, self.Y_val = Xv[:n_val], Yv[:n_val]
        self.prompt = np.array(self.tokenizer.encode(val_text[:16]))
        self.V = self.tokenizer.vocab_size

    def batches(self, batch: int):
        for s in range(0, len(self.X), batch):
            yield self.X[s:s + batch], self.Y[s:s + batch]


def max_weight_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """max over the weight arrays (in GPT.get_weights order) of max |a - b| / max |a|, leaving out the key biases
    b_k: they do not change the model's function (the softmax cancels them), their gradient is 0 up to rounding,
    and Adam turns that rounding noise into steps of +-lr that differ between any two implementations."""
    return max(float(np.abs(x - y).max() / max(np.abs(x).max(), 1e-30))
               for i, (x, y) in enumerate(zip(a, b)) if not (i >= 2 and (i - 2) % 16 == 5 and i < len(a) - 3))


class CourseLibRunner:
    name = "course_lib"
    variant = "NumPy, loss_and_grads + AdamW.step"

    def __init__(self, data: Data, size: Size, initial: list[np.ndarray], threads: int | None = None):
        self.data, self.size, self.initial = data, size, initial
        self.model = GPT(data.V, size.context, size.d_model, size.n_heads, size.n_layers, seed=0)
        if threads is not None:  # one thread in all: no parallel parts, one BLAS thread
            self.model.n_threads, self.model.blas_threads = threads, 1
        self.threads = (getattr(self.model, "n_threads", None), getattr(self.model, "blas_threads", None))
        self._train(2)  # warm-up: thread pools, first-touch allocations

    def _train(self, n_steps: int | None = None) -> list[float]:
        self.model.set_weights(self.initial)
        opt = AdamW(LR, beta1=BETA1, beta2=BETA2, eps=EPS, weight_decay=WEIGHT_DECAY)
        losses = []
        for i, (Xb, Yb) in enumerate(self.data.batches(self.size.batch)):
            if n_steps is not None and i == n_steps:
                break
            loss, grads = self.model.loss_and_grads(Xb, Yb)
            opt.step(self.model.params, grads)
            losses.append(loss)
        return losses

    def run(self) -> float:
        t0 = time.perf_counter()
        self.losses = self._train()
        return time.perf_counter() - t0

    def train_loss(self) -> float:
        return float(np.mean(self.losses))

    def val_loss(self) -> float:
        return self.model.loss(self.data.X_val, self.data.Y_val)

    def weights(self) -> list[np.ndarray]:
        return self.model.get_weights()


class KerasRunner:
    """Keras 3 (TensorFlow backend) on the CPU; ``model.fit`` over the fixed batches, after a warm-up fit that
    traced (and with ``jit_compile=True`` XLA-compiled) the train step. Before each timed fit the weights and the
    optimizer's state (iterations, moments) are reset; the learning rate stays."""

    name = "keras"

    def __init__(self, data: Data, size: Size, initial: list[np.ndarray], jit_compile: bool, stock_adamw: bool):
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU only, even where a GPU is present
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras
        import tensorflow as tf

        from course_lib.keras_gpt import build_keras_gpt, get_weights_from_keras, make_keras_adamw, set_keras_weights

        self._set, self._get = set_keras_weights, get_weights_from_keras
        self.data, self.size, self.initial, self.jit = data, size, initial, jit_compile
        self.variant = f"model.fit, jit_compile={jit_compile}" + (", stock AdamW" if stock_adamw else "")
        self.model = build_keras_gpt(data.V, size.context, size.d_model, size.n_heads, size.n_layers)
        adamw = keras.optimizers.AdamW if stock_adamw else make_keras_adamw
        self.opt = adamw(learning_rate=LR, weight_decay=WEIGHT_DECAY, beta_1=BETA1, beta_2=BETA2, epsilon=EPS)
        self.model.compile(optimizer=self.opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           jit_compile=jit_compile)
        b = size.batch
        self.model.fit(data.X[:2 * b], data.Y[:2 * b], batch_size=b, epochs=1, shuffle=False, verbose=0)  # warm-up
        self.model.evaluate(data.X_val, data.Y_val, batch_size=len(data.X_val), verbose=0)  # trace evaluation too
        self.threads = (tf.config.threading.get_intra_op_parallelism_threads(),
                        tf.config.threading.get_inter_op_parallelism_threads())

    def run(self) -> float:
        self._set(self.model, self.initial)
        for var in self.opt.variables:  # iterations and AdamW moments back to zero; the learning rate stays
            if "learning_rate" not in var.path:
                var.assign(np.zeros(var.shape, dtype=var.dtype))
        t0 = time.perf_counter()
        history = self.model.fit(self.data.X, self.data.Y, batch_size=self.size.batch, epochs=1, shuffle=False,
                                 verbose=0)
        elapsed = time.perf_counter() - t0
        self._train_loss = float(history.history["loss"][-1])  # the mean over the epoch's batches
        return elapsed

    def train_loss(self) -> float:
        return self._train_loss

    def val_loss(self) -> float:
        return float(self.model.evaluate(self.data.X_val, self.data.Y_val, batch_size=len(self.data.X_val),
                                         verbose=0))

    def weights(self) -> list[np.ndarray]:
        return self._get(self.model)


def time_generation(model: GPT, prompt: np.ndarray, n_new: int, use_cache: bool,
                    repeats: int) -> tuple[float, np.ndarray]:
    """Best-of-``repeats`` tokens per second of ``model.generate`` and the generated ids."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = model.generate(prompt, n_new, temperature=1.0, seed=0, use_cache=use_cache)
        best = min(best, time.perf_counter() - t0)
    return n_new / best, out


DECODE_SIZE = Size("decode", 384, 6, 4)
DECODE_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)


def decoding_throughput(V: int, size: Size, batches, n_new: int, repeats: int) -> tuple[list[dict], float, float]:
    """Tokens per second of cached generation against the batch size, with each step's roofline coordinates.

    Returns (rows, peak FLOP/s of one core, bandwidth in bytes/s); a row per batch size: tokens/s, seconds per
    step, FLOPs and bytes per step, intensity, attained FLOP/s and the roofline's attainable FLOP/s."""
    from threadpoolctl import threadpool_limits

    model = GPT(V, size.context, size.d_model, size.n_heads, size.n_layers, seed=0)
    d, L = size.d_model, size.n_layers
    n_matmul = L * 12 * d * d + d * V                     # weights of the matrix products
    weight_bytes = sum(p.nbytes for p in model.params)
    with threadpool_limits(limits=1):                      # generation runs with GPT.blas_threads = 1
        peak = matmul_gflops(n=1024) * 1e9
    bandwidth = cost.measure_bandwidth(weight_bytes, repeats=5)
    best = dict.fromkeys(batches, np.inf)
    for _ in range(repeats):                               # interleaved: a change of load hits all batch sizes
        for B in batches:
            prompt = np.zeros((B, 1), dtype=np.int64)
            t0 = time.perf_counter()
            model.generate(prompt, n_new, seed=0)
            best[B] = min(best[B], time.perf_counter() - t0)
    t_mean = max(1, round(np.mean(np.arange(1, n_new + 1))))  # mean number of cached positions
    rows = []
    for B in batches:
        step = best[B] / n_new
        flops = B * cost.inference_flops_per_token(n_matmul, L, t_mean, d)
        nbytes = weight_bytes + cost.kv_cache_bytes(L, B, t_mean, d, bytes_per_number=4)
        intensity = flops / nbytes
        rows.append(dict(B=B, tps=B / step, step=step, flops=flops, bytes=nbytes, intensity=intensity,
                         attained=flops / step, roof=cost.roofline(intensity, peak, bandwidth)))
    return rows, peak, bandwidth


def print_decoding(rows: list[dict], peak: float, bandwidth: float, size: Size, n_new: int) -> None:
    print(f"\nDecoding throughput against the batch size: untrained GPT d_model={size.d_model}, heads={size.n_heads}, "
          f"layers={size.n_layers}, context={size.context}; {n_new} new tokens after a 1-token prompt, KV cache; "
          f"one core (GPT.blas_threads = 1)")
    print(f"roofs: float32 matmul peak {peak / 1e9:.1f} GFLOP/s (1024x1024, one core), copy bandwidth "
          f"{bandwidth / 1e9:.1f} GB/s (an array the size of the weights); ridge {peak / bandwidth:.1f} FLOP/byte\n")
    print("| batch | tokens/s | ms/step | MFLOP/step | MB/step | FLOP/byte | GFLOP/s | roofline GFLOP/s | of roofline |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['B']} | {r['tps']:,.0f} | {1e3 * r['step']:.2f} | {r['flops'] / 1e6:.1f} | {r['bytes'] / 1e6:.1f} "
              f"| {r['intensity']:.2f} | {r['attained'] / 1e9:.1f} | {r['roof'] / 1e9:.1f} | "
              f"{r['attained'] / r['roof']:.2f} |")


def profile_course_lib(runner: CourseLibRunner, n_steps: int, top: int = 12) -> str:
    """cProfile of ``n_steps`` training steps of course_lib: the functions with the most own time."""
    prof = cProfile.Profile()
    prof.enable()
    runner._train(n_steps)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 steps, 1 repeat, short generation")
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per timed run (default 100 for chapter, 10 for d256)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per library; the best is reported")
    parser.add_argument("--no-xla", action="store_true", help="skip Keras with jit_compile=True")
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument("--keras-stock-adamw", action="store_true",
                        help="keras.optimizers.AdamW as it is, whose update of the embeddings differs from Adam's "
                             "(see course_lib.keras_gpt.make_keras_adamw); default: make_keras_adamw")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of course_lib's training steps")
    parser.add_argument("--skip-decode", action="store_true", help="skip decoding throughput against the batch size")
    parser.add_argument("--lora", action="store_true",
                        help="also time a LoRA training step against full fine-tuning (benchmarks/bench_lora.py)")
    parser.add_argument("--decode-only", action="store_true",
                        help="run only decoding throughput against the batch size")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit both libraries to this many threads (course_lib: GPT.n_threads and BLAS via "
                             "threadpoolctl; TensorFlow: intra- and inter-op pools); default: each library's own "
                             "choice")
    args = parser.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        if not args.skip_keras:
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    default_steps = {"chapter": 100, "d256": 10}
    n_val, gen_repeats, gen_lengths = 64, 3, (48, 200)
    if args.quick:
        args.repeats, gen_repeats, gen_lengths = 1, 1, (16,)
        default_steps = {"chapter": 4, "d256": 2}
        n_val = 8

    from threadpoolctl import threadpool_info

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, course_lib {course_lib.__version__}")
    print(f"CPU: {platform.processor() or platform.machine()}; os.cpu_count() = {os.cpu_count()}, "
          f"usable by this process = {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"
          + (f"; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}" if hasattr(os, "getloadavg") else ""))
    for pool in threadpool_info():
        print(f"  threadpool: {pool['internal_api']} {pool.get('version')} ({pool['prefix']}), "
              f"{pool['num_threads']} threads" + (f", arch {pool['architecture']}" if "architecture" in pool else ""))
    print(f"AdamW(lr={LR}, weight_decay={WEIGHT_DECAY}, beta=({BETA1}, {BETA2}), eps={EPS}) in both libraries; "
          f"best of {args.repeats} timed run(s)")

    decode_batches, decode_new = (DECODE_BATCHES, 8) if not args.quick else ((1, 4, 16), 4)
    if args.decode_only:
        V = CharTokenizer.train(load_tiny_shakespeare()).vocab_size
        print_decoding(*decoding_throughput(V, DECODE_SIZE, decode_batches, decode_new, args.repeats), DECODE_SIZE,
                       decode_new)
        if args.lora:
            run_lora(args.quick)
        return

    mm_runs = [matmul_gflops()]
    rows, gen_rows, notes, keras_threads, course_lib_threads = [], [], [], None, None
    for size_name in args.sizes:
        size = SIZES[size_name]
        steps = args.steps or default_steps[size_name]
        data = Data(size, steps, n_val)
        tokens = steps * size.batch * size.context
        fpt = flops_per_token(data.V, size)
        initial = GPT(data.V, size.context, size.d_model, size.n_heads, size.n_layers, seed=0).get_weights()
        runners = [CourseLibRunner(data, size, initial, args.threads)]
        if not args.skip_keras:
            runners.append(KerasRunner(data, size, initial, False, args.keras_stock_adamw))
            if not args.no_xla:
                try:
                    runners.append(KerasRunner(data, size, initial, True, args.keras_stock_adamw))
                except Exception as exc:  # XLA unavailable on this build: report, go on without it
                    notes.append(f"Keras with jit_compile=True failed on this machine ({type(exc).__name__}: {exc})")
        keras_threads = next((r.threads for r in runners if isinstance(r, KerasRunner)), keras_threads)
        course_lib_threads = runners[0].threads
        times = {r.variant: [] for r in runners}
        for _ in range(args.repeats):  # the libraries take turns, so that a change of load hits all alike
            for r in runners:
                time.sleep(0.2)  # let the previous run's thread pools go idle
                times[r.variant].append(r.run())
            mm_runs.append(matmul_gflops())
        reference = runners[0].weights()
        n_params = runners[0].model.n_params
        print(f"\n[{size_name}] V={data.V}, T={size.context}, d={size.d_model}, heads={size.n_heads}, "
              f"layers={size.n_layers}, batch={size.batch}: {n_params:,} parameters, {fpt / 1e6:.2f} MFLOP per "
              f"token; {steps} steps = {tokens:,} tokens per timed run")
        print("  all timed runs (s): " + "; ".join(f"{k}: " + ", ".join(f"{t:.3f}" for t in v)
                                                 for k, v in times.items()))
        for r in runners:
            t = min(times[r.variant])
            dev = 0.0 if r is runners[0] else max_weight_difference(reference, r.weights())
            rows.append(dict(size=size_name, library=r.name, variant=r.variant, tps=tokens / t, ms=1e3 * t / steps,
                             gflops=fpt * tokens / t / 1e9, train=r.train_loss(), val=r.val_loss(), dev=dev,
                             steps=steps))

        model = runners[0].model  # trained: the weights after the last timed run
        for n_new in gen_lengths:
            tps_cache, ids_cache = time_generation(model, data.prompt, n_new, True, gen_repeats)
            tps_full, ids_full = time_generation(model, data.prompt, n_new, False, gen_repeats)
            gen_rows.append(dict(size=size_name, n_new=n_new, cache=tps_cache, full=tps_full,
                                 same=bool(np.array_equal(ids_cache, ids_full))))
        if args.profile:
            print(profile_course_lib(runners[0], min(steps, 20)))

    mm = max(mm_runs)
    print(f"\nfloat32 matmul throughput, np.matmul of two 2048x2048 float32 matrices (best of 10, measured before "
          f"and after each round): {mm:.1f} GFLOP/s (measurements: {', '.join(f'{g:.0f}' for g in mm_runs)})\n")

    print("| size | library | variant | train tokens/s | ms/step | GFLOP/s | of matmul | mean train loss "
          "| val loss after | max weight diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['library']} | {r['variant']} | {r['tps']:,.0f} | {r['ms']:.1f} | "
              f"{r['gflops']:.1f} | {r['gflops'] / mm:.2f} | {r['train']:.4f} | {r['val']:.4f} "
              f"({r['steps']} steps) | {r['dev']:.1e} |")
    print()
    for size_name in args.sizes:
        size_rows = [r for r in rows if r["size"] == size_name]
        keras_rows = [r for r in size_rows if r["library"] == "keras"]
        if keras_rows:
            best = max(keras_rows, key=lambda r: r["tps"])
            ours = size_rows[0]
            print(f"[{size_name}] course_lib / fastest Keras ({best['variant']}) training throughput: "
                  f"{ours['tps'] / best['tps']:.2f}x; losses differ by {abs(ours['val'] - best['val']):.1e} "
                  f"(validation), {abs(ours['train'] - best['train']):.1e} (mean training)")
    print("\n| size | new tokens | tokens/s with KV cache | tokens/s without | speed-up | same tokens |")
    print("|---|---:|---:|---:|---:|---|")
    for g in gen_rows:
        print(f"| {g['size']} | {g['n_new']} | {g['cache']:,.0f} | {g['full']:,.0f} | {g['cache'] / g['full']:.1f}x "
              f"| {'yes' if g['same'] else 'NO'} |")
    print("\nNotes:")
    print("  FLOPs per token = 6 N + 12 L T d with N = n_params - (V + T) d; the same count for both libraries, "
          "whatever each actually computes.")
    print("  'max weight diff': after the run, max over the weight arrays of max|W_keras - W_course_lib| / "
          "max|W_course_lib|.")
    print("  Generation: batch 1, 16-character prompt, temperature 1, seed 0; past the context (T = 64) the "
          "window slides and the cache is rebuilt every step.")
    if course_lib_threads:
        print(f"  course_lib GPT.n_threads (parallel parts of a batch) = {course_lib_threads[0]}, GPT.blas_threads = "
              f"{course_lib_threads[1]}")
    if keras_threads:
        print(f"  TensorFlow intra/inter-op threads: {keras_threads} (0 = automatic)")
    for note in notes:
        print(f"  {note}")
    if not args.skip_decode:
        V = CharTokenizer.train(load_tiny_shakespeare()).vocab_size
        print_decoding(*decoding_throughput(V, DECODE_SIZE, decode_batches, decode_new, args.repeats), DECODE_SIZE,
                       decode_new)
    if args.lora:
        run_lora(args.quick)


def run_lora(quick: bool) -> None:
    """The LoRA step against a full fine-tuning step of the same GPT: benchmarks/bench_lora.py's table."""
    import bench_lora  # the same folder, on sys.path as for bench_mlp

    print()
    bench_lora.main(["--quick"] if quick else [])


if __name__ == "__main__":
    main()
