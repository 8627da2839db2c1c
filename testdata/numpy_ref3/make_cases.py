#!/usr/bin/python3
"""Writes the cases under testdata/numpy_ref3/: keras.ops operation nodes in a functional
config, TimeDistributed around Conv2D / GlobalAveragePooling2D / MaxPooling2D, and masked
Bidirectional LSTM / GRU fed by Embedding(mask_zero=True).

Keras cannot run here, so the oracle is a numpy re-implementation of the formulas of Keras
3.15.1 (tag v3.15.1 of github.com/keras-team/keras); every reference function names the Keras
file it follows. The numpy code is written from scratch, nothing is copied from Keras.

Every case directory gets (the same layout as testdata/numpy_ref2):

  model.keras       a zip as Keras 3.15.1 writes it: metadata.json, config.json (a Functional
                    model config) and model.weights.h5 in Keras 3's object-graph layout
                    (layers/<snake_case class>[_k]/vars/<i> in model.layers order with per-class
                    counters, an empty vars group for weightless layers, a "name" attribute on
                    each vars group, wrapped layers under their attribute: layer/,
                    forward_layer/cell/, backward_layer/cell/). keras.ops nodes are in the
                    config's "layers" list but are not Layers, so they are not in model.layers
                    and have no group in model.weights.h5 (Functional.layers keeps only
                    isinstance(operation, Layer); saving_lib skips "operations").
  input*.npy        float32 inputs (token ids are stored as float32, as in
                    /work/shared/golden/embedding_lstm)
  expected*.npy     the model's outputs, computed in float64 from the float32 weights and
                    inputs, then rounded to float32
  layer_<name>.npy  every non-input layer's and op node's output (a bool mask as 0/1)
  case.json         description, files, tolerances, oracle, parameter count ("params"), the
                    Keras variable paths with their shapes ("weights"), and "semantics": the
                    Keras 3.15.1 source lines the config and the reference follow

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
ORACLE = ("numpy re-implementation of Keras 3.15 formulas (testdata/numpy_ref3/make_cases.py), "
          "float64 then rounded to float32")
ATOL, RTOL = 1e-5, 1e-4


# ---------------------------------------------------------------------------------------------
# Config pieces in the form Keras 3.15 writes them (compare /work/shared/golden/*/model.json and
# /work/shared/bench/models/transformer/model.keras config.json).

def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def init(cls, cfg=None):
    return {"module": "keras.initializers", "class_name": cls, "config": cfg or {},
            "registered_name": None}


def glorot():
    return init("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None})


def base(name):
    # Layer.get_config (keras/src/layers/layer.py): name, trainable, dtype.
    return {"name": name, "trainable": True, "dtype": dtype_policy()}


def dense_cfg(name, units, activation="linear"):
    # keras/src/layers/core/dense.py get_config
    return {**base(name), "units": units, "activation": activation, "use_bias": True,
            "kernel_initializer": glorot(), "bias_initializer": init("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None, "quantization_config": None}


def conv2d_cfg(name, filters, k, padding, activation):
    # keras/src/layers/convolutional/base_conv.py get_config (as in golden/cnn_bn_dropout)
    return {**base(name), "filters": filters, "kernel_size": [k, k], "strides": [1, 1],
            "padding": padding, "data_format": "channels_last", "dilation_rate": [1, 1],
            "groups": 1, "activation": activation, "use_bias": True,
            "kernel_initializer": glorot(), "bias_initializer": init("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


def gap_cfg(name):
    # keras/src/layers/pooling/base_global_pooling.py get_config
    return {**base(name), "data_format": "channels_last", "keepdims": False}


def maxpool2d_cfg(name, pool):
    # keras/src/layers/pooling/base_pooling.py get_config; strides default to pool_size
    return {**base(name), "pool_size": [pool, pool], "padding": "valid",
            "strides": [pool, pool], "data_format": "channels_last"}


def flatten_cfg(name):
    return {**base(name), "data_format": "channels_last"}


def embedding_cfg(name, input_dim, output_dim, mask_zero):
    # keras/src/layers/core/embedding.py get_config (as in golden/embedding_lstm)
    return {**base(name), "input_dim": input_dim, "output_dim": output_dim,
            "embeddings_initializer": init("RandomUniform",
                                           {"seed": None, "minval": -0.05, "maxval": 0.05}),
            "embeddings_regularizer": None, "activity_regularizer": None,
            "embeddings_constraint": None, "mask_zero": mask_zero, "quantization_config": None}


def rnn_cfg(cls, name, units, return_sequences, go_backwards, zero_output_for_mask):
    # keras/src/layers/rnn/lstm.py / gru.py get_config (key order as in golden/bidirectional_lstm
    # and golden/gru)
    c = {**base(name), "return_sequences": return_sequences, "return_state": False,
         "go_backwards": go_backwards, "stateful": False, "unroll": False,
         "zero_output_for_mask": zero_output_for_mask, "units": units, "activation": "tanh",
         "recurrent_activation": "sigmoid", "use_bias": True, "kernel_initializer": glorot(),
         "recurrent_initializer": init("Orthogonal", {"seed": None, "gain": 1.0}),
         "bias_initializer": init("Zeros")}
    if cls == "LSTM":
        c["unit_forget_bias"] = True
    c.update({"kernel_regularizer": None, "recurrent_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "recurrent_constraint": None,
              "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0})
    if cls == "GRU":
        c["reset_after"] = True
    c["seed"] = None
    return c


def layer_object(cls, config, build_input_shape):
    """A serialized layer nested in a wrapper's config ("layer", "backward_layer"). Wrapper.build
    / Bidirectional.build call the inner layer's build() explicitly, so even a pooling layer gets
    a build_config there (layer.py build_wrapper records _build_shapes_dict)."""
    o = {"module": "keras.layers", "class_name": cls, "config": config, "registered_name": None}
    if build_input_shape is not None:
        o["build_config"] = {"input_shape": list(build_input_shape)}
    return o


def snake_case(name):
    """keras/src/utils/naming.py to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


# ---------------------------------------------------------------------------------------------
# A small functional-model builder that evaluates in float64 as it goes.

