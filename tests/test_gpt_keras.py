"""Agreement of the transformer layers and the whole GPT with Keras 3, an independent implementation
(chapters "Attention" and "A GPT from scratch").

For the same weights, ``keras.layers.LayerNormalization``, ``keras.layers.MultiHeadAttention``,
``keras.activations.gelu`` and a Keras GPT (course_lib.keras_gpt.build_keras_gpt) compute the same outputs, and
``tf.GradientTape`` the same gradients, as course_lib's forward/backward pairs and ``GPT.loss_and_grads``: float32
to about 1e-5 and float64 to about 1e-8, relative to the largest entry of each compared array. The float64 limit
is TensorFlow's, not ours: ``tf.nn.gelu(approximate=True)`` rounds its coefficient 0.044715 to float32 even in
float64 (pinned below), and so does Keras' attention with its scale 1/sqrt(d_k) (exact only for d_k a power of 4);
with the coefficient put back and d_k = 4, the float64 GPTs agree to about 1e-15. Parameter counts agree with the
chapter's formula, and AdamW training steps agree with Keras' (with course_lib.keras_gpt.make_keras_adamw; stock
``keras.optimizers.AdamW`` mis-updates embedding rows of repeated tokens, pinned below).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: the Keras agreement tests need it")
keras = tf.keras  # Keras 3 with TensorFlow >= 2.16
if int(keras.__version__.split(".")[0]) < 3:  # pragma: no cover
    pytest.skip(f"these tests are written for Keras 3; found Keras {keras.__version__}", allow_module_level=True)

from course_lib import activations  # noqa: E402
from course_lib.attention import (  # noqa: E402
    causal_mask,
    multi_head_attention_backward,
    multi_head_attention_forward,
)
from course_lib.gpt import GPT  # noqa: E402
from course_lib.keras_gpt import (  # noqa: E402
    build_keras_gpt,
    get_weights_from_keras,
    keras_gpt_variables,
    make_keras_adamw,
    set_keras_weights,
    set_keras_weights_from,
)
from course_lib.layers import layer_norm_backward, layer_norm_forward  # noqa: E402
from course_lib.optimizers import AdamW  # noqa: E402

# Relative tolerance, relative to the largest entry of each compared array. Largest deviations measured on
# this test's cases (Keras 3.15.1, TensorFlow 2.21, CPU): see the comments at each use.
RTOL = {"float32": 1e-5, "float64": 1e-12}
RTOL_GELU64 = 1e-8  # float64 through Keras' GELU: TensorFlow's float32-rounded coefficient, see the module doc


def assert_close(actual, expected, rtol):
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(np.abs(expected).max(), 1e-30))


def max_rel_dev(actual, expected) -> float:
    """max |actual - expected| / max |expected|, the measure the tolerances bound."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-30))


# ------------------------------------------------------------------------------------------ layer normalization
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7, 5), (2, 3, 16)])
def test_layer_norm_matches_keras(shape, dtype):
    rng = np.random.default_rng(len(shape))
    d = shape[-1]
    x = (3.0 + 2.0 * rng.standard_normal(shape)).astype(dtype)  # an offset and a scale to normalise away
    gamma = (1.0 + 0.3 * rng.standard_normal(d)).astype(dtype)
    beta = (0.3 * rng.standard_normal(d)).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)

    ln = keras.layers.LayerNormalization(epsilon=1e-5, dtype=dtype)
    ln.build(shape)
    ln.gamma.assign(gamma)
    ln.beta.assign(beta)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        out_keras = ln(x_tf)
        scalar = tf.reduce_sum(out_keras * dout)  # upstream gradient dout
    dx_keras, dgamma_keras, dbeta_keras = tape.gradient(scalar, [x_tf, ln.gamma, ln.beta])

    out, cache = layer_norm_forward(x, gamma, beta, eps=1e-5)
    dx, dgamma, dbeta = layer_norm_backward(dout, cache)
    assert out.dtype == dtype and dx.dtype == dtype
    rtol = RTOL[dtype]  # measured: float32 at most 2.3e-7, float64 at most 5.4e-16
    assert_close(out, out_keras.numpy(), rtol)
    assert_close(dx, dx_keras.numpy(), rtol)
    assert_close(dgamma, dgamma_keras.numpy(), rtol)
    assert_close(dbeta, dbeta_keras.numpy(), rtol)


