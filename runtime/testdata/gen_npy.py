#!/usr/bin/python3
"""Regenerates the small .npy fixtures in this directory.

Made with numpy 1.24 (Debian 12's python3-numpy) by running
    /usr/bin/python3 gen_npy.py
from runtime/testdata. Every array comes from a formula in the index i of
its C-order element; npy_test.go recomputes the same formulas, so keep the
two in step.
"""
import numpy as np

i6 = np.arange(6)


def save(name, a):
    np.save(name, a, allow_pickle=False)


# f2: (i - 3) * 0.125, exact in half precision.
save("f2.npy", ((i6 - 3) * 0.125).astype("<f2").reshape(2, 3))
# f8: i / 3 (rounded to float32 by the reader).
save("f8.npy", (np.arange(5) / 3).astype("<f8"))
# i8: (i - 1) * 10**12 + i, beyond float32's exact range.
save("i8.npy", ((np.arange(4) - 1) * 10**12 + np.arange(4)).astype("<i8").reshape(2, 2))
# i1: i * 50 - 128.
save("i1.npy", (i6 * 50 - 128).astype("i1"))
# u1: (i * 70) % 256.
save("u1.npy", ((i6 * 70) % 256).astype("u1"))
# u2: i * 13000.
save("u2.npy", (i6 * 13000).astype("<u2"))
# u4: i * 800000000.
save("u4.npy", (i6 * 800000000).astype("<u4"))
# b1: i % 3 == 0.
save("b1.npy", (i6 % 3 == 0).reshape(3, 2))
# >f4: i * 1.5 - 1, big-endian.
save("f4_be.npy", (np.arange(4) * 1.5 - 1).astype(">f4").reshape(2, 2))
# >i2: 1000 - i * 700, big-endian.
save("i2_be.npy", (1000 - i6 * 700).astype(">i2"))
# fortran_order True: i, shape (2, 3, 4), stored in Fortran order.
save("fortran.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
# scalar: 3.5, shape ().
save("scalar.npy", np.array(3.5, dtype="<f4"))
# empty: shape (0, 3).
save("empty.npy", np.zeros((0, 3), dtype="<f4"))
# version 2.0 and 3.0 headers: i, shape (2, 3).
for v in (2, 3):
    with open("v%d.npy" % v, "wb") as f:
        np.lib.format.write_array(f, np.arange(6, dtype="<f4").reshape(2, 3), version=(v, 0))
