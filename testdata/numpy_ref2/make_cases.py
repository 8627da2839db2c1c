#!/usr/bin/python3
"""Writes the layer cases under testdata/numpy_ref2/ (MultiHeadAttention variants,
GroupNormalization, UnitNormalization, grouped Conv1D/Conv2D, LayerNormalization(rms_scaling)).

Keras cannot run here, so the oracle is a numpy re-implementation of the formulas of Keras 3.15.1
(tag v3.15.1 of github.com/keras-team/keras). Each reference function below names the Keras
file it follows; the numpy code is written from scratch, nothing is copied from Keras.

Every case directory gets:

  model.keras       a zip as Keras 3.15.1 writes it: metadata.json, config.json (a Functional
                    model config: DTypePolicy objects, build_config, inbound_nodes
                    {"args", "kwargs"} with __keras_tensor__ entries; MultiHeadAttention's
                    call keywords exactly as the user passed them, since Layer.__call__ records
                    the caller's original kwargs when it has more than one positional tensor)
                    and model.weights.h5 in Keras 3's object-graph layout
                    (layers/<snake_case class>[_k]/vars/<i> in model.layers order with
                    per-class counters, an empty vars group for weightless layers, a "name"
                    attribute on each vars group, MultiHeadAttention's EinsumDense sub-layers
                    under query_dense/key_dense/value_dense/output_dense)
  input*.npy        float32 inputs from a seeded RNG
  expected*.npy     the model's outputs, computed in float64 from the float32 weights and
                    inputs, then rounded to float32
  layer_<name>.npy  every non-input layer's output ("layer_<name>_<i>.npy" for the i-th output
                    of a layer with several, keyed "<name>#<i>" in case.json)
  case.json         description, files, tolerances, oracle, parameter count ("params") and the
                    Keras variable paths with their shapes ("weights")

Run with Debian's python (numpy 1.24, h5py 3.7):  /usr/bin/python3 make_cases.py
The output is deterministic (fixed seeds, fixed zip timestamps, no HDF5 object times).
"""

import io
import json
import math
import os
import re
import shutil
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KERAS_VERSION = "3.15.1"
ORACLE = ("numpy re-implementation of Keras 3.15 formulas (testdata/numpy_ref2/make_cases.py), "
          "float64 then rounded to float32")
ATOL, RTOL = 1e-5, 1e-4


# ---------------------------------------------------------------------------------------------
# Config pieces in the form Keras 3.15 writes them (compare
# /work/shared/golden/transformer_block/model.keras config.json and golden/*/model.json).

def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def init(cls, cfg=None):
    return {"module": "keras.initializers", "class_name": cls, "config": cfg or {},
            "registered_name": None}


def glorot():
    return init("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None})


def ktensor(shape, layer, node=0, index=0):
    """A KerasTensor as serialize_node writes it (functional.py)."""
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + list(shape), "dtype": "float32",
                       "keras_history": [layer, node, index]}}


def input_layer(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name, "optional": False},
            "registered_name": None, "name": name, "inbound_nodes": []}


def layer(cls, name, cfg, args, kwargs=None, build_config=None):
    entry = {"module": "keras.layers", "class_name": cls,
             "config": {"name": name, "trainable": True, "dtype": dtype_policy(), **cfg},
             "registered_name": None}
    if build_config is not None:
        entry["build_config"] = build_config
    entry["name"] = name
    entry["inbound_nodes"] = [{"args": args, "kwargs": kwargs or {}}]
    return entry


def functional(name, layers, inputs, outputs):
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": layers,
                       "input_layers": inputs, "output_layers": outputs},
            "registered_name": "Functional", "build_config": {"input_shape": None}}