# --------------------------------------------------------------------------------------------------------- GELU
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_matches_keras(dtype):
    z = np.concatenate([np.linspace(-8, 8, 801), [-30.0, -1e-3, 0.0, 1e-3, 30.0]]).astype(dtype)
    z_tf = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(z_tf)
        a_keras = keras.activations.gelu(z_tf, approximate=True)
    dz_keras = tape.gradient(a_keras, z_tf)
    # measured: float32 3e-8 (values), 3e-6 (derivatives); float64 3e-11 and 9e-10, the coefficient's rounding
    rtol = RTOL["float32"] if dtype == "float32" else RTOL_GELU64
    assert_close(activations.gelu(z), a_keras.numpy(), rtol)
    assert_close(activations.gelu_grad(z), dz_keras.numpy(), rtol)
    # keras.activations.gelu (and Dense(activation="gelu")) defaults to the exact erf form, not GPT-2's tanh
    # (its float64 constant 1/sqrt(2) is float32-rounded too, hence the same tolerance)
    assert_close(activations.gelu(z, approximate=False), keras.activations.gelu(z_tf).numpy(), rtol)


def test_tensorflow_gelu_rounds_its_coefficient_to_float32():
    """Why float64 agreement through Keras' GELU stops near 1e-9: tf.nn.gelu(approximate=True) computes
    ``cast(0.044715, dtype)``, which makes a float32 constant first. With that coefficient the formula agrees
    to rounding."""
    z = np.linspace(-8, 8, 801)
    keras_a = keras.activations.gelu(tf.constant(z), approximate=True).numpy()

    def gelu_tanh(z, c):
        return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + c * z**3)))

    assert_close(keras_a, gelu_tanh(z, float(np.float32(0.044715))), 1e-14)
    assert max_rel_dev(keras_a, gelu_tanh(z, 0.044715)) > 1e-11
    assert_close(activations.gelu(z), gelu_tanh(z, 0.044715), 1e-14)


