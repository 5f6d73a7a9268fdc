"""Checks for the course's exercises (``from course_lib import check``; then ``check.<name>(your_function)``).

Each auto-checked exercise of a chapter has one check here, in the module of its chapter. A check prints a
short success line, or raises :class:`CheckFailed` (an AssertionError) saying what was expected, what came and
what to look at. :data:`REGISTRY` maps each exercise label to its check.
"""

from ._core import REGISTRY, CheckFailed, exercise_check, expect_close, expect_equal, expect_shape

# --- one import line per chapter module, e.g. `from .forward_pass import sigmoid, layer_forward`
from .tokens import bigram_nll, bpe_merge, embedding_grad
from .gpt import gpt_n_params, top_k_probs, warmup_cosine_lr
from .pretraining import bert_backbone_params, mask_tokens
from .adaptation import kd_grad, lora_grads, quantize_per_channel
from .cost import tensor_parallel_partials, zero_bytes_per_device
from .attention import causal_attention_weights, scaled_scores, sinusoidal_positions
from .scaling import average_shard_gradients, quantize_int8
from .faq import per_class_sample, training_memory_bytes
from .risk import approval_gap, cost_per_case
from .recommendation import hit_rate_at_k, sliding_windows
from .responsible import clip_per_example, equal_opportunity_difference
from .tools import forward_flops, set_all_seeds
from .text import bag_of_words, tokenize
from .regularization import augment_shift, dropout_forward
from .tour import n_params, parameter_shapes
from .loss_functions import bce_from_logits, softmax_cross_entropy
from .backprop import sigmoid_backward, two_layer_backward
from .forward_pass import dense_forward, relu, sigmoid_grad
from .large_models import training_days, training_flops, widest_hidden_layer
from .optimization import adam_step, sgd_momentum_step
from .digits import conv2d_params, shift_images
from .from_scratch import iterate_minibatches, train_step
from .evaluation import precision_recall_f1, threshold_for_recall
from .binary_case import binary_predictions, scale_without_leakage
from .keras_models import build_mlp, keras_train_step

__all__ = ["REGISTRY", "CheckFailed", "exercise_check", "expect_close", "expect_equal", "expect_shape"]
