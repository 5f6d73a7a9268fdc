"""Shared test set-up: quiet TensorFlow (if installed) and a hypothesis profile that is deterministic."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from hypothesis import settings  # noqa: E402

# Derandomised: the same examples on every run, so CI is reproducible; deadline off because the first call of a
# TensorFlow function compiles a graph.
settings.register_profile("course", derandomize=True, deadline=None, max_examples=25, print_blob=True)
settings.load_profile("course")