# ---------------------------------------------------------------------------------------- multi-head attention
def keras_mha(Wq, bq, Wk, bk, Wv, bv, Wo, bo, n_heads, dtype, x_shape):
    """keras.layers.MultiHeadAttention holding the course_lib weights: kernels (d, h, d_k), biases (h, d_k),
    output kernel (h, d_k, d) (course_lib's head i is columns i*d_k:(i+1)*d_k, a C-order reshape)."""
    d = Wq.shape[0]
    dk = d // n_heads
    mha = keras.layers.MultiHeadAttention(num_heads=n_heads, key_dim=dk, dtype=dtype)
    mha.build(x_shape, x_shape)
    for dense, W, b in ((mha.query_dense, Wq, bq), (mha.key_dense, Wk, bk), (mha.value_dense, Wv, bv)):
        dense.kernel.assign(W.reshape(d, n_heads, dk))
        dense.bias.assign(b.reshape(n_heads, dk))
    mha.output_dense.kernel.assign(Wo.reshape(n_heads, dk, d))
    mha.output_dense.bias.assign(bo)
    return mha


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("B,T,d,n_heads", [(2, 5, 12, 3), (3, 4, 8, 1), (1, 7, 16, 8)])
def test_multi_head_attention_matches_keras(B, T, d, n_heads, causal, dtype):
    rng = np.random.default_rng(100 * d + T)
    x = rng.standard_normal((B, T, d)).astype(dtype)
    # weights large enough that the attention weights are far from uniform
    weights = [rng.normal(0, 1.0 / np.sqrt(d) * (2.0 if i < 6 else 1.0), size=(d, d) if i % 2 == 0 else (d,))
               .astype(dtype) for i in range(8)]  # Wq, bq, Wk, bk, Wv, bv, Wo, bo
    dout = rng.standard_normal((B, T, d)).astype(dtype)

    mha = keras_mha(*weights, n_heads, dtype, x.shape)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        out_keras = mha(x_tf, x_tf, use_causal_mask=causal)
        scalar = tf.reduce_sum(out_keras * dout)
    variables = [mha.query_dense.kernel, mha.query_dense.bias, mha.key_dense.kernel, mha.key_dense.bias,
                 mha.value_dense.kernel, mha.value_dense.bias, mha.output_dense.kernel, mha.output_dense.bias]
    grads_keras = tape.gradient(scalar, [x_tf] + variables)

    out, cache = multi_head_attention_forward(x, *weights, n_heads, causal_mask(T) if causal else None)
    grads = multi_head_attention_backward(dout, cache)
    assert out.dtype == dtype
    # measured: float32 at most 4e-7 (outputs) and 3e-6 (gradients); float64 with d_k = 4 at most 1.3e-15, with
    # d_k = 8 or 2 at most 1e-8 (outputs) and 3.3e-8 (gradients), Keras' float32-rounded scale
    rtol = mha_rtol(dtype, d // n_heads)
    assert_close(out, out_keras.numpy(), rtol)
    grads_keras = [g.numpy().reshape(w.shape) for g, w in zip(grads_keras, [x] + weights)]
    for i, (g, g_keras, w) in enumerate(zip(grads, grads_keras, [x] + weights)):
        assert g.dtype == dtype and g.shape == w.shape
        if i == 4:  # dbk
            assert_key_bias_gradient_vanishes(g, g_keras, grads[2], rtol)
        else:
            assert_close(g, g_keras, rtol)


def mha_rtol(dtype: str, key_dim: int) -> float:
    """Keras' attention multiplies the scores by ``tf.cast(1 / sqrt(key_dim), dtype)`` of a Python float, which
    TensorFlow makes a float32 constant first: in float64 the scale is exact only when it is exact in float32
    (key_dim a power of 4), otherwise the scores carry a relative error of up to 3e-8."""
    scale = 1.0 / np.sqrt(key_dim)
    if dtype == "float64" and float(np.float32(scale)) != scale:
        return 1e-7
    return RTOL[dtype]


def assert_key_bias_gradient_vanishes(dbk, dbk_keras, dbq, rtol):
    """The key bias adds q_i . b_k to every score of row i, which the softmax cancels: dL/db_k = 0 exactly, and
    both libraries compute rounding noise. Both must be negligible next to the query bias' gradient."""
    scale = max(np.abs(dbq).max(), 1e-30)
    assert np.abs(dbk).max() <= 10 * rtol * scale
    assert np.abs(dbk_keras).max() <= 10 * rtol * scale


# ------------------------------------------------------------------------------------------------- the whole GPT
GPT_CONFIGS = [  # (vocab_size, context_length, d_model, n_heads, n_layers, m, t, seed)
    (11, 8, 12, 3, 2, 3, 8, 0),
    (7, 6, 8, 1, 1, 2, 4, 1),  # one head; sequences shorter than the context
    (13, 5, 16, 4, 3, 2, 5, 2),
]


def gpt_problem(V, T, d, h, L, m, t, seed, dtype):
    """A GPT whose weights are its GPT-2 initialisation made less symmetric (LayerNorm gains around 1, biases
    non-zero, matrices ten times larger so the attention is far from uniform), and a batch (X, Y)."""
    model = GPT(V, T, d, h, L, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 10)
    weights = [p * 10.0 if p.ndim == 2 else p + rng.normal(0.0, 0.2, size=p.shape) for p in model.get_weights()]
    model.set_weights([w.astype(dtype) for w in weights])
    X = rng.integers(0, V, size=(m, t))
    Y = rng.integers(0, V, size=(m, t))
    return model, X, Y


def keras_loss_and_grads(keras_model, X, Y, dtype):
    """Mean next-token cross-entropy of the Keras GPT and its gradients in course_lib's order and shapes."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)  # mean over m * t
    variables = keras_gpt_variables(keras_model)
    with tf.GradientTape() as tape:
        logits = keras_model(X)
        loss = loss_fn(Y, logits)
    grads = get_weights_from_keras(keras_model, tape.gradient(loss, variables))
    return logits.numpy(), loss.numpy(), grads


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", GPT_CONFIGS)
def test_gpt_forward_loss_and_gradients_match_keras(config, dtype):
    *sizes, m, t, seed = config
    model, X, Y = gpt_problem(*sizes, m, t, seed, dtype)
    keras_model = build_keras_gpt(*sizes, dtype=dtype)
    set_keras_weights_from(model, keras_model)
    logits_keras, loss_keras, grads_keras = keras_loss_and_grads(keras_model, X, Y, dtype)
    assert logits_keras.dtype == dtype

    # Measured (max over the configurations): float32 logits 3.2e-7, loss 5e-8, gradients 1.9e-6; float64 with
    # d_k = 4 logits 8e-10, loss 4e-11, gradients 4e-9 (TensorFlow's float32 GELU coefficient), with d_k = 8
    # logits 3e-9, loss 1.3e-10, gradients 1.9e-8 (and its float32 attention scale).
    rtol = RTOL["float32"] if dtype == "float32" else max(RTOL_GELU64, mha_rtol(dtype, sizes[2] // sizes[3]))
    logits = model.forward(X)
    assert logits.dtype == dtype and logits.shape == (m, t, sizes[0])
    assert_close(logits, logits_keras, rtol)
    loss, grads = model.loss_and_grads(X, Y)
    assert_close(loss, loss_keras, rtol)
    assert_close(model.loss(X, Y), loss_keras, rtol)
    assert len(grads) == len(grads_keras) == len(model.get_weights())
    assert_same_gradients(grads, grads_keras, rtol)


def assert_same_gradients(grads, grads_keras, rtol):
    """Every gradient, in get_weights order; each block's key bias (index 2 + 16 l + 5) has gradient 0, which both
    compute as rounding noise (see assert_key_bias_gradient_vanishes)."""
    for i, (g, g_keras) in enumerate(zip(grads, grads_keras)):
        assert g.dtype == g_keras.dtype and g.shape == g_keras.shape, i
        if i >= 2 and (i - 2) % 16 == 5:
            assert_key_bias_gradient_vanishes(g, g_keras, grads[i - 2], rtol)
        else:
            assert_close(g, g_keras, rtol)


@pytest.mark.parametrize("config", [GPT_CONFIGS[0], GPT_CONFIGS[2]])
def test_gpt_float64_agreement_is_tight_with_the_exact_gelu_coefficient(config):
    """With TensorFlow's float32-rounded GELU coefficient replaced by 0.044715 (the GELU formula written with
    keras.ops), and d_k = 4 so that Keras' attention scale 1/2 is exact (see mha_rtol), everything else in the two
    float64 GPTs agrees to rounding: measured at most 7e-16 (logits) and 2.6e-15 (gradients)."""
    *sizes, m, t, seed = config
    model, X, Y = gpt_problem(*sizes, m, t, seed, "float64")
    keras_model = build_keras_gpt(*sizes, dtype="float64")
    set_keras_weights_from(model, keras_model)
    ops = keras.ops
    c = np.sqrt(2.0 / np.pi)
    for layer in keras_model.layers:
        if layer.name.endswith("_mlp_fc"):
            layer.activation = lambda z: 0.5 * z * (1.0 + ops.tanh(c * (z + 0.044715 * z * z * z)))
    logits_keras, loss_keras, grads_keras = keras_loss_and_grads(keras_model, X, Y, "float64")
    loss, grads = model.loss_and_grads(X, Y)
    rtol = RTOL["float64"]
    assert_close(model.forward(X), logits_keras, rtol)
    assert_close(loss, loss_keras, rtol)
    assert_same_gradients(grads, grads_keras, rtol)


@pytest.mark.parametrize("V,T,d,h,L", [(65, 64, 64, 4, 2), (65, 64, 256, 8, 4), (7, 3, 8, 2, 1), (50257, 1024, 768,
                                                                                                   12, 12)])
def test_parameter_count_formula(V, T, d, h, L):
    """V d + T d + L (12 d^2 + 13 d) + 2 d + d V, the chapter's formula, = GPT.n_params = Keras' count_params()
    (the last row is GPT-2 small with an untied output head: 163,037,184; 124,439,808 with tied embeddings)."""
    formula = V * d + T * d + L * (12 * d * d + 13 * d) + 2 * d + d * V
    if V == 50257:  # too big to build quickly; the published figure
        assert formula - V * d == 124_439_808
        return
    assert GPT(V, T, d, h, L).n_params == formula
    assert build_keras_gpt(V, T, d, h, L).count_params() == formula


def test_weights_round_trip_and_keras_weights_load_into_gpt():
    """Keras' own initial weights, read in course_lib's order, load into GPT.set_weights and give Keras' logits;
    course_lib's weights survive the trip into Keras and back bit for bit."""
    keras.utils.set_random_seed(3)
    sizes = (9, 6, 8, 2, 2)
    keras_model = build_keras_gpt(*sizes)
    model = GPT(*sizes, seed=4)
    weights_from_keras = get_weights_from_keras(keras_model)
    model.set_weights(weights_from_keras)
    X = np.random.default_rng(5).integers(0, 9, size=(3, 6))
    assert_close(model.forward(X), keras_model(X).numpy(), RTOL["float32"])

    other = GPT(*sizes, seed=6)
    set_keras_weights(keras_model, other.get_weights())
    for w, w_back in zip(other.get_weights(), get_weights_from_keras(keras_model)):
        np.testing.assert_array_equal(w, w_back)


