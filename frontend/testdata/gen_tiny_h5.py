# gen_tiny_h5.py writes tiny_dense.h5: a Keras-2-layout full-model HDF5 file (model_config
# attribute, model_weights/<layer>/@weight_names) for a Sequential Dense(3, relu) on 4
# features, made by h5py (3.7, Debian 12) with Keras' legacy layout; the fuzz seed of
# FuzzLoadH5 and the subject of TestTinyH5. Run with /usr/bin/python3.
import json
import h5py
import numpy as np

config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
    {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu",
                                       "use_bias": True, "batch_input_shape": [None, 4],
                                       "dtype": "float32", "trainable": True}}]}}
with h5py.File("tiny_dense.h5", "w", libver="earliest") as f:
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(config)
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([b"dense"])
    d = g.create_group("dense")
    d.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
    d.create_dataset("dense/kernel:0", data=(np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 8)
    d.create_dataset("dense/bias:0", data=np.array([0.5, -0.25, 0.125], dtype=np.float32))
