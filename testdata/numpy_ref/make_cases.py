#!/usr/bin/python3
"""Writes the numpy-reference layer cases under testdata/numpy_ref/.

Keras cannot run here and TF.js 4.22 has none of these layers, so the oracle is a numpy
re-implementation of Keras 3.15's own formulas (each reference function names the Keras file and
the lines it follows; the code is written from scratch, none is copied). Every case directory gets:

  model.keras       a Keras 3 zip as Keras 3.15.1 writes it: metadata.json, config.json (a
                    functional model config in Keras' own form: DTypePolicy objects, build_config,
                    inbound_nodes {"args", "kwargs"} with __keras_tensor__ entries) and
                    model.weights.h5 in Keras' object-graph layout
                    (layers/<snake_case class>[_k]/vars/<i>, per-class counters in model.layers
                    order, a "name" attribute on each vars group, nested layers by attribute)
  input*.npy        float32 inputs from a seeded RNG
  expected*.npy     the model's outputs, computed in float64 from the float32 weights and
                    inputs, then rounded to float32
  layer_<name>.npy  every (non-input) layer's output, the same way
  case.json         description, files, tolerances, oracle, and the parameter count

Run with Debian's python (numpy 1.24, h5py 3.7):  /usr/bin/python3 make_cases.py
The output is deterministic (fixed seeds, fixed zip timestamps, no HDF5 object times).
"""

import io
import json
import os
import re
import shutil
import sys
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KERAS_VERSION = "3.15.1"
ORACLE = ("numpy re-implementation of Keras 3.15 formulas (testdata/numpy_ref/make_cases.py), "
          "float64 then rounded to float32")


# ---------------------------------------------------------------------------------------------
# Config pieces, in the form Keras 3.15 writes them (see /work/shared/golden/*/model.json).

def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def initializer(cls, cfg):
    return {"module": "keras.initializers", "class_name": cls, "config": cfg,
            "registered_name": None}


def glorot():
    return initializer("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None})


def zeros():
    return initializer("Zeros", {})


def base_config(name):
    # Layer.get_config (keras/src/layers/layer.py): name, trainable, dtype; activity_regularizer
    # only when set.
    return {"name": name, "trainable": True, "dtype": dtype_policy()}


def dense_config(name, units, activation="linear", use_bias=True):
    # keras/src/layers/core/dense.py get_config
    c = base_config(name)
    c.update({"units": units, "activation": activation, "use_bias": use_bias,
              "kernel_initializer": glorot(), "bias_initializer": zeros(),
              "kernel_regularizer": None, "bias_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None,
              "quantization_config": None})
    return c


def flatten_config(name):
    # keras/src/layers/reshaping/flatten.py get_config
    c = base_config(name)
    c["data_format"] = "channels_last"
    return c


def attention_config(name, use_scale, score_mode):
    # keras/src/layers/attention/attention.py get_config: use_scale, score_mode, dropout, seed
    c = base_config(name)
    c.update({"use_scale": use_scale, "score_mode": score_mode, "dropout": 0.0, "seed": None})
    return c


def additive_attention_config(name, use_scale):
    # keras/src/layers/attention/additive_attention.py get_config drops score_mode from
    # Attention's.
    c = base_config(name)
    c.update({"use_scale": use_scale, "dropout": 0.0, "seed": None})
    return c


def einsum_dense_config(name, equation, output_shape, bias_axes, activation="linear"):
    # keras/src/layers/core/einsum_dense.py: __init__ keeps an int output_shape as the tuple
    # (output_shape,) and get_config writes "output_shape": self.partial_output_shape, so the
    # file always holds a list.
    if isinstance(output_shape, int):
        output_shape = [output_shape]
    c = base_config(name)
    c.update({"output_shape": list(output_shape), "equation": equation,
              "activation": activation, "bias_axes": bias_axes,
              "kernel_initializer": glorot(), "bias_initializer": zeros(),
              "kernel_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None,
              "bias_constraint": None, "quantization_config": None})
    return c


def layer_object(cls, config, build_input_shape):
    """A serialized layer (as nested in a wrapper's "layer" key)."""
    o = {"module": "keras.layers", "class_name": cls, "config": config, "registered_name": None}
    if build_input_shape is not None:
        o["build_config"] = {"input_shape": build_input_shape}
    return o


def to_snake_case(name):
    # The rule of keras/src/utils/naming.py to_snake_case, used by saving_lib for the h5 keys.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ---------------------------------------------------------------------------------------------
# A tiny functional-model builder that evaluates in float64 as it goes.

class Ref:
    """A symbolic tensor: the layer that made it and its Keras shape (batch None)."""

    def __init__(self, layer, shape, value):
        self.layer, self.shape, self.value = layer, shape, value

    def keras_tensor(self):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(self.shape), "dtype": "float32",
                           "keras_history": [self.layer, 0, 0]}}