class Ref:
    """A symbolic tensor: the operation that made it, its Keras shape (batch None), its dtype,
    and its float64 value."""

    def __init__(self, op, shape, value, dtype="float32"):
        self.op, self.shape, self.value, self.dtype = op, shape, value, dtype

    def keras_tensor(self):
        """A KerasTensor as serialization_lib.serialize_keras_object writes it."""
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(self.shape), "dtype": self.dtype,
                           "keras_history": [self.op, 0, 0]}}


class Const:
    """A concrete (eager) backend tensor in a node's arguments: serialize_keras_object writes
    {"class_name": "__tensor__", "config": {"value": tolist(), "dtype": ...}}."""

    def __init__(self, value, dtype="float32"):
        self.value, self.dtype = np.asarray(value), dtype

    def serialized(self):
        v = self.value.astype(np.float32) if self.dtype == "float32" else self.value
        return {"class_name": "__tensor__",
                "config": {"value": v.tolist(), "dtype": self.dtype}}


def serialize_arg(a):
    if isinstance(a, Ref):
        return a.keras_tensor()
    if isinstance(a, Const):
        return a.serialized()
    if isinstance(a, (list, tuple)):
        return [serialize_arg(e) for e in a]
    if isinstance(a, dict):
        return {k: serialize_arg(v) for k, v in a.items()}
    return a


def value_of(a):
    if isinstance(a, (Ref, Const)):
        return np.asarray(a.value, dtype=np.float64)
    if isinstance(a, (list, tuple)):
        return [value_of(e) for e in a]
    return a


def f64(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


class Model:
    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.layers = []        # config entries in operations order
        self.h5 = []            # per Layer (not op): (class, name, own arrays, [(attr, name, arrays)])
        self.inputs = []        # (name, float32 array)
        self.layer_outputs = {}
        self.weight_paths = {}  # Keras variable path -> array

    def normal(self, *shape, scale=1.0, loc=0.0):
        return (loc + scale * self.rng.standard_normal(shape)).astype(np.float32)

    def uniform(self, limit, *shape):
        return self.rng.uniform(-limit, limit, shape).astype(np.float32)

    def input(self, name, data):
        data = np.asarray(data, dtype=np.float32)
        self.inputs.append((name, data))
        self.layers.append({
            "module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(data.shape[1:]), "dtype": "float32",
                       "sparse": False, "ragged": False, "name": name, "optional": False},
            "registered_name": None, "name": name, "inbound_nodes": []})
        self.h5.append(("InputLayer", name, [], []))
        return Ref(name, [None] + list(data.shape[1:]), f64(data))

    def layer(self, cls, config, args, kwargs, value, own=(), nested=(), paths=None,
              build_config=None):
        """A Layer called on args (positional) with the recorded call kwargs. value is the
        float64 output; own/nested are the variables as saved (nested: (attribute path,
        sub-layer name, arrays)); paths: {variable path: array} for case.json."""
        name = config["name"]
        entry = {"module": "keras.layers", "class_name": cls, "config": config,
                 "registered_name": None}
        if build_config is not None:
            entry["build_config"] = build_config
        entry["name"] = name
        entry["inbound_nodes"] = [{"args": serialize_arg(list(args)),
                                   "kwargs": serialize_arg(kwargs)}]
        self.layers.append(entry)
        self.h5.append((cls, name, list(own), list(nested)))
        self.weight_paths.update(paths or {})
        self.layer_outputs[name] = value
        return Ref(name, [None] + list(value.shape[1:]), value)

    def op(self, module, cls, config, args, value, dtype="float32"):
        """A keras.ops operation node (keras/src/ops/operation.py): serialize_keras_object finds
        no public keras_export name for the op class, so module is the class's Python module,
        class_name its class name and registered_name get_registered_name(cls) = the class name;
        config = {"name": name} updated with the constructor arguments recorded by
        Operation.__new__ (_auto_config, defaults included, name popped); no build_config."""
        name = config["name"]
        self.layers.append({"module": module, "class_name": cls, "config": config,
                            "registered_name": cls, "name": name,
                            "inbound_nodes": [{"args": serialize_arg(list(args)),
                                               "kwargs": {}}]})
        self.layer_outputs[name] = np.asarray(value, dtype=np.float64)
        return Ref(name, [None] + list(np.shape(value)[1:]), np.asarray(value, np.float64),
                   dtype)

    def config(self, outputs):
        ins = [[n, 0, 0] for n, _ in self.inputs]
        outs = [[o.op, 0, 0] for o in outputs]
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": {"name": self.name, "trainable": True, "layers": self.layers,
                           "input_layers": ins[0] if len(ins) == 1 else ins,
                           "output_layers": outs[0] if len(outs) == 1 else outs},
                "registered_name": "Functional", "build_config": {"input_shape": None}}

    def weights_h5(self):
        """model.weights.h5: saving_lib._save_state walks model.layers (Layers only) with
        _save_container_state's per-class counters; each saveable gets <path>/vars with a
        "name" attribute (H5IOStore.make), weightless ones an empty group; sub-layers follow by
        attribute name (Wrapper.layer, Bidirectional.forward_layer/backward_layer, RNN.cell)."""
        buf = io.BytesIO()
        with h5py.File(buf, "w", track_order=False) as f:
            def group(path, name, arrays):
                g = f.create_group(path + "/vars" if path else "vars")
                g.attrs["name"] = name
                for i, a in enumerate(arrays):
                    g.create_dataset(str(i), data=np.asarray(a, dtype=np.float32))
            group("", self.name, [])
            used = {}
            for cls, name, own, nested in self.h5:
                b = snake_case(cls)
                if b in used:
                    used[b] += 1
                    key = f"{b}_{used[b]}"
                else:
                    used[b] = 0
                    key = b
                group("layers/" + key, name, own)
                for attr, sub_name, arrays in nested:
                    group("layers/" + key + "/" + attr, sub_name, arrays)
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


