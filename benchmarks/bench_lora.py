"""Benchmark: a LoRA training step against a full fine-tuning step of the same course_lib GPT, on the CPU.

Chapter "Adapting a large model cheaply" says that ``course_lib.lora.LoRAGPT`` saves memory, not arithmetic: it
runs the GPT's whole forward and backward pass with the effective weights W + (alpha/r) A B, which computes the
gradients of the frozen weights too, then maps the gradient G of each adapted matrix to dA = s G B^T and
dB = s A^T G. This script measures that claim. For each model size it times, from the same pre-trained weights
(``GPT(seed=0)``; the values of the weights do not change the cost) and on the same fixed mini-batches of tiny
Shakespeare windows:

- ``full``: ``loss, grads = model.loss_and_grads(X, Y); AdamW.step(model.params, grads)`` on every weight;
- ``LoRA r=R, TARGETS``: the same with ``LoRAGPT(model, rank=R, targets=TARGETS)``, for rank 8 on ``Wq, Wv`` (the
  choice of Hu et al. 2021) and on every matrix of the blocks and the output layer (the chapter's choice).

Reported per row: trainable parameters, bytes of the optimizer's state after the run (``optimizer_state_bytes``:
AdamW's two moments and a scratch array per trainable parameter, plus the clipping buffer), the best-of-
``--repeats`` time per step and its ratio to the full step. Sizes: ``chapter`` (d_model 64, 4 heads, 2 layers,
context 64, batch 16: the chapter's model) and ``d256`` (d_model 256, 8 heads, 4 layers, context 64, batch 16).

Run::

    python benchmarks/bench_lora.py            # both sizes (about a minute on 2 idle cores)
    python benchmarks/bench_lora.py --quick    # a smoke run

This is a script, not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import course_lib  # noqa: E402
from course_lib.datasets import lm_windows, load_tiny_shakespeare  # noqa: E402
from course_lib.gpt import GPT  # noqa: E402
from course_lib.lora import LoRAGPT, optimizer_state_bytes  # noqa: E402
from course_lib.optimizers import AdamW  # noqa: E402
from course_lib.tokenizers import CharTokenizer  # noqa: E402

SIZES = {"chapter": (64, 4, 2), "d256": (256, 8, 4)}
CONTEXT, BATCH = 64, 16
VARIANTS = [("full", None, None), ("LoRA r=8, Wq Wv", 8, ("Wq", "Wv")),
            ("LoRA r=8, all matrices", 8, ("Wq", "Wk", "Wv", "Wo", "W1", "W2", "W_out"))]


def make_model(base: GPT, rank, targets):
    """The model to train: a copy of ``base`` (full fine-tuning) or a LoRA wrapper around it."""
    if rank is None:
        model = GPT(**base.config())
        model.set_weights(base.params)
        return model
    return LoRAGPT(base, rank=rank, targets=targets)


def time_steps(model, batches) -> tuple[float, int]:
    """Seconds for one pass over ``batches`` (loss_and_grads + AdamW.step each) and the optimizer's state bytes."""
    opt = AdamW(1e-3, weight_decay=0.1, global_clipnorm=1.0)
    t0 = time.perf_counter()
    for X, Y in batches:
        _, grads = model.loss_and_grads(X, Y)
        opt.step(model.params, grads)
    return time.perf_counter() - t0, optimizer_state_bytes(opt)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 steps, 1 repeat")
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant; the best is reported")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 3, 1

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, course_lib {course_lib.__version__}; "
          f"os.cpu_count() = {os.cpu_count()}"
          + (f"; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}" if hasattr(os, "getloadavg") else ""))
    text = load_tiny_shakespeare()
    tok = CharTokenizer.train(text)
    X_all, Y_all = lm_windows(np.array(tok.encode(text[:200_000])), CONTEXT)
    pick = np.random.default_rng(0).choice(len(X_all), size=args.steps * BATCH, replace=False)
    batches = [(X_all[pick[i:i + BATCH]], Y_all[pick[i:i + BATCH]]) for i in range(0, len(pick), BATCH)]

    rows = []
    for size in args.sizes:
        d, h, L = SIZES[size]
        base = GPT(tok.vocab_size, CONTEXT, d, h, L, seed=0)
        models = {name: make_model(base, r, t) for name, r, t in VARIANTS}
        for model in models.values():  # warm-up: thread pools, first-touch allocations
            time_steps(model, batches[:2])
        best = {name: np.inf for name in models}
        state = {}
        for _ in range(args.repeats):  # the variants take turns, so that a change of load hits all alike
            for name, model in models.items():
                seconds, state[name] = time_steps(model, batches)
                best[name] = min(best[name], seconds)
        for name, model in models.items():
            rows.append(dict(size=size, variant=name, n_params=model.n_params, state=state[name],
                             ms=1e3 * best[name] / args.steps, ratio=best[name] / best["full"]))

    print(f"\n{args.steps} steps of batch {BATCH} x context {CONTEXT} per timed run, best of {args.repeats}\n")
    print("| size | variant | trainable parameters | optimizer state (bytes) | ms/step | time / full step |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['variant']} | {r['n_params']:,} | {r['state']:,} | {r['ms']:.1f} | "
              f"{r['ratio']:.2f} |")
    print("\nA LoRA step here runs the GPT's full backward pass (the frozen weights' gradients are computed and "
          "discarded);\nit skips the optimizer's update of the frozen weights and adds the products A B. What LoRA "
          "saves is\nthe optimizer state and the trainable weights.")


if __name__ == "__main__":
    main()