def test_set_keras_weights_rejects_wrong_lists():
    sizes = (9, 6, 8, 2, 1)
    keras_model = build_keras_gpt(*sizes)
    weights = GPT(*sizes).get_weights()
    with pytest.raises(ValueError, match="weights must hold 21 arrays"):
        set_keras_weights(keras_model, weights[:-1])
    bad = list(weights)
    bad[4] = bad[4][:, :4]  # Wq of block 0
    with pytest.raises(ValueError, match=r"weights\[4\].*must have shape \(8, 8\); got \(8, 4\)"):
        set_keras_weights(keras_model, bad)
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        build_keras_gpt(9, 6, 8, 3, 1)


# ------------------------------------------------------------------------------------------- training with AdamW
@pytest.mark.parametrize("stock", [False, True])
def test_adamw_steps_match_keras(stock):
    """Three AdamW steps of course_lib's GPT and of the Keras GPT from the same weights on the same batches end
    at the same weights (float64), with make_keras_adamw. Stock keras.optimizers.AdamW (Keras 3.15.1, TensorFlow
    backend) does not: it squares the embeddings' sparse gradients slice by slice, before the repeated tokens'
    slices are summed, so its embedding rows move up to sqrt(occurrences) times too far. (If the stock case
    starts to agree, Keras has fixed this and make_keras_adamw is no longer needed.)

    The hyperparameters are powers of two (or one minus one): Keras casts them from Python floats, which
    TensorFlow rounds to float32 first, so 0.9 would differ from course_lib's 0.9 by 1e-8 in float64."""
    sizes = (11, 8, 12, 3, 2)
    model, _, _ = gpt_problem(*sizes, 4, 8, 0, "float64")
    keras_model = build_keras_gpt(*sizes, dtype="float64")
    set_keras_weights_from(model, keras_model)
    lr, wd, beta1, beta2, eps = 2.0**-7, 2.0**-3, 0.875, 1 - 2.0**-10, 2.0**-20
    keras_adamw = keras.optimizers.AdamW if stock else make_keras_adamw
    keras_opt = keras_adamw(learning_rate=lr, weight_decay=wd, beta_1=beta1, beta_2=beta2, epsilon=eps)
    opt = AdamW(lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=wd)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    variables = keras_gpt_variables(keras_model)
    rng = np.random.default_rng(7)
    for _ in range(3):
        X, Y = rng.integers(0, 11, size=(2, 4, 8))  # 32 ids from 11: every batch repeats tokens
        loss, grads = model.loss_and_grads(X, Y)
        opt.step(model.params, grads)
        with tf.GradientTape() as tape:
            keras_loss = loss_fn(Y, keras_model(X))
        keras_opt.apply_gradients(zip(tape.gradient(keras_loss, variables), variables))
        if not stock:
            assert_close(loss, keras_loss.numpy(), RTOL_GELU64)
    # the key biases b_k are left out: the softmax cancels them, their gradient is 0 up to rounding, and Adam
    # turns that noise into steps of +-lr that differ between any two implementations
    pairs = enumerate(zip(model.get_weights(), get_weights_from_keras(keras_model)))
    devs = [max_rel_dev(k, w) for i, (w, k) in pairs if not (2 <= i < 2 + 16 * sizes[4] and (i - 2) % 16 == 5)]
    if stock:
        assert devs[0] > 1e-2  # wte; measured 0.04
    else:
        assert max(devs) < 1e-7  # measured 6e-9 (float64 through Keras' GELU, see the module doc)