def write_case(case, m, outputs, description, semantics):
    d = os.path.join(HERE, case)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    meta = json.dumps({"keras_version": KERAS_VERSION,
                       "date_saved": "2026-01-01@00:00:00"}).encode()
    with open(os.path.join(d, "model.keras"), "wb") as fp:
        fp.write(zip_bytes([("metadata.json", meta),
                            ("config.json", json.dumps(m.config(outputs)).encode()),
                            ("model.weights.h5", m.weights_h5())]))

    def files(prefix, arrays):
        names = [prefix + ".npy"] if len(arrays) == 1 else \
            [f"{prefix}_{i}.npy" for i in range(len(arrays))]
        for n, a in zip(names, arrays):
            save_npy(os.path.join(d, n), a)
        return names

    in_files = files("input", [a for _, a in m.inputs])
    out_files = files("expected", [o.value for o in outputs])
    layer_files = {}
    for key, a in m.layer_outputs.items():
        fname = "layer_" + key + ".npy"
        save_npy(os.path.join(d, fname), a)
        layer_files[key] = fname
    params = int(sum(np.asarray(a).size for a in m.weight_paths.values()))
    doc = {"description": description, "inputs": in_files, "expected": out_files,
           "layers": layer_files, "params": params,
           "weights": {k: list(np.shape(a)) for k, a in m.weight_paths.items()},
           "atol": ATOL, "rtol": RTOL, "oracle": ORACLE, "semantics": semantics}
    with open(os.path.join(d, "case.json"), "w") as fp:
        json.dump(doc, fp, indent=1)
        fp.write("\n")
    print(f"{case}: {len(m.inputs)} input(s), {len(outputs)} output(s), {params} params, "
          f"{len(layer_files)} layer outputs")


# ---------------------------------------------------------------------------------------------
# Reference formulas (float64).