def mha_config(num_heads, key_dim, value_dim=None, output_shape=None):
    """MultiHeadAttention.get_config (multi_head_attention.py), after build: value_dim
    defaults to key_dim, an int output_shape is kept as a 1-tuple (a JSON list) and
    attention_axes becomes (1,) for rank-3 inputs (_build_attention)."""
    if isinstance(output_shape, int):
        output_shape = [output_shape]
    return {"num_heads": num_heads, "key_dim": key_dim,
            "value_dim": value_dim if value_dim else key_dim, "dropout": 0.0,
            "use_bias": True, "use_gate": False, "output_shape": output_shape,
            "attention_axes": [1], "sliding_window": None,
            "kernel_initializer": glorot(), "bias_initializer": init("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
            "seed": None}


def norm_initializers():
    return {"beta_initializer": init("Zeros"), "gamma_initializer": init("Ones"),
            "beta_regularizer": None, "gamma_regularizer": None,
            "beta_constraint": None, "gamma_constraint": None}


def conv_config(rank, filters, kernel_size, padding, groups):
    return {"filters": filters, "kernel_size": [kernel_size] * rank, "strides": [1] * rank,
            "padding": padding, "data_format": "channels_last", "dilation_rate": [1] * rank,
            "groups": groups, "activation": "linear", "use_bias": True,
            "kernel_initializer": glorot(), "bias_initializer": init("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


# ---------------------------------------------------------------------------------------------
# Writing a case.

def snake_case(name):
    """keras/src/utils/naming.py to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def make_group(f, path, name, arrays):
    """One saveable's entry: <path>/vars with a "name" attribute and datasets 0..n-1
    (saving_lib.py H5IOStore._create_h5_group / __setitem__)."""
    g = f.create_group(path + "/vars" if path else "vars")
    g.attrs["name"] = name
    for i, a in enumerate(arrays):
        g.create_dataset(str(i), data=np.asarray(a, dtype=np.float32))


def weights_h5(model_name, layers, weights):
    """model.weights.h5 bytes. layers is the config's layer list (model.layers order);
    weights maps a layer name to its variables: a list of arrays, or for MultiHeadAttention
    a dict sub-layer attribute -> (sub-layer name, list of arrays)."""
    buf = io.BytesIO()
    with h5py.File(buf, "w", track_order=False) as f:
        make_group(f, "", model_name, [])
        used = {}
        for entry in layers:
            base = snake_case(entry["class_name"])
            if base in used:
                used[base] += 1
                key = f"{base}_{used[base]}"
            else:
                used[base] = 0
                key = base
            path = "layers/" + key
            w = weights.get(entry["name"], [])
            if isinstance(w, dict):
                make_group(f, path, entry["name"], [])
                for attr, (sub_name, arrays) in w.items():
                    make_group(f, path + "/" + attr, sub_name, arrays)
            else:
                make_group(f, path, entry["name"], w)
    return buf.getvalue()


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def save_npy(path, a):
    np.save(path, np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


def write_case(name, description, model_cfg, weights, inputs, outputs, layer_outputs,
               weight_paths):
    """inputs/outputs: lists of arrays in model.inputs / model.outputs order; layer_outputs:
    {key: array}; weight_paths: {Keras variable path: array} for case.json."""
    d = os.path.join(HERE, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    cfg = json.dumps(model_cfg).encode()
    meta = json.dumps({"keras_version": KERAS_VERSION,
                       "date_saved": "2026-01-01@00:00:00"}).encode()
    h5 = weights_h5(model_cfg["config"]["name"], model_cfg["config"]["layers"], weights)
    with open(os.path.join(d, "model.keras"), "wb") as fp:
        fp.write(zip_bytes([("metadata.json", meta), ("config.json", cfg),
                            ("model.weights.h5", h5)]))

    def files(prefix, arrays):
        if len(arrays) == 1:
            names = [prefix + ".npy"]
        else:
            names = [f"{prefix}_{i}.npy" for i in range(len(arrays))]
        for n, a in zip(names, arrays):
            save_npy(os.path.join(d, n), a)
        return names

    in_files = files("input", inputs)
    out_files = files("expected", outputs)
    layer_files = {}
    for key, a in layer_outputs.items():
        fname = "layer_" + key.replace("#", "_") + ".npy"
        save_npy(os.path.join(d, fname), a)
        layer_files[key] = fname
    params = int(sum(np.asarray(a).size for a in weight_paths.values()))
    case = {"description": description, "inputs": in_files, "expected": out_files,
            "layers": layer_files, "params": params,
            "weights": {k: list(np.shape(a)) for k, a in weight_paths.items()},
            "atol": ATOL, "rtol": RTOL, "oracle": ORACLE}
    with open(os.path.join(d, "case.json"), "w") as fp:
        json.dump(case, fp, indent=1)
        fp.write("\n")
    print(f"{name}: {len(inputs)} input(s), {len(outputs)} output(s), {params} params")


def f32(rng, shape, scale=1.0, loc=0.0):
    return (loc + scale * rng.standard_normal(shape)).astype(np.float32)


def uniform32(rng, shape, limit):
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def f64(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# Reference formulas (float64).

def einsum_proj(x, kernel, bias):
    """MultiHeadAttention's q/k/v projections (multi_head_attention.py build():
    _build_proj_equation(free_dims=2, bound_dims=1, output_dims=2) gives the EinsumDense
    equation "abc,cde->abde" with bias_axes "de"): [N,T,D]·[D,H,K] + [H,K] -> [N,T,H,K]."""
    return np.einsum("abc,cde->abde", f64(x), f64(kernel)) + f64(bias)


def softmax_last(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def mha_reference(query, value, key, w, key_dim, attention_mask=None, use_causal_mask=False):
    """MultiHeadAttention.call / _compute_attention / _masked_softmax (multi_head_attention.py)
    and the Softmax layer (keras/src/layers/activations/softmax.py) for rank-3 inputs:

      q = (query·Wq + bq) * 1/sqrt(key_dim); k = key·Wk + bk; v = value·Wv + bv
      scores = einsum("aecd,abcd->acbe", k, q)                       [N, H, Tq, Tk]
      mask   = bool(attention_mask) [& causal row >= col], expanded to [N, 1, Tq, Tk]
      probs  = softmax(where(mask, scores, -1e9)) then where(mask, probs, 0)
      out    = einsum("acbe,aecd->abcd", probs, v)·Wo + bo               [N, Tq, out]

    The fused path (ops.dot_product_attention, taken without return_attention_scores) masks
    with where(mask, logits, -0.7*float32 max) and does not zero the masked probabilities;
    both give the same numbers when every query row keeps at least one key, as here.
    Returns (output, scores)."""
    q = einsum_proj(query, *w["query"]) * (1.0 / math.sqrt(float(key_dim)))
    k = einsum_proj(key, *w["key"])
    v = einsum_proj(value, *w["value"])
    scores = np.einsum("aecd,abcd->acbe", k, q)
    mask = None
    if attention_mask is not None:
        mask = np.asarray(attention_mask) != 0  # ops.cast(attention_mask, "bool")
    if use_causal_mask:
        tq, tk = q.shape[1], k.shape[1]
        rows = np.arange(1, tq + 1)[:, None]  # cumsum of ones over axis -2
        cols = np.arange(1, tk + 1)[None, :]  # cumsum of ones over axis -1
        causal = (rows >= cols)[None]  # [1, Tq, Tk]
        mask = causal if mask is None else (mask & causal)
    if mask is not None:
        mask = mask[:, None, :, :]  # expand_dims at axis -3 (the heads axis)
        assert mask.any(axis=-1).all(), "a fully masked query row"
        scores = np.where(mask, scores, -1e9)
    probs = softmax_last(scores)
    if mask is not None:
        probs = np.where(mask, probs, 0.0)
    ctx = np.einsum("acbe,aecd->abcd", probs, v)  # [N, Tq, H, V]
    wo, bo = w["output"]
    # _make_output_dense: _build_proj_equation(free_dims=2, bound_dims=2, output_dims=1)
    # gives "abcd,cde->abe" with bias_axes "e".
    out = np.einsum("abcd,cde->abe", ctx, f64(wo)) + f64(bo)
    return out, probs


def group_norm_reference(x, gamma, beta, groups, epsilon):
    """GroupNormalization.call / _reshape_into_groups / _apply_normalization
    (keras/src/layers/normalization/group_normalization.py), axis=-1: the channels split into
    [groups, C/groups]; mean and (population) variance over every axis but batch and group
    (ops.moments); inv = rsqrt(var + eps) * gamma; out = x*inv + (beta - mean*inv)."""
    x = f64(x)
    shape = x.shape
    c = shape[-1]
    xg = x.reshape(shape[:-1] + (groups, c // groups))
    axes = tuple(range(1, xg.ndim - 2)) + (xg.ndim - 1,)
    mean = xg.mean(axis=axes, keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=axes, keepdims=True)
    bshape = (1,) * (len(shape) - 1) + (groups, c // groups)
    inv = 1.0 / np.sqrt(var + epsilon) * f64(gamma).reshape(bshape)
    res = -mean * inv + f64(beta).reshape(bshape)
    return (xg * inv + res).reshape(shape)


def unit_norm_reference(x):
    """UnitNormalization.call (keras/src/layers/normalization/unit_normalization.py):
    ops.normalize(x, axis=-1, order=2, epsilon=1e-12), which for order 2 is
    x * minimum(rsqrt(sum(x^2)), 1/epsilon) (keras/src/ops/nn.py _normalize)."""
    x = f64(x)
    s = np.sum(x * x, axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        inv = 1.0 / np.sqrt(s)
    return x * np.minimum(inv, 1.0 / 1e-12)


def same_padding(size, k):
    """TF/XLA "same" padding for stride 1: total k-1, the smaller half before."""
    total = max(k - 1, 0)
    return total // 2, total - total // 2


def conv_reference(x, kernel, bias, padding):
    """BaseConv.call (keras/src/layers/convolutional/base_conv.py): ops.conv with a kernel
    [*k, C_in/groups, filters]; the backends derive feature_group_count = C_in / kernel's
    in-channels (e.g. keras/src/backend/numpy/nn.py conv), so output channel o reads the input
    channels of group o // (filters/groups). Then + bias. Stride 1, dilation 1, channels_last;
    x is [N, *spatial, C]."""
    x, kernel, bias = f64(x), f64(kernel), f64(bias)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    cin_g, filters = kernel.shape[rank], kernel.shape[rank + 1]
    groups = x.shape[-1] // cin_g
    fpg = filters // groups
    if padding == "same":
        pads = [same_padding(x.shape[1 + i], ks[i]) for i in range(rank)]
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sp = [x.shape[1 + i] - ks[i] + 1 for i in range(rank)]
    out = np.zeros((x.shape[0], *out_sp, filters))
    for g in range(groups):
        xg = x[..., g * cin_g:(g + 1) * cin_g]
        kg = kernel[..., g * fpg:(g + 1) * fpg]
        for off in np.ndindex(*ks):
            sl = tuple(slice(off[i], off[i] + out_sp[i]) for i in range(rank))
            patch = xg[(slice(None),) + sl]
            out[..., g * fpg:(g + 1) * fpg] += patch @ kg[off]
    return out + bias


def layer_norm_rms_reference(x, gamma, epsilon):
    """LayerNormalization(rms_scaling=True) (keras/src/layers/normalization/
    layer_normalization.py call -> keras/src/ops/nn.py _layer_normalization, rms_scaling
    branch): variance = var(x, axis) (mean-centred), out = x * rsqrt(variance + eps) * gamma,
    with x itself not centred and no beta (build() makes beta only when not rms_scaling)."""
    x = f64(x)
    var = x.var(axis=-1, keepdims=True)
    return x / np.sqrt(var + epsilon) * f64(gamma)


# ---------------------------------------------------------------------------------------------
# Cases.

def mha_weights(rng, dq, dk, dv, heads, key_dim, value_dim, out_dims):
    """Seeded MHA variables: kernels Glorot-like, biases non-zero so that they are exercised."""
    def proj(d, h, k):
        return (uniform32(rng, (d, h, k), math.sqrt(6.0 / (d + h * k))),
                f32(rng, (h, k), 0.1))
    w = {"query": proj(dq, heads, key_dim), "key": proj(dk, heads, key_dim),
         "value": proj(dv, heads, value_dim)}
    w["output"] = (uniform32(rng, (heads, value_dim, out_dims),
                             math.sqrt(6.0 / (heads * value_dim + out_dims))),
                   f32(rng, (out_dims,), 0.1))
    return w


def mha_h5_groups(name, w):
    return {name: {"query_dense": ("query", list(w["query"])),
                   "key_dense": ("key", list(w["key"])),
                   "value_dense": ("value", list(w["value"])),
                   "output_dense": ("attention_output", list(w["output"])),
                   "_softmax": ("softmax", []),
                   "_dropout_layer": ("dropout", [])}}


def mha_paths(name, w):
    out = {}
    for sub, keras_name in (("query", "query"), ("key", "key"), ("value", "value"),
                            ("output", "attention_output")):
        out[f"{name}/{keras_name}/kernel"] = w[sub][0]
        out[f"{name}/{keras_name}/bias"] = w[sub][1]
    return out


def mha_case(name, description, seed, *, n, tq, tk, dq, dk=None, dv=None, heads, key_dim,
             value_dim=None, output_shape=None, separate_key=False, attention_mask=False,
             causal=False, scores=False):
    """A Functional model around one MultiHeadAttention call. Without separate_key and with
    tq == tk the call is self-attention mha(x, x) on one input."""
    rng = np.random.default_rng(seed)
    dk = dk or dq
    dv = dv or dq
    vdim = value_dim or key_dim
    out_dims = output_shape or dq
    self_attn = not separate_key and tk == tq and dv == dq
    layers, inputs, arrays = [], [], []
    if self_attn:
        x = f32(rng, (n, tq, dq))
        layers.append(input_layer("x", (tq, dq)))
        inputs.append(["x", 0, 0])
        arrays.append(x)
        q_in = v_in = k_in = x
        args = [ktensor((tq, dq), "x"), ktensor((tq, dq), "x")]
        shapes = {"query_shape": [None, tq, dq], "value_shape": [None, tq, dq]}
    else:
        q_in, v_in = f32(rng, (n, tq, dq)), f32(rng, (n, tk, dv))
        layers += [input_layer("query", (tq, dq)), input_layer("value", (tk, dv))]
        inputs += [["query", 0, 0], ["value", 0, 0]]
        arrays += [q_in, v_in]
        args = [ktensor((tq, dq), "query"), ktensor((tk, dv), "value")]
        shapes = {"query_shape": [None, tq, dq], "value_shape": [None, tk, dv]}
        k_in = v_in
    kwargs = {}
    if separate_key:
        k_in = f32(rng, (n, tk, dk))
        layers.append(input_layer("key", (tk, dk)))
        inputs.append(["key", 0, 0])
        arrays.append(k_in)
        kwargs["key"] = ktensor((tk, dk), "key")
        shapes["key_shape"] = [None, tk, dk]
    mask = None
    if attention_mask:
        mask = (rng.uniform(size=(n, tq, tk)) < 0.6).astype(np.float32)
        for b in range(n):  # every query row keeps at least one key
            for i in range(tq):
                if not mask[b, i].any():
                    mask[b, i, rng.integers(tk)] = 1.0
        layers.append(input_layer("mask", (tq, tk)))
        inputs.append(["mask", 0, 0])
        arrays.append(mask)
        kwargs["attention_mask"] = ktensor((tq, tk), "mask")
    if causal:
        kwargs["use_causal_mask"] = True
    if scores:
        kwargs["return_attention_scores"] = True
    w = mha_weights(rng, dq, dk, dv, heads, key_dim, vdim, out_dims)
    layers.append(layer("MultiHeadAttention", "mha",
                        mha_config(heads, key_dim, value_dim, output_shape), args, kwargs,
                        {"shapes_dict": shapes}))
    out, probs = mha_reference(q_in, v_in, k_in, w, key_dim, mask, causal)
    if scores:
        outputs, model_outs = [["mha", 0, 0], ["mha", 0, 1]], [out, probs]
        layer_outs = {"mha#0": out, "mha#1": probs}
    else:
        outputs, model_outs = ["mha", 0, 0], [out]
        layer_outs = {"mha": out}
    if len(inputs) == 1:
        inputs = inputs[0]
    model = functional(name, layers, inputs, outputs)
    write_case(name, description, model, mha_h5_groups("mha", w), arrays, model_outs,
               layer_outs, mha_paths("mha", w))


def single_layer_case(name, description, cls, cfg, in_shape, x, weights, ref_out, var_names,
                      build=True):
    """A Functional model x -> one layer (named after its class, like Keras' default)."""
    lname = snake_case(cls)
    layers = [input_layer("x", in_shape),
              layer(cls, lname, cfg, [ktensor(in_shape, "x")], {},
                    {"input_shape": [None] + list(in_shape)} if build else None)]
    model = functional(name, layers, ["x", 0, 0], [lname, 0, 0])
    write_case(name, description, model, {lname: list(weights)}, [x], [ref_out],
               {lname: ref_out}, {f"{lname}/{v}": a for v, a in zip(var_names, weights)})


def group_norm_case(name, seed, in_shape, groups, epsilon):
    rng = np.random.default_rng(seed)
    n = 2
    c = in_shape[-1]
    x = f32(rng, (n,) + in_shape, 1.5, 0.7)
    # One group of the second sample nearly constant, so that epsilon matters.
    cpg = c // groups
    x[1, ..., :cpg] = (0.3 + 0.03 * rng.standard_normal(x[1, ..., :cpg].shape)).astype(np.float32)
    gamma, beta = f32(rng, (c,), 0.5, 1.0), f32(rng, (c,), 0.5)
    cfg = {"groups": groups, "axis": -1, "epsilon": epsilon, "center": True, "scale": True,
           **norm_initializers()}
    out = group_norm_reference(x, gamma, beta, groups, epsilon)
    single_layer_case(name, f"GroupNormalization(groups={groups}, epsilon={epsilon}) on "
                      f"{(n,) + in_shape}: gamma, beta ({c},); the first group of sample 1 is "
                      "nearly constant (variance ~1e-3) so that epsilon matters.",
                      "GroupNormalization", cfg, in_shape, x, [gamma, beta], out,
                      ["gamma", "beta"])


def unit_norm_case(name, seed, tiny):
    rng = np.random.default_rng(seed)
    shape = (3, 4, 5)
    x = f32(rng, shape)
    if tiny:
        # Norms below epsilon=1e-12, where Keras caps rsqrt(sum x^2) at 1/epsilon, so that
        # the output is x * 1e12 (norm < 1), and an all-zero vector (output 0, not NaN).
        x[0, 1] = np.float32([3e-13, -4e-13, 0, 1e-13, 0])
        x[1, 2] = np.float32([2e-14, 0, 0, -5e-14, 1e-14])
        x[2, 0] = 0.0
        desc = ("UnitNormalization(axis=-1) on (3,4,5) with two vectors whose L2 norm is "
                "below epsilon=1e-12 (Keras computes x*min(rsqrt(sum x^2), 1e12), so they "
                "come out as x*1e12) and one all-zero vector (output 0).")
    else:
        x[1, 3] = 0.0
        x[2] *= 40.0
        desc = ("UnitNormalization(axis=-1) on (3,4,5): x * rsqrt(sum x^2); one all-zero "
                "vector (output 0) and one sample scaled by 40.")
    out = unit_norm_reference(x)
    single_layer_case(name, desc, "UnitNormalization", {"axis": -1}, shape[1:], x, [], out,
                      [], build=False)


def conv_case(name, seed, rank, spatial, cin, filters, k, groups, padding):
    rng = np.random.default_rng(seed)
    n = 2
    in_shape = tuple(spatial) + (cin,)
    x = f32(rng, (n,) + in_shape)
    kshape = (k,) * rank + (cin // groups, filters)
    fan_in = k ** rank * (cin // groups)
    kernel = uniform32(rng, kshape, math.sqrt(6.0 / (fan_in + k ** rank * filters)))
    bias = f32(rng, (filters,), 0.1)
    cls = f"Conv{rank}D"
    out = conv_reference(x, kernel, bias, padding)
    single_layer_case(name, f"{cls}(filters={filters}, kernel_size={k}, groups={groups}, "
                      f"padding='{padding}') on {(n,) + in_shape}: kernel {kshape}, bias "
                      f"({filters},); output channel o reads input channels of group "
                      f"o // {filters // groups}.",
                      cls, conv_config(rank, filters, k, padding, groups), in_shape, x,
                      [kernel, bias], out, ["kernel", "bias"])


def layernorm_rms_case(name, seed):
    rng = np.random.default_rng(seed)
    shape = (2, 4, 6)
    # A per-row offset makes the mean far from 0, so var(x) and mean(x^2) differ a lot.
    x = (f32(rng, shape) + rng.uniform(-3, 3, (2, 4, 1))).astype(np.float32)
    gamma = f32(rng, (6,), 0.5, 1.0)
    epsilon = 1e-3
    cfg = {"axis": [-1], "epsilon": epsilon, "center": True, "scale": True,
           "rms_scaling": True, **norm_initializers()}
    out = layer_norm_rms_reference(x, gamma, epsilon)
    single_layer_case(name, "LayerNormalization(rms_scaling=True, epsilon=1e-3) on (2,4,6): "
                      "Keras 3.15 computes x * rsqrt(var(x) + eps) * gamma with the "
                      "mean-centred variance but x not centred, and has no beta; rows have "
                      "large means so this differs from both LayerNorm and true RMSNorm.",
                      "LayerNormalization", cfg, shape[1:], x, [gamma], out, ["gamma"])


def main():
    mha_case("mha_value_dim", "MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5) "
             "self-attention mha(x, x) on (2,5,6): q/k kernels (6,3,4), value kernel (6,3,5), "
             "output kernel (3,5,6).", 201,
             n=2, tq=5, tk=5, dq=6, heads=3, key_dim=4, value_dim=5)
    mha_case("mha_output_shape", "MultiHeadAttention(num_heads=2, key_dim=3, output_shape=8) "
             "self-attention on (2,5,6): Keras keeps output_shape as (8,) (config [8]); output "
             "kernel (2,3,8), bias (8,); output (2,5,8).", 202,
             n=2, tq=5, tk=5, dq=6, heads=2, key_dim=3, output_shape=8)
    mha_case("mha_causal", "MultiHeadAttention(num_heads=2, key_dim=4) self-attention on "
             "(3,5,6) called with use_causal_mask=True (query i attends to keys j <= i).", 203,
             n=3, tq=5, tk=5, dq=6, heads=2, key_dim=4, causal=True)
    mha_case("mha_key_input", "MultiHeadAttention(num_heads=2, key_dim=3) called as "
             "mha(query, value, key=key): query (2,3,6), value (2,5,5), key (2,5,4) as three "
             "Inputs (model inputs in that order), so key and value differ in data and width; "
             "key kernel (4,2,3), value kernel (5,2,3), output (2,3,6).", 204,
             n=2, tq=3, tk=5, dq=6, dk=4, dv=5, heads=2, key_dim=3, separate_key=True)
    mha_case("mha_attention_mask", "MultiHeadAttention(num_heads=2, key_dim=4) self-attention "
             "on x (2,5,6) with attention_mask=mask, a second Input (2,5,5) of 0/1 floats "
             "(0 = masked; every query row keeps at least one key).", 205,
             n=2, tq=5, tk=5, dq=6, heads=2, key_dim=4, attention_mask=True)
    mha_case("mha_scores", "MultiHeadAttention(num_heads=2, key_dim=4) self-attention on "
             "(2,5,6) with return_attention_scores=True: outputs (output (2,5,6), scores "
             "(2,2,5,5)).", 206,
             n=2, tq=5, tk=5, dq=6, heads=2, key_dim=4, scores=True)
    group_norm_case("group_norm", 207, (3, 4, 4), 2, 1e-3)
    group_norm_case("group_norm_seq", 208, (5, 6), 3, 1e-3)
    unit_norm_case("unit_norm", 209, tiny=False)
    unit_norm_case("unit_norm_tiny", 210, tiny=True)
    conv_case("conv2d_groups", 211, 2, (6, 6), 4, 4, 3, 2, "same")
    conv_case("conv1d_groups", 212, 1, (7,), 4, 6, 3, 2, "valid")
    layernorm_rms_case("layernorm_rms", 213)


if __name__ == "__main__":
    main()