def map_refs(x, f):
    if isinstance(x, Ref):
        return f(x)
    if isinstance(x, (list, tuple)):
        return [map_refs(e, f) for e in x]
    if isinstance(x, dict):
        return {k: map_refs(v, f) for k, v in x.items()}
    return x


def keras_shape(a):
    return [None] + list(a.shape[1:])


class Model:
    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.layers = []      # config entries, in model.layers order
        self.weights = []     # per layer: (class, name, own weights, {attr: (name, weights)})
        self.inputs = []      # (name, float32 array)
        self.layer_outputs = {}

    # Weights and inputs are float32; the references compute in float64 from them.
    def normal(self, *shape, scale=1.0):
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def uniform(self, lo, hi, *shape):
        return self.rng.uniform(lo, hi, shape).astype(np.float32)

    def input(self, name, shape):
        data = self.normal(*shape)
        self.inputs.append((name, data))
        self.layers.append({
            "module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(shape[1:]), "dtype": "float32",
                       "sparse": False, "ragged": False, "name": name, "optional": False},
            "registered_name": None, "name": name, "inbound_nodes": []})
        self.weights.append(("InputLayer", name, [], {}))
        return Ref(name, [None] + list(shape[1:]), data.astype(np.float64))

    def layer(self, cls, config, args, kwargs, fn, weights=(), build_config=None, nested=None):
        """Adds a layer called on args (a Ref or a nested list of Refs) with kwargs; fn maps
        the float64 input value(s) and the float64 weights to the float64 output."""
        name = config["name"]
        if build_config is None:
            build_config = {"input_shape": map_refs(args, lambda r: list(r.shape))}
        self.layers.append({
            "module": "keras.layers", "class_name": cls, "config": config,
            "registered_name": None, "build_config": build_config, "name": name,
            "inbound_nodes": [{"args": [map_refs(args, lambda r: r.keras_tensor())],
                               "kwargs": kwargs}]})
        self.weights.append((cls, name, list(weights), dict(nested or {})))
        w64 = [w.astype(np.float64) for w in weights]
        for _, (_, ws) in (nested or {}).items():
            w64 += [w.astype(np.float64) for w in ws]
        out = fn(map_refs(args, lambda r: r.value), *w64)
        self.layer_outputs[name] = out
        return Ref(name, keras_shape(out), out)

    def config(self, outputs):
        ins = [[n, 0, 0] for n, _ in self.inputs]
        outs = [[o.layer, 0, 0] for o in outputs]
        return {
            "module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": self.name, "trainable": True, "layers": self.layers,
                       "input_layers": ins[0] if len(ins) == 1 else ins,
                       "output_layers": outs[0] if len(outs) == 1 else outs},
            "registered_name": "Functional", "build_config": {"input_shape": None},
            "compile_config": {}}

    def weights_h5(self):
        """model.weights.h5 in saving_lib's layout: layers/<snake class>[_k]/vars/<i>."""
        buf = io.BytesIO()
        with h5py.File(buf, "w") as f:
            layers = f.create_group("layers")
            used = {}
            for cls, name, own, nested in self.weights:
                base = to_snake_case(cls)
                if base in used:
                    used[base] += 1
                    key = "%s_%d" % (base, used[base])
                else:
                    used[base] = 0
                    key = base
                g = layers.create_group(key)
                v = g.create_group("vars")
                v.attrs["name"] = name
                for i, w in enumerate(own):
                    v.create_dataset(str(i), data=w)
                for attr, (iname, ws) in nested.items():
                    iv = g.create_group(attr).create_group("vars")
                    iv.attrs["name"] = iname
                    for i, w in enumerate(ws):
                        iv.create_dataset(str(i), data=w)
            f.create_group("vars").attrs["name"] = self.name
        return buf.getvalue()

    def param_count(self):
        n = 0
        for _, _, own, nested in self.weights:
            n += sum(int(w.size) for w in own)
            n += sum(int(w.size) for _, ws in nested.values() for w in ws)
        return n


