"""course_lib: the companion package of the course "Neural networks and large models".

A small multilayer perceptron and a small GPT in NumPy, with the layers (attention included), loss functions,
optimizers, training loop, tokenizers, metrics and checks that the chapters derive. The main names are
importable from here::

    from course_lib import MLP, GPT, fit, Adam, AdamW, MLPClassifier, BPETokenizer

Importing course_lib has no side effects: no global random seed, no logging set-up, no downloads.
"""

from . import activations, attention, layers, losses, sampling
from .gradcheck import check_model_gradients, gradcheck, numerical_gradient, relative_error
from .model import MLP
from .gpt import GPT, KVCache, gpt_n_params

# --- optimizers and training (course_lib/optimizers.py, course_lib/training.py)
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop, clip_by_global_norm, decay_mask_ndim2
from .schedules import CosineDecay, WarmupCosine
from .training import EarlyStopping, History, TrainingDivergedError, fit
# --- metrics (course_lib/metrics.py)
from . import metrics
from .metrics import accuracy, confusion_matrix, f1, perplexity, precision, recall, roc_auc, roc_curve
# --- estimator, datasets, plots (course_lib/estimator.py, course_lib/datasets.py, course_lib/plots.py)
from . import datasets, plots
from .estimator import MLPClassifier
# --- language models (course_lib/tokenizers.py, course_lib/bigram.py)
from .tokenizers import BPETokenizer, CharTokenizer
from .bigram import BigramModel
# --- adapting and serving large models (course_lib/lora.py, quantization.py, distillation.py, cost.py)
from . import cost, distillation, lora, quantization
from .lora import LoRAGPT

__version__ = "0.1.0"