ACTS = {"linear": lambda x: x, "relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_dense(x, kernel, bias, activation="linear"):
    """keras/src/layers/core/dense.py call: matmul(inputs, kernel) + bias, then activation."""
    return ACTS[activation](np.matmul(x, f64(kernel)) + f64(bias))


def ref_conv2d_same(x, kernel, bias, activation):
    """BaseConv.call (keras/src/layers/convolutional/base_conv.py) for stride 1, dilation 1,
    groups 1, channels_last, padding "same" (odd kernel: (k-1)/2 zeros on each side), then
    + bias and the activation."""
    kernel = f64(kernel)
    kh, kw = kernel.shape[:2]
    n, h, w, _ = x.shape
    xp = np.pad(x, [(0, 0), ((kh - 1) // 2, kh - 1 - (kh - 1) // 2),
                    ((kw - 1) // 2, kw - 1 - (kw - 1) // 2), (0, 0)])
    out = np.zeros((n, h, w, kernel.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + h, j:j + w, :] @ kernel[i, j]
    return ACTS[activation](out + f64(bias))


def ref_gap2d(x):
    """GlobalAveragePooling2D.call: ops.mean(inputs, axis=[1, 2]) (channels_last)."""
    return x.mean(axis=(1, 2))


def ref_maxpool2d(x, p):
    """BasePooling.call -> ops.max_pool, pool p, strides p, padding "valid": floor((H-p)/p)+1
    windows per axis, the trailing rows/columns that do not fill a window are dropped."""
    n, h, w, c = x.shape
    oh, ow = (h - p) // p + 1, (w - p) // p + 1
    out = np.full((n, oh, ow, c), -np.inf)
    for i in range(p):
        for j in range(p):
            out = np.maximum(out, x[:, i:i + p * oh:p, j:j + p * ow:p, :])
    return out


def ref_time_distributed(x, fn):
    """keras/src/layers/rnn/time_distributed.py call: transpose to time-major, apply
    self.layer.call(inputs[i]) to each step (static time axis: a Python loop), ops.stack, and
    transpose back."""
    return np.stack([fn(x[:, t]) for t in range(x.shape[1])], axis=1)


def ref_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def lstm_step(kernel, rec, bias, units):
    """LSTMCell.call (keras/src/layers/rnn/lstm.py), gates in the order i, f, c, o:
    z = x.W + h.U + b; i, f, o = sigmoid; c = f*c_prev + i*tanh(z_c); h = o*tanh(c)."""
    W, U, b = f64(kernel), f64(rec), f64(bias)

    def step(x, states):
        h, c = states
        z = x @ W + h @ U + b
        zi, zf, zc, zo = (z[:, k * units:(k + 1) * units] for k in range(4))
        c_new = sigmoid(zf) * c + sigmoid(zi) * np.tanh(zc)
        h_new = sigmoid(zo) * np.tanh(c_new)
        return h_new, [h_new, c_new]
    return step, 2


def gru_step(kernel, rec, bias, units):
    """GRUCell.call (keras/src/layers/rnn/gru.py) with reset_after=True: bias (2, 3u) split into
    input_bias and recurrent_bias; gates z, r, h; x_* = x.W_* + bi_*; inner = h.U + br;
    z = sigmoid(x_z + inner_z); r = sigmoid(x_r + inner_r); hh = tanh(x_h + r*inner_h);
    h = z*h_prev + (1-z)*hh."""
    W, U, b = f64(kernel), f64(rec), f64(bias)

    def step(x, states):
        (h,) = states
        mx = x @ W + b[0]
        mi = h @ U + b[1]
        z = sigmoid(mx[:, :units] + mi[:, :units])
        r = sigmoid(mx[:, units:2 * units] + mi[:, units:2 * units])
        hh = np.tanh(mx[:, 2 * units:] + r * mi[:, 2 * units:])
        h_new = z * h + (1 - z) * hh
        return h_new, [h_new]
    return step, 1


def ref_rnn(step_and_n, x, mask, units, go_backwards, zero_output_for_mask):
    """The generic masked loop backend.rnn (keras/src/backend/torch/rnn.py, numpy/rnn.py,
    tensorflow/rnn.py; the LSTM/GRU fused paths raise NotImplementedError for a mask): steps are
    taken in reverse when go_backwards; at a masked step the states keep their previous values
    and the output is zeros (zero_output_for_mask) or the previous step's (masked) output
    (zeros before the first step). Returns (outputs in processing order, last_output) like
    backend.rnn: for go_backwards the outputs are NOT flipped back to input order."""
    step, nstates = step_and_n
    n, t, _ = x.shape
    states = [np.zeros((n, units)) for _ in range(nstates)]
    prev = np.zeros((n, units))
    outs = []
    order = range(t - 1, -1, -1) if go_backwards else range(t)
    for i in order:
        out, new_states = step(x[:, i], states)
        m = mask[:, i][:, None] if mask is not None else np.ones((n, 1), bool)
        out = np.where(m, out, 0.0 if zero_output_for_mask else prev)
        states = [np.where(m, ns, s) for ns, s in zip(new_states, states)]
        prev = out
        outs.append(out)
    return np.stack(outs, axis=1), outs[-1]


def ref_bidirectional(x, mask, fw, bw, units, return_sequences, merge_mode="concat"):
    """Bidirectional.call (keras/src/layers/rnn/bidirectional.py), not the fused path (that one
    needs mask is None): y = forward_layer(x, mask=mask), y_rev = backward_layer(x, mask=mask)
    (go_backwards=True, the same mask), y_rev flipped on axis 1 when return_sequences, then
    concatenated on the last axis. __init__ sets zero_output_for_mask = return_sequences on both
    layers."""
    zo = return_sequences
    ys, yl = ref_rnn(fw, x, mask, units, False, zo)
    rs, rl = ref_rnn(bw, x, mask, units, True, zo)
    if return_sequences:
        y, y_rev = ys, np.flip(rs, axis=1)
    else:
        y, y_rev = yl, rl
    assert merge_mode == "concat"
    return np.concatenate([y, y_rev], axis=-1)


def ref_gap1d_masked(x, mask):
    """GlobalAveragePooling1D.call (keras/src/layers/pooling/global_average_pooling1d.py) with a
    mask: where(mask, x, 0) summed over the steps / the number of kept steps."""
    m = mask[:, :, None]
    return np.where(m, x, 0.0).sum(axis=1) / m.astype(np.float64).sum(axis=1)


# ---------------------------------------------------------------------------------------------
# Cases: keras.ops nodes.

OPS_NUMPY, OPS_NN = "keras.src.ops.numpy", "keras.src.ops.nn"

OPS_SEMANTICS = [
    "Operation.symbolic_call (keras/src/ops/operation.py): 'Node(operation=self, call_args=args, "
    "call_kwargs=kwargs, outputs=outputs)', so an ops call on KerasTensors is a node; "
    "Functional.get_config serializes every operation of the graph ('for operation in "
    "self.operations: ... layer_config = serialize_obj_fn(operation)'), layers and ops alike.",
    "serialization_lib.serialize_keras_object: op classes have no keras_export name, so "
    "'module = obj.__class__.__module__' (keras.src.ops.numpy / keras.src.ops.nn), class_name = "
    "the class name and 'registered_name = object_registration.get_registered_name(obj.__class__)'"
    " = the class name.",
    "Operation.get_config: 'config = {\"name\": self.name}' then "
    "'config.update(self._auto_config.config)'; Operation.__new__ binds the constructor "
    "arguments with 'bound_parameters.apply_defaults()' and 'kwargs.pop(\"name\", None)', so the "
    "config holds every __init__ argument (defaults included) as passed, before __init__ "
    "normalizes it: Mean(axis=1) is saved as \"axis\": 1 although Mean.__init__ stores [1]; "
    "tuples are written as JSON lists (serialize_keras_object returns tuple(config_arr)).",
    "Functional.layers keeps 'if isinstance(operation, Layer)', and saving_lib.get_attr_skipset("
    "\"Functional\") adds [\"operations\", \"_operations\"]: op nodes own no group in "
    "model.weights.h5 and take no part in the per-class counters.",
    "keras.ops functions called on KerasTensors: matmul -> 'Matmul().symbolic_call(x1, x2)' "
    "(config {name}); reshape -> 'newshape = tuple(newshape)' then "
    "'Reshape(newshape).symbolic_call(x)' (newshape includes the batch axis, -1 for it); "
    "transpose -> 'Transpose(axes=axes)'; expand_dims -> 'ExpandDims(axis=axis)'; squeeze -> "
    "'Squeeze(axis=axis)'; mean/sum -> 'Mean(axis=axis, keepdims=keepdims)' / 'Sum(...)'; max "
    "-> 'Max(axis=axis, keepdims=keepdims, initial=initial)'; concatenate -> "
    "'Concatenate(axis=axis).symbolic_call(xs)' (one list argument); nn.softmax -> "
    "'Softmax(axis).symbolic_call(x)' in keras/src/ops/nn.py.",
]


def case_ops_attention():
    m = Model("ops_attention", 301)
    x = m.input("x", m.normal(2, 4, 6))
    w, b = m.uniform(0.6, 6, 5), m.normal(5, scale=0.2)
    proj = m.layer("Dense", dense_cfg("proj", 5), [x], {}, ref_dense(x.value, w, b),
                   own=[w, b], paths={"proj/kernel": w, "proj/bias": b},
                   build_config={"input_shape": [None, 4, 6]})
    t = m.op(OPS_NUMPY, "Transpose", {"name": "transpose", "axes": [0, 2, 1]}, [proj],
             np.transpose(proj.value, (0, 2, 1)))
    mm = m.op(OPS_NUMPY, "Matmul", {"name": "matmul"}, [proj, t],
              np.matmul(proj.value, t.value))
    sm = m.op(OPS_NN, "Softmax", {"name": "softmax", "axis": -1}, [mm],
              ref_softmax(mm.value, -1))
    r = m.op(OPS_NUMPY, "Reshape", {"name": "reshape", "newshape": [-1, 16]}, [sm],
             sm.value.reshape(-1, 16))
    w2, b2 = m.uniform(0.5, 16, 3), m.normal(3, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 3), [r], {}, ref_dense(r.value, w2, b2),
                   own=[w2, b2], paths={"head/kernel": w2, "head/bias": b2},
                   build_config={"input_shape": [None, 16]})
    write_case("ops_attention", m, [head],
               "ops_attention: x (2,4,6) -> Dense(5) 'proj' -> keras.ops.transpose(proj, "
               "axes=(0,2,1)) -> keras.ops.matmul(proj, transpose) (2,4,4) -> "
               "keras.ops.softmax(axis=-1) -> keras.ops.reshape(newshape=(-1,16)) -> Dense(3) "
               "'head'. The op nodes are Transpose, Matmul, Softmax (module keras.src.ops.nn) "
               "and Reshape; their outputs are recorded as layer outputs by node name.",
               OPS_SEMANTICS)


def case_ops_reduce():
    m = Model("ops_reduce", 302)
    x = m.input("x", m.normal(2, 4, 6))
    xv = x.value
    mean = m.op(OPS_NUMPY, "Mean", {"name": "mean", "axis": 1, "keepdims": False}, [x],
                xv.mean(axis=1))
    mean1 = m.op(OPS_NUMPY, "Mean", {"name": "mean_1", "axis": 1, "keepdims": True}, [x],
                 xv.mean(axis=1, keepdims=True))
    sq = m.op(OPS_NUMPY, "Squeeze", {"name": "squeeze", "axis": 1}, [mean1],
              np.squeeze(mean1.value, axis=1))
    mx = m.op(OPS_NUMPY, "Max", {"name": "max", "axis": 1, "keepdims": False, "initial": None},
              [x], xv.max(axis=1))
    s = m.op(OPS_NUMPY, "Sum", {"name": "sum", "axis": -1, "keepdims": False}, [x],
             xv.sum(axis=-1))
    ed = m.op(OPS_NUMPY, "ExpandDims", {"name": "expand_dims", "axis": -1}, [s],
              np.expand_dims(s.value, -1))
    s1 = m.op(OPS_NUMPY, "Sum", {"name": "sum_1", "axis": [1, 2], "keepdims": False}, [x],
              xv.sum(axis=(1, 2)))
    ed1 = m.op(OPS_NUMPY, "ExpandDims", {"name": "expand_dims_1", "axis": -1}, [s1],
               np.expand_dims(s1.value, -1))
    cat = m.op(OPS_NUMPY, "Concatenate", {"name": "concatenate", "axis": -1},
               [[mean, sq, mx, ed1]],
               np.concatenate([mean.value, sq.value, mx.value, ed1.value], axis=-1))
    w, b = m.uniform(0.4, 19, 3), m.normal(3, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 3), [cat], {}, ref_dense(cat.value, w, b),
                   own=[w, b], paths={"head/kernel": w, "head/bias": b},
                   build_config={"input_shape": [None, 19]})
    write_case("ops_reduce", m, [head, ed],
               "ops_reduce: x (2,4,6); keras.ops.mean(x, axis=1) (2,6); mean(x, axis=1, "
               "keepdims=True) (2,1,6) -> squeeze(axis=1) (2,6); max(x, axis=1) (2,6); "
               "sum(x, axis=-1) (2,4) -> expand_dims(axis=-1) (2,4,1) = output 1; "
               "sum(x, axis=(1,2)) (2,) -> expand_dims(axis=-1) (2,1); "
               "concatenate([mean, squeeze, max, expand_dims_1], axis=-1) (2,19) -> Dense(3) "
               "'head' = output 0. Reduction configs hold the axis as passed (an int, or a "
               "list for a tuple), Max also 'initial': null.",
               OPS_SEMANTICS)


def case_ops_arange_const():
    m = Model("ops_arange_const", 303)
    x = m.input("x", m.normal(2, 4, 6))
    w, b = m.uniform(0.6, 6, 5), m.normal(5, scale=0.2)
    proj = m.layer("Dense", dense_cfg("proj", 5), [x], {}, ref_dense(x.value, w, b),
                   own=[w, b], paths={"proj/kernel": w, "proj/bias": b},
                   build_config={"input_shape": [None, 4, 6]})
    # pos_emb = Embedding(4, 5)(keras.ops.arange(4)): neither call sees a KerasTensor, so both
    # run eagerly; the [4, 5] result is a concrete tensor baked into the Add node's arguments.
    table = m.normal(4, 5, scale=0.3)
    pos = table[np.arange(4)]
    add = m.op(OPS_NUMPY, "Add", {"name": "add"}, [proj, Const(pos)], proj.value + f64(pos))
    w2, b2 = m.uniform(0.6, 5, 2), m.normal(2, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 2), [add], {}, ref_dense(add.value, w2, b2),
                   own=[w2, b2], paths={"head/kernel": w2, "head/bias": b2},
                   build_config={"input_shape": [None, 4, 5]})
    write_case("ops_arange_const", m, [head],
               "ops_arange_const: x (2,4,6) -> Dense(5) 'proj' -> proj + "
               "Embedding(4,5)(keras.ops.arange(4)) -> Dense(2) 'head'. keras.ops.arange(4) "
               "has no symbolic argument, so Keras computes it (and the Embedding called on "
               "it) eagerly: no Arange node and no Embedding layer are saved, and the [4,5] "
               "position embedding is written into the Add op node's args as "
               "{\"class_name\": \"__tensor__\", \"config\": {\"value\": [[...]], "
               "\"dtype\": \"float32\"}}, broadcast over the batch.",
               OPS_SEMANTICS + [
                   "ops.arange (keras/src/ops/numpy.py): 'if any_symbolic_tensors((start, stop, "
                   "step)): return Arange(dtype=dtype).symbolic_call(start, stop, step=step)' "
                   "else 'return backend.numpy.arange(...)': with Python ints it returns a "
                   "concrete tensor, so a functional model never records an Arange node for "
                   "keras.ops.arange(T) (an Arange node would need a symbolic scalar start/stop).",
                   "Layer.__call__ step 8: 'if any_symbolic_tensors(original_args, "
                   "original_kwargs): Node(...)': an Embedding called on that concrete tensor "
                   "makes no node, so it is not in the graph, not in model.layers and its "
                   "variables are not saved.",
                   "serialize_node (keras/src/models/functional.py) maps only KerasTensors "
                   "and then calls serialize_keras_object(args), whose branch 'if "
                   "backend.is_tensor(obj): return {\"class_name\": \"__tensor__\", \"config\": "
                   "{\"value\": backend.convert_to_numpy(obj).tolist(), \"dtype\": "
                   "backend.standardize_dtype(obj.dtype)}}' writes the constant; "
                   "KerasTensor.__add__ is 'ops.Add().symbolic_call(self, other)', Add has no "
                   "__init__ arguments (config {name}).",
               ])


# ---------------------------------------------------------------------------------------------
# Cases: TimeDistributed.

TD_SEMANTICS = [
    "TimeDistributed.call (keras/src/layers/rnn/time_distributed.py): 'inputs = "
    "time_distributed_transpose(inputs)' then, for a static time axis, 'outputs = "
    "ops.stack([step_function(i) for i in range(inputs.shape[0])])' with step_function "
    "returning 'self.layer.call(inputs[i], **kwargs)' (so the inner layer's activation applies "
    "per step), transposed back.",
    "TimeDistributed.build: 'child_input_shape = self._get_child_input_shape(input_shape)' = "
    "(input_shape[0], *input_shape[2:]) and Wrapper.build calls 'self.layer.build(input_shape)' "
    "explicitly, so the nested layer config carries build_config {input_shape: [null, *per-step "
    "shape]} even for a pooling layer (build_wrapper in keras/src/layers/layer.py records "
    "_build_shapes_dict).",
    "Wrapper.get_config: '{\"layer\": serialization_lib.serialize_keras_object(self.layer)}' "
    "merged after the base config; the inner layer's variables are saved under "
    "layers/time_distributed[_k]/layer/vars (attribute 'layer'), and its variable paths are "
    "<td name>/<inner name>/<var> (build_wrapper opens the inner layer's name scope inside the "
    "wrapper's).",
    "Layer.__call__ step 6: TimeDistributed.call has a mask argument and one tensor argument, "
    "so 'kwargs[\"mask\"] = mask' (None here) is added to the caller's own kwargs dict (fast "
    "path of step 1) and recorded by the node: inbound kwargs {\"mask\": null}.",
]


def td_layer_cfg(name, inner):
    return {**base(name), "layer": inner}


def case_td_conv2d():
    m = Model("td_conv2d", 304)
    x = m.input("x", m.normal(2, 3, 5, 5, 2))
    k, b = m.uniform(0.5, 3, 3, 2, 3), m.normal(3, scale=0.2)
    conv = td_layer_cfg("td_conv", layer_object("Conv2D", conv2d_cfg("conv2d", 3, 3, "same",
                                                                     "relu"), [None, 5, 5, 2]))
    y = m.layer("TimeDistributed", conv, [x], {"mask": None},
                ref_time_distributed(x.value, lambda s: ref_conv2d_same(s, k, b, "relu")),
                nested=[("layer", "conv2d", [k, b])],
                paths={"td_conv/conv2d/kernel": k, "td_conv/conv2d/bias": b},
                build_config={"input_shape": [None, 3, 5, 5, 2]})
    gap = td_layer_cfg("td_gap", layer_object("GlobalAveragePooling2D",
                                              gap_cfg("global_average_pooling2d"),
                                              [None, 5, 5, 3]))
    g = m.layer("TimeDistributed", gap, [y], {"mask": None},
                ref_time_distributed(y.value, ref_gap2d),
                nested=[("layer", "global_average_pooling2d", [])],
                build_config={"input_shape": [None, 3, 5, 5, 3]})
    w, bb = m.uniform(0.8, 3, 2), m.normal(2, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 2), [g], {}, ref_dense(g.value, w, bb),
                   own=[w, bb], paths={"head/kernel": w, "head/bias": bb},
                   build_config={"input_shape": [None, 3, 3]})
    write_case("td_conv2d", m, [head],
               "td_conv2d: x (2,3,5,5,2) -> TimeDistributed(Conv2D(3, 3, padding='same', "
               "activation='relu')) 'td_conv' (2,3,5,5,3) -> "
               "TimeDistributed(GlobalAveragePooling2D()) 'td_gap' (2,3,3) -> Dense(2) 'head' "
               "(2,3,2). The Conv2D kernel (3,3,2,3) and bias (3,) are under "
               "layers/time_distributed/layer/vars/0..1; layers/time_distributed_1/layer/vars "
               "is the empty group of the pooling layer.",
               TD_SEMANTICS)


def case_td_maxpool():
    m = Model("td_maxpool", 305)
    x = m.input("x", m.normal(2, 3, 5, 5, 2))
    pool = td_layer_cfg("td_pool", layer_object("MaxPooling2D", maxpool2d_cfg("max_pooling2d", 2),
                                                [None, 5, 5, 2]))
    p = m.layer("TimeDistributed", pool, [x], {"mask": None},
                ref_time_distributed(x.value, lambda s: ref_maxpool2d(s, 2)),
                nested=[("layer", "max_pooling2d", [])],
                build_config={"input_shape": [None, 3, 5, 5, 2]})
    flat = td_layer_cfg("td_flat", layer_object("Flatten", flatten_cfg("flatten"),
                                                [None, 2, 2, 2]))
    f = m.layer("TimeDistributed", flat, [p], {"mask": None},
                ref_time_distributed(p.value, lambda s: s.reshape(s.shape[0], -1)),
                nested=[("layer", "flatten", [])],
                build_config={"input_shape": [None, 3, 2, 2, 2]})
    w, b = m.uniform(0.7, 8, 2), m.normal(2, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 2), [f], {}, ref_dense(f.value, w, b),
                   own=[w, b], paths={"head/kernel": w, "head/bias": b},
                   build_config={"input_shape": [None, 3, 8]})
    write_case("td_maxpool", m, [head],
               "td_maxpool: x (2,3,5,5,2) -> TimeDistributed(MaxPooling2D(2)) 'td_pool' "
               "(2,3,2,2,2) (valid padding: the 5th row and column are dropped) -> "
               "TimeDistributed(Flatten()) 'td_flat' (2,3,8) -> Dense(2) 'head' (2,3,2).",
               TD_SEMANTICS + [
                   "MaxPooling2D.__init__ (keras/src/layers/pooling/max_pooling2d.py / "
                   "base_pooling.py): strides default to pool_size, padding 'valid'; "
                   "BasePooling.call -> ops.max_pool(inputs, pool_size, strides, padding)."])


# ---------------------------------------------------------------------------------------------
# Cases: masked Bidirectional.

BIDI_SEMANTICS = [
    "Embedding.compute_mask (keras/src/layers/core/embedding.py): 'return ops.not_equal(inputs, "
    "0)'. Layer.__call__ calls it through _set_mask_metadata on the symbolic input, so in a "
    "functional model it is an ops call on a KerasTensor: a NotEqual op node (module "
    "keras.src.ops.numpy, config {\"name\": \"not_equal\"}, args [tokens, 0]) whose bool output "
    "is the mask; Embedding sets 'self.supports_masking = mask_zero'.",
    "Layer.__call__ step 6: 'if \"mask\" in call_spec.argument_names and "
    "call_spec.arguments_dict[\"mask\"] is None: ... kwargs[\"mask\"] = mask' with the only "
    "tensor argument's keras mask; with one float32 tensor argument and no kwargs step 1 keeps "
    "the caller's kwargs dict, and step 8 records 'Node(..., call_kwargs=original_kwargs)', so "
    "the Bidirectional and GlobalAveragePooling1D nodes carry kwargs {\"mask\": "
    "<__keras_tensor__ dtype bool, keras_history [\"not_equal\", 0, 0]>}; the NotEqual op is "
    "thereby in the graph (Node.parent_nodes walks arguments.keras_tensors, kwargs included) "
    "and in config.json's layers.",
    "Bidirectional.__init__ (keras/src/layers/rnn/bidirectional.py): forward layer named "
    "'forward_' + layer.name, backward layer a copy with 'config[\"config\"][\"go_backwards\"] = "
    "True' named 'backward_' + layer.name; 'force_zero_output_for_mask': "
    "'layer.zero_output_for_mask = layer.return_sequences' on both, so the saved sub-layer "
    "configs say zero_output_for_mask true for return_sequences=True and false otherwise (as in "
    "golden/bidirectional_lstm). get_config writes merge_mode, layer and backward_layer.",
    "Bidirectional.call: the fused paths need 'if mask is not None or self.stateful: return "
    "False', so with a mask 'y = self.forward_layer(forward_inputs, initial_state=forward_state, "
    "**kwargs)' and 'y_rev = self.backward_layer(backward_inputs, ...)' with kwargs[\"mask\"] = "
    "mask: the backward layer gets the same (unreversed) mask and reverses inputs and mask "
    "together in backend.rnn; then 'if self.return_sequences: y_rev = ops.flip(y_rev, axis=1)' "
    "and 'output = ops.concatenate([y, y_rev], axis=-1)' for merge_mode 'concat'.",
    "LSTM.inner_loop / GRU.inner_loop try backend.lstm / backend.gru first; torch: 'Masking is "
    "not supported by either the cuDNN or fallback path; ... if mask is not None: raise "
    "NotImplementedError', so the generic backend.rnn loop runs (RNN.inner_loop passes "
    "go_backwards, mask, zero_output_for_mask, return_all_outputs=self.return_sequences).",
    "backend.rnn (keras/src/backend/torch/rnn.py, unroll=False): 'if go_backwards: mask = "
    "torch.flip(mask, [0])' and inputs flipped likewise; per step 'flat_mask_output = "
    "flat_zero_output if zero_output_for_mask else tree.flatten(prev_output)', 'flat_new_output "
    "= compute_masked_output(mask_t, flat_output, flat_mask_output)' and 'flat_final_state = "
    "compute_masked_output(mask_t, flat_new_state, flat_state)' (masked step: states kept, "
    "output zeros or the previous output, zeros before the first step); outputs stay in "
    "processing order and last_output is the last processed step (numpy/rnn.py: 'masked_outs = "
    "np.where(is_masked, output_tm1, output_t)' with output_tm1 = states[0], the same values).",
    "Bidirectional.compute_mask: 'if self.return_sequences: ... output_mask = mask' (merge_mode "
    "set) else None, so GlobalAveragePooling1D sees the embedding mask and the Dense after "
    "Bidirectional(GRU) none.",
    "GlobalAveragePooling1D.call: 'inputs = ops.where(mask_expanded, inputs, 0)'; 'return "
    "ops.sum(inputs, axis=steps_axis, ...) / ops.sum(float_mask, axis=steps_axis, ...)'; its "
    "compute_mask returns None.",
    "Weights (golden/bidirectional_lstm): layers/bidirectional/vars (empty, name "
    "'bidirectional'), layers/bidirectional/forward_layer/vars (empty, 'forward_lstm'), "
    "layers/bidirectional/forward_layer/cell/vars/0..2 ('lstm_cell': kernel, recurrent_kernel, "
    "bias), the same under backward_layer; variable paths "
    "bidirectional/forward_lstm/lstm_cell/kernel etc. GRU(reset_after=True) has bias (2, 3u).",
]


def bidi_case(name, seed, cls, return_sequences, tokens, description):
    m = Model(name, seed)
    units, dim, vocab = 3, 4, 20
    tok = m.input("tokens", np.asarray(tokens, np.float32))
    n, t = tok.value.shape
    table = m.normal(vocab, dim, scale=1.5)
    emb_v = f64(table)[tok.value.astype(np.int64)]
    emb = m.layer("Embedding", embedding_cfg("embedding", vocab, dim, True), [tok], {}, emb_v,
                  own=[table], paths={"embedding/embeddings": table},
                  build_config={"input_shape": [None, t]})
    mask = tok.value != 0
    ne = m.op(OPS_NUMPY, "NotEqual", {"name": "not_equal"}, [tok, 0], mask.astype(np.float64),
              dtype="bool")
    gates = 4 if cls == "LSTM" else 3
    lname = cls.lower()
    cell = f"{lname}_cell"

    def cell_weights():
        k = m.uniform(0.9, dim, gates * units)
        r = m.uniform(0.9, units, gates * units)
        bshape = (gates * units,) if cls == "LSTM" else (2, gates * units)
        return k, r, m.normal(*bshape, scale=0.3)
    fw_w, bw_w = cell_weights(), cell_weights()
    stepf = lstm_step if cls == "LSTM" else gru_step
    bi_v = ref_bidirectional(emb_v, mask, stepf(*fw_w, units), stepf(*bw_w, units), units,
                             return_sequences)
    fw_cfg = rnn_cfg(cls, f"forward_{lname}", units, return_sequences, False, return_sequences)
    bw_cfg = rnn_cfg(cls, f"backward_{lname}", units, return_sequences, True, return_sequences)
    bcfg = {**base("bidirectional"), "merge_mode": "concat",
            "layer": layer_object(cls, fw_cfg, [None, t, dim]),
            "backward_layer": layer_object(cls, bw_cfg, [None, t, dim])}
    paths = {}
    for side, ws in (("forward", fw_w), ("backward", bw_w)):
        for v, a in zip(("kernel", "recurrent_kernel", "bias"), ws):
            paths[f"bidirectional/{side}_{lname}/{cell}/{v}"] = a
    bi = m.layer("Bidirectional", bcfg, [emb], {"mask": ne}, bi_v,
                 nested=[("forward_layer", f"forward_{lname}", []),
                         ("forward_layer/cell", cell, list(fw_w)),
                         ("backward_layer", f"backward_{lname}", []),
                         ("backward_layer/cell", cell, list(bw_w))],
                 paths=paths, build_config={"input_shape": [None, t, dim]})
    feat = bi
    if return_sequences:
        feat = m.layer("GlobalAveragePooling1D", gap_cfg("gap"), [bi], {"mask": ne},
                       ref_gap1d_masked(bi.value, mask))
    w, b = m.uniform(0.8, 2 * units, 2), m.normal(2, scale=0.2)
    head = m.layer("Dense", dense_cfg("head", 2), [feat], {}, ref_dense(feat.value, w, b),
                   own=[w, b], paths={"head/kernel": w, "head/bias": b},
                   build_config={"input_shape": [None, 2 * units]})
    write_case(name, m, [head], description, BIDI_SEMANTICS)


def self_checks():
    """Independent checks of the references (they raise if a reference is wrong)."""
    rng = np.random.default_rng(399)
    # Masked bidirectional on right-padded rows == the unmasked layers on the row cut to its
    # length, with zeros after it (return_sequences) / the final states (not).
    units, dim, t = 3, 4, 6
    x = rng.standard_normal((3, t, dim))
    lengths = [6, 3, 1]
    mask = np.array([[i < n for i in range(t)] for n in lengths])
    for cls, stepf, gates in (("LSTM", lstm_step, 4), ("GRU", gru_step, 3)):
        def w():
            bshape = (gates * units,) if cls == "LSTM" else (2, gates * units)
            return (rng.uniform(-.7, .7, (dim, gates * units)).astype(np.float32),
                    rng.uniform(-.7, .7, (units, gates * units)).astype(np.float32),
                    rng.standard_normal(bshape).astype(np.float32))
        fw, bw = stepf(*w(), units), stepf(*w(), units)
        seq = ref_bidirectional(x, mask, fw, bw, units, True)
        last = ref_bidirectional(x, mask, fw, bw, units, False)
        for r, n in enumerate(lengths):
            xr = x[r:r + 1, :n]
            fs, fl = ref_rnn(fw, xr, None, units, False, False)
            bs, bl = ref_rnn(bw, xr, None, units, True, False)
            want = np.concatenate([fs, np.flip(bs, axis=1)], axis=-1)[0]
            assert np.allclose(seq[r, :n], want) and np.all(seq[r, n:] == 0), cls
            assert np.allclose(last[r], np.concatenate([fl, bl], axis=-1)[0]), cls
    # Conv2D "same" == a direct per-pixel sum over the zero-padded neighbourhood.
    x = rng.standard_normal((1, 5, 5, 2))
    k = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    got = ref_conv2d_same(x, k, b, "linear")
    for i in range(5):
        for j in range(5):
            acc = f64(b).copy()
            for di in range(3):
                for dj in range(3):
                    ii, jj = i + di - 1, j + dj - 1
                    if 0 <= ii < 5 and 0 <= jj < 5:
                        acc += x[0, ii, jj] @ f64(k[di, dj])
            assert np.allclose(got[0, i, j], acc)
    # MaxPooling2D(2) on 5x5 == the max of each full 2x2 block.
    x = rng.standard_normal((1, 5, 5, 2))
    got = ref_maxpool2d(x, 2)
    for i in range(2):
        for j in range(2):
            assert np.allclose(got[0, i, j], x[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(0, 1)))


def main():
    self_checks()
    case_ops_attention()
    case_ops_reduce()
    case_ops_arange_const()
    case_td_conv2d()
    case_td_maxpool()
    bidi_case("bidir_lstm_mask", 306, "LSTM", True,
              [[3, 7, 1, 12, 5, 9], [4, 2, 8, 0, 0, 0], [19, 0, 0, 0, 0, 0]],
              "bidir_lstm_mask: tokens (3,6) (float32 ids; row 0 full, row 1 three trailing "
              "zeros, row 2 one token) -> Embedding(20, 4, mask_zero=True) -> "
              "Bidirectional(LSTM(3, return_sequences=True), merge_mode='concat') (3,6,6) with "
              "the mask (padded steps output 0 in both halves) -> GlobalAveragePooling1D over "
              "the kept steps (3,6) -> Dense(2) 'head'. The mask is the NotEqual op node "
              "'not_equal' (its layer file holds it as 0/1) passed as the recorded "
              "'mask' kwarg of the Bidirectional and pooling nodes.")
    bidi_case("bidir_lstm_mask_inner", 307, "LSTM", True,
              [[3, 7, 1, 12, 5, 9], [4, 0, 8, 6, 0, 0], [19, 2, 0, 0, 0, 0]],
              "bidir_lstm_mask_inner: as bidir_lstm_mask but row 1 is [4, 0, 8, 6, 0, 0]: a "
              "masked step inside the sequence (Keras' loop keeps the states over it and "
              "outputs 0 there in both directions; it is not a length/right-padding "
              "computation).")
    bidi_case("bidir_gru_mask", 308, "GRU", False,
              [[3, 7, 1, 12, 5, 9], [4, 2, 8, 0, 0, 0], [19, 0, 0, 0, 0, 0]],
              "bidir_gru_mask: tokens (3,6) as in bidir_lstm_mask -> Embedding(20, 4, "
              "mask_zero=True) -> Bidirectional(GRU(3, reset_after=True), merge_mode='concat') "
              "(3,6) with the mask: forward = h after the last kept step, backward = h after "
              "running from the last kept step back to step 0 (masked steps first, states kept "
              "at 0) -> Dense(2) 'head'.")


if __name__ == "__main__":
    main()