def write_case(case, model, outputs, description):
    d = os.path.join(HERE, case)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    def member(zf, name, data):
        zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_STORED
        zf.writestr(zi, data)

    with zipfile.ZipFile(os.path.join(d, "model.keras"), "w") as zf:
        member(zf, "metadata.json", json.dumps({"keras_version": KERAS_VERSION}))
        member(zf, "config.json", json.dumps(model.config(outputs)))
        member(zf, "model.weights.h5", model.weights_h5())

    def npy(fname, a):
        np.save(os.path.join(d, fname), np.ascontiguousarray(a, dtype="<f4"))
        return fname

    if len(model.inputs) == 1:
        ins = [npy("input.npy", model.inputs[0][1])]
    else:
        ins = [npy("input_%d.npy" % i, a) for i, (_, a) in enumerate(model.inputs)]
    if len(outputs) == 1:
        exp = [npy("expected.npy", outputs[0].value.astype(np.float32))]
    else:
        exp = [npy("expected_%d.npy" % i, o.value.astype(np.float32))
               for i, o in enumerate(outputs)]
    layers = {}
    for name, v in model.layer_outputs.items():
        layers[name] = npy("layer_%s.npy" % name, v.astype(np.float32))
    c = {"description": description, "inputs": ins, "expected": exp, "layers": layers,
         "params": model.param_count(), "atol": 1e-5, "rtol": 1e-4, "oracle": ORACLE}
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(c, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# References (float64). Each follows the Keras 3.15.1 source named in its comment.

def ref_dense(activation):
    # keras/src/layers/core/dense.py call: x = matmul(inputs, kernel); x += bias; activation(x)
    act = {"linear": lambda x: x, "relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh}[activation]

    def f(x, kernel, bias=None):
        y = np.matmul(x, kernel)
        if bias is not None:
            y = y + bias
        return act(y)
    return f


def softmax_last(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_scores_dot(q, k, scale=None):
    # attention.py _calculate_scores, score_mode "dot":
    #   scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
    #   if self.scale is not None: scores = ops.multiply(scores, self.scale)
    s = np.matmul(q, np.swapaxes(k, -2, -1))
    if scale is not None:
        s = s * scale
    return s


def attention_scores_concat(q, k, scale, concat_score_weight):
    # attention.py _calculate_scores, score_mode "concat" (q as [B,Tq,1,D], k as [B,1,Tv,D]):
    #   with scale:    scores = self.concat_score_weight * ops.sum(
    #                      ops.tanh(self.scale * (q_reshaped + k_reshaped)), axis=-1)
    #   without scale: scores = self.concat_score_weight * ops.sum(
    #                      ops.tanh(q_reshaped + k_reshaped), axis=-1)
    qk = q[:, :, None, :] + k[:, None, :, :]
    if scale is not None:
        qk = scale * qk
    return concat_score_weight * np.tanh(qk).sum(axis=-1)


def additive_scores(q, k, scale=None):
    # additive_attention.py _calculate_scores:
    #   scale = self.scale if self.use_scale else 1.0
    #   return ops.sum(scale * ops.tanh(q_reshaped + k_reshaped), axis=-1)
    # (self.scale has shape [dim], built from input_shape[0][-1], the query's last axis)
    t = np.tanh(q[:, :, None, :] + k[:, None, :, :])
    if scale is not None:
        t = scale * t
    return t.sum(axis=-1)


def attention_apply(scores, v, causal):
    # attention.py _calculate_score_mask with use_causal_mask=True (no value mask):
    #   ones_mask = ops.ones((1, Tq, Tv)); row_index = cumsum(ones_mask, axis=-2);
    #   col_index = cumsum(ones_mask, axis=-1); causal_mask = greater_equal(row_index, col_index)
    # _apply_scores:
    #   padding_mask = ops.logical_not(scores_mask)
    #   max_value = 65504.0 if scores.dtype == "float16" else 1.0e9
    #   scores = ops.where(padding_mask, scores - max_value, scores)
    #   weights = ops.softmax(scores, axis=-1); return ops.matmul(weights, value)
    if causal:
        tq, tv = scores.shape[-2], scores.shape[-1]
        row = np.cumsum(np.ones((1, tq, tv)), axis=-2)
        col = np.cumsum(np.ones((1, tq, tv)), axis=-1)
        padding = np.logical_not(row >= col)
        scores = np.where(padding, scores - 1.0e9, scores)
    return np.matmul(softmax_last(scores), v)


def ref_attention(score_mode, use_scale, causal):
    # attention.py call: q = inputs[0]; v = inputs[1]; k = inputs[2] if len(inputs) > 2 else v
    # Variables (build): scale (shape (), if use_scale), then concat_score_weight (shape (), if
    # score_mode == "concat").
    def f(inputs, *w):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        w = list(w)
        scale = w.pop(0) if use_scale else None
        if score_mode == "dot":
            s = attention_scores_dot(q, k, scale)
        else:
            s = attention_scores_concat(q, k, scale, w.pop(0))
        return attention_apply(s, v, causal)
    return f


def ref_additive_attention(use_scale):
    def f(inputs, *w):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        return attention_apply(additive_scores(q, k, w[0] if use_scale else None), v, False)
    return f


def ref_einsum_dense(equation, activation):
    # einsum_dense.py call: x = ops.einsum(self.equation, inputs, self.kernel);
    #   if self.bias is not None: x = ops.add(x, self.bias); activation(x)
    # (the bias has _analyze_split_string's bias_shape, which broadcasts against the trailing
    # output axes)
    act = {"linear": lambda x: x, "relu": lambda x: np.maximum(x, 0.0)}[activation]

    def f(x, kernel, bias=None):
        y = np.einsum(equation, x, kernel)
        if bias is not None:
            y = y + bias
        return act(y)
    return f


def ref_time_distributed(inner):
    # keras/src/layers/rnn/time_distributed.py call: swaps the batch and time axes, applies
    # self.layer.call(inputs[i]) to every time slice i, stacks and swaps back.
    def f(x, *w):
        steps = [inner(x[:, t], *w) for t in range(x.shape[1])]
        return np.stack(steps, axis=1)
    return f


def ref_flatten(x):
    # keras/src/layers/reshaping/flatten.py call (channels_last): reshape to (batch, prod(rest))
    return x.reshape(x.shape[0], -1)


# Call kwargs as Keras 3.15 records them in the node (keras/src/layers/layer.py __call__): step 8
# records Node(call_kwargs=original_kwargs). Steps 5 and 6 add "training" (when the call
# signature's default is not None) and "mask" (filled from the inputs' Keras masks) to `kwargs`,
# which is still the caller's dict only on step 1's fast path: no kwargs and one tensor argument.
# So TimeDistributed(x) (call(inputs, training=None, mask=None)) records {"mask": null}, as
# GlobalAveragePooling1D does in /work/shared/golden/transformer_block, while Attention, called
# on a list (step 1 converts, making a new dict), records only what the caller passed.
def attention_kwargs(**extra):
    return dict(extra)


# ---------------------------------------------------------------------------------------------
# Cases.

def case_attention_dot():
    m = Model("attention_dot", 101)
    q = m.input("query", (2, 4, 5))
    v = m.input("value", (2, 3, 5))
    out = m.layer("Attention", attention_config("attn", False, "dot"), [q, v],
                  attention_kwargs(), ref_attention("dot", False, False))
    write_case("attention_dot", m, [out],
               "Attention(use_scale=False, score_mode='dot') on [query (2,4,5), value (2,3,5)] "
               "(value is also the key): softmax(q.k^T).v -> (2,4,5). No variables.")


def case_attention_scaled_key():
    m = Model("attention_scaled_key", 102)
    q = m.input("query", (3, 4, 4))
    v = m.input("value", (3, 5, 6))
    k = m.input("key", (3, 5, 4))
    scale = m.uniform(0.5, 1.5)  # shape (): the scalar "scale" variable
    a = m.layer("Attention", attention_config("attn", True, "dot"), [q, v, k],
                attention_kwargs(), ref_attention("dot", True, False), weights=[scale])
    d = m.layer("Dense", dense_config("dense", 3), a, {}, ref_dense("linear"),
                weights=[m.normal(6, 3, scale=0.5), m.normal(3, scale=0.1)])
    write_case("attention_scaled_key", m, [d],
               "Attention(use_scale=True, score_mode='dot') on [query (3,4,4), value (3,5,6), "
               "key (3,5,4)]: softmax(scale*q.k^T).v with the scalar scale variable (vars/0, "
               "shape ()); the output takes the value's last dim (6); then Dense(3).")


def case_attention_causal():
    m = Model("attention_causal", 103)
    x = m.input("x", (2, 5, 4))
    a = m.layer("Attention", attention_config("attn", False, "dot"), [x, x],
                attention_kwargs(use_causal_mask=True), ref_attention("dot", False, True))
    write_case("attention_causal", m, [a],
               "Self-attention: Attention()([x, x], use_causal_mask=True) on x (2,5,4); query i "
               "attends to keys j <= i (Keras subtracts 1e9 from the masked scores before the "
               "softmax). Node kwargs {use_causal_mask: true}.")


def case_attention_causal_cross():
    m = Model("attention_causal_cross", 104)
    q = m.input("query", (2, 3, 4))
    v = m.input("value", (2, 6, 4))
    a = m.layer("Attention", attention_config("attn", True, "dot"), [q, v],
                attention_kwargs(use_causal_mask=True), ref_attention("dot", True, True),
                weights=[m.uniform(0.5, 1.5)])
    write_case("attention_causal_cross", m, [a],
               "Attention(use_scale=True)([query (2,3,4), value (2,6,4)], use_causal_mask=True): "
               "a non-square causal mask, Keras' greater_equal(cumsum rows, cumsum cols) over "
               "(Tq=3, Tv=6), so query i sees keys 0..i and keys 3..5 are never seen.")


def case_attention_concat():
    m = Model("attention_concat", 105)
    q = m.input("query", (2, 4, 5))
    v = m.input("value", (2, 3, 5))
    scale = m.uniform(0.5, 1.5)
    csw = m.uniform(0.5, 1.5)
    a = m.layer("Attention", attention_config("attn", True, "concat"), [q, v],
                attention_kwargs(), ref_attention("concat", True, False),
                weights=[scale, csw])
    write_case("attention_concat", m, [a],
               "Attention(use_scale=True, score_mode='concat') on [query (2,4,5), value (2,3,5)]: "
               "scores = concat_score_weight * sum_d tanh(scale*(q_id + k_jd)); vars/0 = scale, "
               "vars/1 = concat_score_weight, both shape ().")


def case_attention_concat_noscale():
    m = Model("attention_concat_noscale", 106)
    q = m.input("query", (2, 4, 5))
    v = m.input("value", (2, 3, 5))
    a = m.layer("Attention", attention_config("attn", False, "concat"), [q, v],
                attention_kwargs(), ref_attention("concat", False, False),
                weights=[m.uniform(0.5, 1.5)])
    write_case("attention_concat_noscale", m, [a],
               "Attention(use_scale=False, score_mode='concat') on [query (2,4,5), value (2,3,5)]: "
               "scores = concat_score_weight * sum_d tanh(q_id + k_jd); vars/0 = "
               "concat_score_weight, shape ().")


def case_additive_attention():
    m = Model("additive_attention", 107)
    q = m.input("query", (2, 4, 6))
    v = m.input("value", (2, 5, 6))
    a = m.layer("AdditiveAttention", additive_attention_config("add_attn", True), [q, v],
                attention_kwargs(), ref_additive_attention(True), weights=[m.normal(6)])
    d = m.layer("Dense", dense_config("dense", 2), a, {}, ref_dense("linear"),
                weights=[m.normal(6, 2, scale=0.5), m.normal(2, scale=0.1)])
    write_case("additive_attention", m, [d],
               "AdditiveAttention(use_scale=True) on [query (2,4,6), value (2,5,6)]: scores_ij = "
               "sum_d scale_d * tanh(q_id + k_jd) with the scale variable (6,) in vars/0; "
               "softmax over j, times value; then Dense(2).")


def case_additive_attention_noscale():
    m = Model("additive_attention_noscale", 108)
    q = m.input("query", (3, 3, 4))
    v = m.input("value", (3, 4, 5))
    k = m.input("key", (3, 4, 4))
    a = m.layer("AdditiveAttention", additive_attention_config("add_attn", False), [q, v, k],
                attention_kwargs(), ref_additive_attention(False))
    write_case("additive_attention_noscale", m, [a],
               "AdditiveAttention(use_scale=False) on [query (3,3,4), value (3,4,5), key (3,4,4)]: "
               "scores_ij = sum_d tanh(q_id + k_jd), softmax over j, times value (dim 5). No "
               "variables.")


def case_einsum_dense():
    m = Model("einsum_dense", 109)
    x = m.input("x", (2, 3, 4))
    e = m.layer("EinsumDense", einsum_dense_config("einsum", "abc,cd->abd", [None, 6], "d",
                                                   "relu"),
                x, {}, ref_einsum_dense("abc,cd->abd", "relu"),
                weights=[m.normal(4, 6, scale=0.5), m.normal(6, scale=0.3)])
    write_case("einsum_dense", m, [e],
               "EinsumDense('abc,cd->abd', output_shape=(None, 6), bias_axes='d', activation "
               "'relu') on (2,3,4): kernel (4,6), bias (6,).")


def case_einsum_dense_heads():
    m = Model("einsum_dense_heads", 110)
    x = m.input("x", (2, 5, 4))
    e = m.layer("EinsumDense", einsum_dense_config("einsum", "abc,cde->abde", [None, 2, 3],
                                                   "de"),
                x, {}, ref_einsum_dense("abc,cde->abde", "linear"),
                weights=[m.normal(4, 2, 3, scale=0.5), m.normal(2, 3, scale=0.3)])
    write_case("einsum_dense_heads", m, [e],
               "EinsumDense('abc,cde->abde', output_shape=(None, 2, 3), bias_axes='de') on "
               "(2,5,4) -> (2,5,2,3): kernel (4,2,3), bias (2,3) (the MultiHeadAttention "
               "projection form).")


def case_einsum_dense_bias_mid():
    m = Model("einsum_dense_bias_mid", 111)
    x = m.input("x", (2, 5, 4))
    e = m.layer("EinsumDense", einsum_dense_config("einsum", "abc,cde->abde", [None, 2, 3],
                                                   "d"),
                x, {}, ref_einsum_dense("abc,cde->abde", "linear"),
                weights=[m.normal(4, 2, 3, scale=0.5), m.normal(2, 1, scale=0.3)])
    write_case("einsum_dense_bias_mid", m, [e],
               "EinsumDense('abc,cde->abde', output_shape=(None, 2, 3), bias_axes='d') on (2,5,4): "
               "Keras' bias_shape runs from the first bias axis to the end with 1 for the axes "
               "not in bias_axes, so the bias is (2,1) and broadcasts over e.")


def case_einsum_dense_2d():
    m = Model("einsum_dense_2d", 112)
    x = m.input("x", (3, 4))
    e = m.layer("EinsumDense", einsum_dense_config("einsum", "ab,bc->ac", 5, None),
                x, {}, ref_einsum_dense("ab,bc->ac", "linear"),
                weights=[m.normal(4, 5, scale=0.5)])
    write_case("einsum_dense_2d", m, [e],
               "EinsumDense('ab,bc->ac', output_shape=5, bias_axes=None) on (3,4): kernel (4,5), "
               "no bias; the config holds output_shape [5] (Keras keeps an int as a 1-tuple).")


def case_einsum_dense_ellipsis():
    m = Model("einsum_dense_ellipsis", 113)
    x = m.input("x", (2, 3, 4))
    e = m.layer("EinsumDense", einsum_dense_config("einsum", "...b,bc->...c", 5, "c"),
                x, {}, ref_einsum_dense("...b,bc->...c", "linear"),
                weights=[m.normal(4, 5, scale=0.5), m.normal(5, scale=0.3)])
    write_case("einsum_dense_ellipsis", m, [e],
               "EinsumDense('...b,bc->...c', output_shape=5, bias_axes='c') on (2,3,4): a left "
               "ellipsis keeps the leading axes (Keras' left_elided branch), output (2,3,5); "
               "kernel (4,5), bias (5,).")


def case_time_distributed_dense():
    m = Model("time_distributed_dense", 114)
    x = m.input("x", (2, 4, 4))
    inner = dense_config("dense", 5, "tanh")
    cfg = base_config("td")
    cfg["layer"] = layer_object("Dense", inner, [None, 4])
    kernel, bias = m.normal(4, 5, scale=0.5), m.normal(5, scale=0.3)
    t = m.layer("TimeDistributed", cfg, x, {"mask": None},
                ref_time_distributed(ref_dense("tanh")),
                nested={"layer": ("dense", [kernel, bias])})
    write_case("time_distributed_dense", m, [t],
               "TimeDistributed(Dense(5, activation 'tanh')) on (2,4,4): the inner Dense's "
               "kernel (4,5) and bias (5,) are under layers/time_distributed/layer/vars/0..1.")


def case_time_distributed_flatten():
    m = Model("time_distributed_flatten", 115)
    x = m.input("x", (3, 4, 2, 3))
    cfg = base_config("td")
    cfg["layer"] = layer_object("Flatten", flatten_config("flatten"), [None, 2, 3])
    t = m.layer("TimeDistributed", cfg, x, {"mask": None}, ref_time_distributed(ref_flatten))
    d = m.layer("Dense", dense_config("dense", 2), t, {}, ref_dense("linear"),
                weights=[m.normal(6, 2, scale=0.5), m.normal(2, scale=0.1)])
    write_case("time_distributed_flatten", m, [d],
               "TimeDistributed(Flatten()) on (3,4,2,3) -> (3,4,6), then Dense(2) on the last "
               "axis -> (3,4,2).")


CASES = [
    case_attention_dot, case_attention_scaled_key, case_attention_causal,
    case_attention_causal_cross, case_attention_concat, case_attention_concat_noscale,
    case_additive_attention, case_additive_attention_noscale, case_einsum_dense,
    case_einsum_dense_heads, case_einsum_dense_bias_mid, case_einsum_dense_2d,
    case_einsum_dense_ellipsis, case_time_distributed_dense, case_time_distributed_flatten,
]


def self_check():
    """Cross-checks of the references against a second way of computing the same thing."""
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    # Causal mask with Tq != Tv: keys j > i get zero weight, the others a plain softmax.
    out = attention_apply(attention_scores_dot(q, k), v, True)
    for b in range(2):
        for i in range(3):
            s = q[b, i] @ k[b, : i + 1].T
            w = np.exp(s - s.max())
            w /= w.sum()
            assert np.allclose(out[b, i], w @ v[b, : i + 1], atol=1e-12), "causal"
    # Additive scores by loops.
    sc = rng.standard_normal(4)
    s = additive_scores(q, k, sc)
    for b in range(2):
        for i in range(3):
            for j in range(5):
                assert np.isclose(s[b, i, j], np.sum(sc * np.tanh(q[b, i] + k[b, j]))), "additive"
    # TimeDistributed(Dense) is Dense on the last axis.
    x, w, bb = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    assert np.allclose(ref_time_distributed(ref_dense("tanh"))(x, w, bb), np.tanh(x @ w + bb))
    # The mid-axis EinsumDense bias (2,1) broadcasts over e.
    kk, bm = rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 1))
    y = ref_einsum_dense("abc,cde->abde", "linear")(x, kk, bm)
    assert np.allclose(y, np.tensordot(x, kk, axes=([2], [0])) + bm[None, None, :, :])


def main():
    self_check()
    for f in CASES:
        f()
    print("wrote %d cases under %s" % (len(CASES), HERE), file=sys.stderr)


if __name__ == "__main__":
    main()
