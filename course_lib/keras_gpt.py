r"""The GPT of chapter "A GPT from scratch" built from Keras 3 layers, for checking and benchmarking course_lib.

:func:`build_keras_gpt` returns a ``keras.Model`` with exactly the architecture of :class:`course_lib.gpt.GPT`
(pre-LayerNorm blocks, no dropout, an untied output head without bias): for int token ids ``X`` of shape
(m, t), t <= T,

.. math::
    H^{(0)} = E_{\text{tok}}[X] + E_{\text{pos}}[0..t-1], \qquad
    H \leftarrow H + \operatorname{MHA}(\operatorname{LN}_1(H)), \qquad
    H \leftarrow H + \operatorname{GELU}(\operatorname{LN}_2(H) W_1 + b_1) W_2 + b_2 \quad (\text{each block}),
    \qquad \text{logits} = \operatorname{LN}_f(H)\, W_{\text{out}},

with the causal mask in every attention, LayerNorm :math:`\varepsilon = 10^{-5}` and the tanh approximation of
GELU. :func:`set_keras_weights` copies a course_lib weight list (``GPT.get_weights()`` order) into the Keras
model and :func:`get_weights_from_keras` reads it back in that order, so outputs and gradients can be compared
one to one (tests/test_gpt_keras.py) and both libraries can start training from the same weights
(benchmarks/bench_gpt.py).

Which Keras variable holds which course_lib weight (V = vocab_size, T = context_length, d = d_model,
h = n_heads, d_k = d / h; ``block{l}`` for l = 0 .. n_layers - 1):

=====================  ==========================================  ============  ==============
course_lib weight       Keras layer and variable                    Keras shape   course_lib shape
=====================  ==========================================  ============  ==============
``wte``                 ``wte`` (Embedding).embeddings              (V, d)        (V, d)
``wpe``                 ``wpe`` (Embedding).embeddings              (T, d)        (T, d)
``ln1_gamma, beta``     ``block{l}_ln1`` (LayerNormalization)       (d,)          (d,)
``Wq, bq``              ``block{l}_attn`` (MultiHeadAttention)      (d, h, d_k),  (d, d), (d,)
                        .query_dense.kernel, .bias                  (h, d_k)
``Wk, bk``              ... .key_dense.kernel, .bias                as for Wq     as for Wq
``Wv, bv``              ... .value_dense.kernel, .bias              as for Wq     as for Wq
``Wo, bo``              ... .output_dense.kernel, .bias             (h, d_k, d),  (d, d), (d,)
                                                                    (d,)
``ln2_gamma, beta``     ``block{l}_ln2`` (LayerNormalization)       (d,)          (d,)
``W1, b1``              ``block{l}_mlp_fc`` (Dense, GELU tanh)      (d, 4d)       (d, 4d), (4d,)
``W2, b2``              ``block{l}_mlp_proj`` (Dense)               (4d, d)       (4d, d), (d,)
``lnf_gamma, beta``     ``ln_f`` (LayerNormalization)               (d,)          (d,)
``W_out``               ``lm_head`` (Dense, use_bias=False)         (d, V)        (d, V)
=====================  ==========================================  ============  ==============

To train the Keras model exactly as course_lib's ``AdamW`` trains the GPT, use :func:`make_keras_adamw`: with
the TensorFlow backend, stock ``keras.optimizers.AdamW`` (Keras 3.15.1) mis-handles the Embedding layers'
sparse gradients when a token occurs more than once in a batch (see there).

The attention reshapes are plain C-order reshapes: head ``i`` of course_lib uses columns
``i*d_k:(i+1)*d_k`` of ``Wq`` (and rows ``i*d_k:(i+1)*d_k`` of ``Wo``), which is Keras' ``kernel[:, i, :]``
(and ``kernel[i]``).

Keras and TensorFlow are imported inside the functions, so ``import course_lib`` stays light. Two Keras defaults
differ from the GPT's and are set explicitly: ``LayerNormalization(epsilon=1e-3)`` (GPT: 1e-5) and
``keras.activations.gelu(approximate=False)``, the exact erf form, which ``Dense(activation="gelu")`` uses (GPT-2
and course_lib use the tanh approximation; ``keras.ops.gelu`` defaults to it).

In float64 the two models agree to about 1e-9, not 1e-15, because TensorFlow casts two Python constants through
float32: the GELU coefficient 0.044715 (``tf.nn.gelu``) and, unless d_k is a power of 4, the attention scale
1/sqrt(d_k). tests/test_gpt_keras.py measures and pins both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_choice, check_int

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = ["build_keras_gpt", "keras_gpt_variables", "set_keras_weights", "set_keras_weights_from",
           "get_weights_from_keras", "make_keras_adamw"]

_DTYPES = ("float32", "float64")
# per block, in course_lib's get_weights() order: (layer name suffix, attribute path of the variable)
_BLOCK_VARIABLES = (
    ("ln1", "gamma"), ("ln1", "beta"),
    ("attn", "query_dense.kernel"), ("attn", "query_dense.bias"),
    ("attn", "key_dense.kernel"), ("attn", "key_dense.bias"),
    ("attn", "value_dense.kernel"), ("attn", "value_dense.bias"),
    ("attn", "output_dense.kernel"), ("attn", "output_dense.bias"),
    ("ln2", "gamma"), ("ln2", "beta"),
    ("mlp_fc", "kernel"), ("mlp_fc", "bias"),
    ("mlp_proj", "kernel"), ("mlp_proj", "bias"),
)


def _gelu_tanh(z):
    r"""GELU, tanh approximation (Hendrycks and Gimpel, 2016; GPT-2):
    :math:`\tfrac12 z \bigl(1 + \tanh(\sqrt{2/\pi}\,(z + 0.044715 z^3))\bigr)`. Keras' ``activations.gelu``
    defaults to the exact form, hence ``approximate=True`` here."""
    import keras

    return keras.activations.gelu(z, approximate=True)


def build_keras_gpt(
    vocab_size: int,
    context_length: int,
    d_model: int,
    n_heads: int,
    n_layers: int,
    dtype: str = "float32",
) -> "keras.Model":
    r"""A Keras functional model with the architecture of ``course_lib.gpt.GPT`` (same arguments, same weights).

    Input: int token ids of shape (m, t) with 1 <= t <= ``context_length`` (any t: the positions 0 .. t-1 are
    computed inside the model). Output: logits of shape (m, t, ``vocab_size``), before the softmax; train with
    ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)`` for the GPT's mean next-token
    cross-entropy. ``model.count_params()`` equals ``GPT.n_params``
    :math:`= V d + T d + L(12 d^2 + 13 d) + 2 d + d V`.

    The initial weights are Keras' defaults (not the GPT-2 initialisation); copy a course_lib model's weights in
    with :func:`set_keras_weights`. See the module docstring for which Keras layer holds which weight.

    Parameters
    ----------
    vocab_size, context_length, d_model, n_heads, n_layers : int
        As for ``GPT``; ``n_heads`` must divide ``d_model``.
    dtype : {"float32", "float64"}
        The dtype of every weight and computation (float64 for tight checks).
    """
    V = check_int(vocab_size, "vocab_size")
    T = check_int(context_length, "context_length")
    d = check_int(d_model, "d_model")
    h = check_int(n_heads, "n_heads")
    n_layers = check_int(n_layers, "n_layers")
    check_choice(dtype, "dtype", _DTYPES)
    if d % h:
        raise ValueError(f"n_heads must divide d_model; got d_model={d} and n_heads={h} (d_model % n_heads = "
                         f"{d % h})")
    import keras
    from keras import layers, ops

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (m, t)
    # positions 0 .. t-1 in every row, (m, t), written with ops that accept a length unknown until call time
    positions = ops.cumsum(ops.ones_like(ids), axis=1) - 1
    x = (layers.Embedding(V, d, dtype=dtype, name="wte")(ids)
         + layers.Embedding(T, d, dtype=dtype, name="wpe")(positions))  # (m, t, d)
    for l in range(n_layers):
        a = layers.LayerNormalization(epsilon=1e-5, dtype=dtype, name=f"block{l}_ln1")(x)
        a = layers.MultiHeadAttention(num_heads=h, key_dim=d // h, dtype=dtype, name=f"block{l}_attn")(
            a, a, use_causal_mask=True)
        x = x + a
        f = layers.LayerNormalization(epsilon=1e-5, dtype=dtype, name=f"block{l}_ln2")(x)
        f = layers.Dense(4 * d, activation=_gelu_tanh, dtype=dtype, name=f"block{l}_mlp_fc")(f)
        f = layers.Dense(d, dtype=dtype, name=f"block{l}_mlp_proj")(f)
        x = x + f
    x = layers.LayerNormalization(epsilon=1e-5, dtype=dtype, name="ln_f")(x)
    logits = layers.Dense(V, use_bias=False, dtype=dtype, name="lm_head")(x)  # (m, t, V)
    return keras.Model(ids, logits, name=f"keras_gpt_L{n_layers}_d{d}_h{h}")


def _n_layers(keras_model) -> int:
    return sum(1 for layer in keras_model.layers if layer.name.endswith("_attn"))


def _attr(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def keras_gpt_variables(keras_model) -> list:
    """The Keras variables of a :func:`build_keras_gpt` model in course_lib's ``GPT.get_weights()`` order.

    Differentiate with respect to this list (``tape.gradient(loss, keras_gpt_variables(model))``) to get the
    gradients in course_lib's order; :func:`get_weights_from_keras` reshapes them to course_lib's shapes.
    """
    get = keras_model.get_layer
    variables = [get("wte").embeddings, get("wpe").embeddings]
    for l in range(_n_layers(keras_model)):
        variables += [_attr(get(f"block{l}_{layer}"), path) for layer, path in _BLOCK_VARIABLES]
    variables += [get("ln_f").gamma, get("ln_f").beta, get("lm_head").kernel]
    return variables


def _to_course_lib(array: np.ndarray, index: int, n_layers: int) -> np.ndarray:
    """Keras layout -> course_lib layout of the weight at ``index`` (get_weights order); only attention differs."""
    if not 2 <= index < 2 + 16 * n_layers:
        return array
    role = _BLOCK_VARIABLES[(index - 2) % 16]
    if role in (("attn", "query_dense.kernel"), ("attn", "key_dense.kernel"), ("attn", "value_dense.kernel")):
        return array.reshape(array.shape[0], -1)  # (d, h, d_k) -> (d, d)
    if role in (("attn", "query_dense.bias"), ("attn", "key_dense.bias"), ("attn", "value_dense.bias")):
        return array.reshape(-1)  # (h, d_k) -> (d,)
    if role == ("attn", "output_dense.kernel"):
        return array.reshape(-1, array.shape[-1])  # (h, d_k, d) -> (d, d)
    return array


def get_weights_from_keras(keras_model, values=None) -> list[np.ndarray]:
    """The weights of a :func:`build_keras_gpt` model as a list in course_lib's order and shapes.

    With ``values`` (a list of arrays or tensors in the order and Keras shapes of :func:`keras_gpt_variables`,
    e.g. the gradients from ``tf.GradientTape``), those are converted instead of the weights. The result loads
    into ``GPT.set_weights`` unchanged.
    """
    from keras import ops

    variables = keras_gpt_variables(keras_model)
    if values is None:
        values = variables
    values = list(values)
    if len(values) != len(variables):
        raise ValueError(f"values must hold {len(variables)} arrays (one per variable of the model); "
                         f"got {len(values)}")
    # variables and tensors have .numpy(); convert_to_numpy densifies the embeddings' sparse gradients
    # (tf.IndexedSlices)
    values = [x if isinstance(x, np.ndarray) else x.numpy() if hasattr(x, "numpy") else ops.convert_to_numpy(x)
              for x in values]
    n_layers = _n_layers(keras_model)
    return [_to_course_lib(x, i, n_layers) for i, x in enumerate(values)]


def set_keras_weights(keras_model, weights) -> None:
    """Copy course_lib's weight list (``GPT.get_weights()`` order and shapes) into a :func:`build_keras_gpt` model.

    Each array is reshaped to its Keras variable's shape (only the attention kernels and biases change shape) and
    cast to the model's dtype. Raises ValueError naming the first weight whose size does not fit.
    """
    variables = keras_gpt_variables(keras_model)
    weights = list(weights)
    if len(weights) != len(variables):
        raise ValueError(f"weights must hold {len(variables)} arrays (GPT.get_weights() order for "
                         f"{_n_layers(keras_model)} layers); got {len(weights)}")
    n_layers = _n_layers(keras_model)
    for i, (w, v) in enumerate(zip(weights, variables)):
        w = np.asarray(w)
        expected = _to_course_lib(np.empty(v.shape), i, n_layers).shape
        if w.shape != expected:
            raise ValueError(f"weights[{i}] ({v.path}) must have shape {expected}; got {w.shape}")
        v.assign(w.reshape(v.shape).astype(v.dtype))


def set_keras_weights_from(gpt, keras_model) -> None:
    """Copy the weights of a course_lib ``GPT`` into ``keras_model``: ``set_keras_weights(keras_model,
    gpt.get_weights())``."""
    set_keras_weights(keras_model, gpt.get_weights())


def make_keras_adamw(**kwargs) -> "keras.optimizers.AdamW":
    r"""``keras.optimizers.AdamW(**kwargs)`` that makes sparse gradients dense before its update: with it, a
    :func:`build_keras_gpt` model trains step for step like ``course_lib.gpt.GPT`` with
    ``course_lib.optimizers.AdamW`` (same arguments).

    Why: with the TensorFlow backend, an Embedding layer's gradient is a ``tf.IndexedSlices`` with one slice per
    *occurrence* of a token in the batch, duplicates not summed. Keras 3's Adam and AdamW (3.15.1) square it slice
    by slice (``ops.square`` of the slices, then a scatter-add into the second moment), so a row that occurs
    :math:`n` times gets :math:`v = (1-\beta_2)\sum_i g_i^2` instead of :math:`(1-\beta_2)(\sum_i g_i)^2`:
    its first step is up to :math:`\sqrt n` times Adam's (tests/test_gpt_keras.py pins this). Densifying the
    gradient (``tf.convert_to_tensor`` sums the duplicates) gives Adam. With another backend the gradients are
    dense already and this is plain ``AdamW``.
    """
    import keras

    if keras.backend.backend() != "tensorflow":  # pragma: no cover (the course runs TensorFlow)
        return keras.optimizers.AdamW(**kwargs)
    import tensorflow as tf

    class AdamWDenseGradients(keras.optimizers.AdamW):
        """AdamW on dense gradients: every tf.IndexedSlices is converted (duplicate rows summed) first."""

        def apply(self, grads, trainable_variables=None):
            grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
            return super().apply(grads, trainable_variables)

    return AdamWDenseGradients(**kwargs)
