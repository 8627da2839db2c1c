#!/usr/bin/python3
"""Generate the small HDF5 test files used by the hdf5 package tests.

Tool: h5py 3.7.0 / HDF5 1.10.8 / numpy 1.24.2 on Debian 12 (/usr/bin/python3).
Run from this directory:   /usr/bin/python3 gen.py

Every value is a simple function of the element index i (np.arange based) so
the Go tests can recompute the expectations independently.  The formulas are
listed in TYPES below and mirrored in hdf5_test.go.

Files:
  earliest.h5   libver='earliest': superblock 0, object header v1, symbol-table
                groups, layout v3 (compact/contiguous/chunked with v1 B-tree).
  latest.h5     libver='latest': superblock 3, object header v2, link messages,
                dense links and attributes (fractal heap + v2 B-tree), layout v4
                chunk indexes (single chunk, implicit, fixed array, extensible
                array, v2 B-tree).
  v108.h5       libver=('v108','v108'): superblock 2, 1.8-style new groups.
  smallk.h5     superblock 1 (non-default istore K), 4-byte offsets and lengths,
                tiny B-tree K values so group and chunk B-trees have several
                levels.
  userblock.h5  earliest format behind a 512-byte user block.

It also writes the seed corpus for FuzzOpen under fuzz/FuzzOpen/ (from two
small files made like the ones above, plus truncated and corrupted copies).

Output is deterministic: timestamps are turned off on every object (h5py's
high-level API records them on groups and committed datatypes, hence the
low-level helpers below), so rerunning gives byte-identical files.
"""

import ctypes
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

I = np.arange(12)

# name -> (numpy dtype, values for i = 0..11, shape (3, 4))
TYPES = {
    "f16": ("<f2", (I - 6) * 0.25),
    "f32": ("<f4", (I - 6) * 0.1),
    "f64": ("<f8", (I - 6) * 0.1),
    "i8": ("<i1", (I - 6) * 20),
    "i16": ("<i2", (I - 6) * 5000),
    "i32": ("<i4", (I - 6) * 300000000),
    "i64": ("<i8", (I - 6) * 10**17),
    "u8": ("<u1", I * 20),
    "u16": ("<u2", I * 5000),
    "u32": ("<u4", I * 350000000),
    "u64": ("<u8", I.astype(np.uint64) * np.uint64(1500000000000000000)),
}
for k in ["f16", "f32", "f64", "i16", "i32", "i64", "u16", "u32", "u64"]:
    dt, v = TYPES[k]
    TYPES[k + "be"] = (">" + dt[1:], v)


LIBVER = {
    "earliest": (h5py.h5f.LIBVER_EARLIEST, h5py.h5f.LIBVER_LATEST),
    "latest": (h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST),
    "v108": (h5py.h5f.LIBVER_V18, h5py.h5f.LIBVER_V18),
}


def new_file(name, libver, setup=None):
    """Create a file whose root group has no timestamps (deterministic output)."""
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    if setup:
        setup(fcpl)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(*LIBVER[libver])
    fid = h5py.h5f.create(os.path.join(HERE, name).encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    return h5py.File(fid)


def mkgroup(parent, name, track_order=False):
    """Create a group without timestamps (h5py's create_group records them)."""
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    if track_order:
        flags = h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED
        gcpl.set_link_creation_order(flags)
        gcpl.set_attr_creation_order(flags)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))


def commit_type(group, name, dtype):
    """Commit a named datatype without timestamps, through the HDF5 C API
    (h5py's TypeID.commit takes no creation property list)."""
    lib = ctypes.CDLL("libhdf5_serial.so.103")
    lib.H5Pcreate.restype = ctypes.c_int64
    cls = ctypes.c_int64.in_dll(lib, "H5P_CLS_DATATYPE_CREATE_ID_g")
    tcpl = lib.H5Pcreate(cls)
    assert tcpl >= 0
    assert lib.H5Pset_obj_track_times(ctypes.c_int64(tcpl), ctypes.c_uint(0)) >= 0
    tid = h5py.h5t.py_create(dtype).copy()
    assert lib.H5Tcommit2(ctypes.c_int64(group.id.id), name.encode(), ctypes.c_int64(tid.id),
                          ctypes.c_int64(0), ctypes.c_int64(tcpl), ctypes.c_int64(0)) >= 0
    lib.H5Pclose(ctypes.c_int64(tcpl))


def dcpl():
    """Dataset creation properties for low-level creation, without timestamps."""
    p = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    p.set_obj_track_times(False)
    return p


def write_types(g):
    for name, (dt, v) in TYPES.items():
        g.create_dataset(name, data=np.asarray(v).astype(dt).reshape(3, 4))


def write_strings(g):
    g.create_dataset("fixed_ascii", data=np.array([b"alpha", b"be", b"gamma!"], dtype="S6"))
    for pad, name in [(h5py.h5t.STR_NULLTERM, "fixed_nullterm"), (h5py.h5t.STR_SPACEPAD, "fixed_spacepad")]:
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(6)
        tid.set_strpad(pad)
        space = h5py.h5s.create_simple((3,))
        ds = h5py.Dataset(h5py.h5d.create(g.id, name.encode(), tid, space, dcpl=dcpl()))
        ds[...] = np.array([b"alpha", b"be", b"gamma!"], dtype="S6")
    ds = g.create_dataset("fixed_utf8", shape=(2,), dtype=h5py.string_dtype("utf-8", 12))
    ds.id.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array(["héllo".encode(), "wörld".encode()], dtype="S12"),
                mtype=ds.id.get_type())
    g.create_dataset("vlen_ascii", data=[b"one", b"two", b"three"], dtype=h5py.string_dtype("ascii"))
    g.create_dataset("vlen_utf8", data=["α", "βγ", "", "plain"], dtype=h5py.string_dtype())
    g.create_dataset("vlen_scalar", data="just one string", dtype=h5py.string_dtype())
    g.create_dataset("vlen_chunked", data=["s%d" % i * (i + 1) for i in range(5)],
                     dtype=h5py.string_dtype(), chunks=(2,), compression="gzip")


def write_attrs(obj):
    a = obj.attrs
    a["s_fixed"] = np.bytes_(b"fixed bytes")
    a["s_vlen"] = "vlen ünïcode"
    a["s_list_fixed"] = np.array([b"dense_1", b"dense_2", b"out"], dtype="S7")
    a["s_list_vlen"] = ["a", "bb", "ccc"]
    a["empty_f64"] = np.zeros(0, "f8")
    a["null_f32"] = h5py.Empty("f4")
    a["i64_scalar"] = np.int64(-1234567890123)
    a["f64_arr"] = (np.arange(6) * 0.5).reshape(2, 3)
    a["u16_be"] = (np.arange(4) * 300).astype(">u2")
    a["f16_arr"] = np.arange(4, dtype="f2") * 0.5
    a.create("arr_f32", data=np.arange(6, dtype="f4").reshape(2, 3), dtype=np.dtype(("<f4", (3,))))
    a["bool_enum"] = np.bool_(True)
    a["compound"] = np.array((1, 2.0), dtype=[("a", "<i4"), ("b", "<f8")])


def write_layouts(g, latest):
    p = dcpl()
    p.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((2, 3))
    ds = h5py.Dataset(h5py.h5d.create(g.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=p))
    ds[...] = (np.arange(6) * 1.5).reshape(2, 3)
    g.create_dataset("contiguous", data=(np.arange(20) * 0.5 - 3).reshape(4, 5))
    g.create_dataset("contig_unwritten", shape=(3,), dtype="f4")
    g.create_dataset("chunked_gzip", data=(np.arange(70) * 7 - 100).reshape(10, 7).astype("i4"),
                     chunks=(4, 3), compression="gzip", compression_opts=4, shuffle=True)
    g.create_dataset("chunked_plain", data=(np.arange(25) * 0.25).reshape(5, 5).astype("f4"), chunks=(2, 2))
    g.create_dataset("chunked_fill", shape=(6, 4), dtype="f4", chunks=(3, 3), fillvalue=7.5)
    d = g.create_dataset("chunked_partial", shape=(6, 6), dtype="i2", chunks=(3, 3), fillvalue=-1)
    d[0:3, 3:6] = np.arange(9).reshape(3, 3) + 1
    g.create_dataset("fletcher", data=np.arange(8) + 0.5, dtype="f4", chunks=(3,), fletcher32=True)
    g.create_dataset("lzf", data=np.arange(8), dtype="f4", chunks=(4,), compression="lzf")
    g.create_dataset("szip", data=np.arange(64), dtype="i4", chunks=(32,), compression="szip")
    g.create_dataset("scalar_f64", data=3.25)
    g.create_dataset("scalar_i32", data=np.int32(-42))
    g.create_dataset("empty", shape=(0,), dtype="f4")
    g.create_dataset("null", data=h5py.Empty("f8"))
    g.create_dataset("rank3", data=np.arange(24.0).reshape(2, 3, 4), chunks=(1, 2, 3), compression="gzip")
    if latest:
        # Layout v4 chunk indexes.
        g.create_dataset("single", data=np.arange(12, dtype="i4").reshape(3, 4), chunks=(3, 4))
        g.create_dataset("single_gzip", data=np.arange(12, dtype="i4").reshape(3, 4), chunks=(3, 4),
                         compression="gzip")
        p = dcpl()
        p.set_chunk((2, 3))
        p.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        space = h5py.h5s.create_simple((5, 7))
        ds = h5py.Dataset(h5py.h5d.create(g.id, b"implicit", h5py.h5t.STD_I16LE, space, dcpl=p))
        ds[...] = np.arange(35).reshape(5, 7)
        g.create_dataset("farray_max", data=np.arange(35, dtype="i2").reshape(5, 7), chunks=(2, 3),
                         maxshape=(9, 10))
        g.create_dataset("farray_paged", data=(np.arange(1100) % 100).astype("i1"), chunks=(1,))
        g.create_dataset("earray", data=np.arange(70, dtype="f4").reshape(10, 7), chunks=(4, 3),
                         maxshape=(None, 7), compression="gzip", shuffle=True)
        g.create_dataset("earray_dim1", data=np.arange(70, dtype="f4").reshape(7, 10), chunks=(3, 4),
                         maxshape=(7, None))
        g.create_dataset("earray_many", data=(np.arange(300) % 100).astype("i1"), chunks=(1,),
                         maxshape=(None,))
        g.create_dataset("earray_empty", shape=(5,), dtype="f4", chunks=(2,), maxshape=(None,), fillvalue=2.5)
        g.create_dataset("btree2", data=np.arange(70, dtype="u2").reshape(10, 7), chunks=(4, 3),
                         maxshape=(None, None))
        g.create_dataset("btree2_gzip", data=np.arange(70, dtype="u2").reshape(10, 7), chunks=(4, 3),
                         maxshape=(None, None), compression="gzip")


def write_common(f, latest):
    write_attrs(f)
    write_types(mkgroup(f, "types"))
    commit_type(f["types"], "committed", np.dtype("<f4"))
    f.create_dataset("types/f32_committed", data=np.arange(4) * 0.5, dtype=f["types/committed"])
    write_strings(mkgroup(f, "strings"))
    write_layouts(mkgroup(f, "layouts"), latest)
    names = mkgroup(f, "names")
    mkgroup(names, "layers\\conv1d").create_dataset("kernel", data=np.arange(4, dtype="f4").reshape(2, 2))
    mkgroup(names, "with space")
    mkgroup(names, "ünïcode")
    many = mkgroup(f, "many")
    for i in range(50):
        if i % 2 == 0:
            mkgroup(many, "item_%02d" % i)
        else:
            many.create_dataset("item_%02d" % i, data=np.int32(i))
    links = mkgroup(f, "links")
    links["soft"] = h5py.SoftLink("/types/f32")
    links["ext"] = h5py.ExternalLink("other.h5", "/x")
    links["hard"] = f["types/f32"]
    links["loop"] = links
    # Attributes added after creation force header continuation blocks.
    d = f.create_dataset("many_attrs", data=np.arange(3.0))
    for k in range(20):
        d.attrs["a%02d" % k] = np.arange(k + 1) * 1.0


def write_few_attrs(f):
    """Compact attribute messages (version 2 in 1.8 files, 3 in latest)."""
    g = mkgroup(f, "few_attrs")
    g.attrs["x"] = np.float32(1.5)
    g.attrs["s"] = "short"
    g.attrs["e"] = np.zeros(0, "f8")


def gen_earliest():
    with new_file("earliest.h5", "earliest") as f:
        write_common(f, False)


def gen_latest():
    with new_file("latest.h5", "latest") as f:
        write_common(f, True)
        write_few_attrs(f)
        g = mkgroup(f, "dense_attrs")
        for k in range(12):
            g.attrs["s%02d" % k] = "string attribute %d" % k
        g.attrs["big"] = np.arange(9000) * 1.0  # 72 KB: huge fractal heap object
        o = mkgroup(f, "ordered", track_order=True)
        for k in range(12):
            mkgroup(o, "g%02d" % (11 - k))
            o.attrs["a%02d" % (11 - k)] = np.int16(k)


def gen_v108():
    with new_file("v108.h5", "v108") as f:
        write_few_attrs(f)
        write_types(mkgroup(f, "types"))
        g = mkgroup(f, "layouts")
        g.create_dataset("chunked_gzip", data=(np.arange(70) * 7 - 100).reshape(10, 7).astype("i4"),
                         chunks=(4, 3), compression="gzip", compression_opts=4, shuffle=True)
        g.create_dataset("earray", data=np.arange(70, dtype="f4").reshape(10, 7), chunks=(4, 3),
                         maxshape=(None, 7))
        many = mkgroup(f, "many")
        for i in range(50):
            many.create_dataset("item_%02d" % i, data=np.int32(i))
        for k in range(12):
            many.attrs["a%02d" % k] = np.arange(k + 1) * 1.0


def gen_smallk():
    def setup(fcpl):
        fcpl.set_sizes(4, 4)
        # h5py has no wrappers for these; call the HDF5 library h5py itself is linked to.
        lib = ctypes.CDLL("libhdf5_serial.so.103")
        assert lib.H5Pset_sym_k(ctypes.c_int64(fcpl.id), ctypes.c_uint(2), ctypes.c_uint(1)) >= 0
        assert lib.H5Pset_istore_k(ctypes.c_int64(fcpl.id), ctypes.c_uint(2)) >= 0

    with new_file("smallk.h5", "earliest", setup) as f:
        many = mkgroup(f, "many")
        for i in range(50):
            if i % 2 == 0:
                mkgroup(many, "item_%02d" % i)
            else:
                many.create_dataset("item_%02d" % i, data=np.int32(i))
        f.create_dataset("chunked", data=(np.arange(200) * 3).reshape(20, 10).astype("i4"), chunks=(2, 2),
                         compression="gzip")
        f.attrs["s_vlen"] = "vlen ünïcode"


def gen_userblock():
    with new_file("userblock.h5", "earliest", lambda fcpl: fcpl.set_userblock(512)) as f:
        f.create_dataset("x", data=np.arange(5, dtype="f8") * 2)
        f.attrs["s_vlen"] = "vlen ünïcode"
    with open(os.path.join(HERE, "userblock.h5"), "r+b") as fp:
        fp.write(b"user block text")


def go_quote(b):
    out = []
    for c in b:
        if 32 <= c < 127 and c not in (ord('"'), ord("\\")):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '"' + "".join(out) + '"'


def write_seed(name, data):
    d = os.path.join(HERE, "fuzz", "FuzzOpen")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as fp:
        fp.write("go test fuzz v1\n[]byte(%s)\n" % go_quote(data))


def tiny_file(libver):
    """A small file touching most structures, as bytes (fuzz seeds only)."""
    with new_file("tiny.tmp", libver) as f:
        f.attrs["s_vlen"] = "vlen"
        f.attrs["s_fixed"] = np.bytes_(b"fixed")
        f.attrs["empty"] = np.zeros(0, "f8")
        f.attrs["null"] = h5py.Empty("f4")
        g = mkgroup(f, "g")
        for k in range(9 if libver == "latest" else 2):
            mkgroup(g, "m%d" % k)
            g.attrs["a%d" % k] = np.arange(k + 1, dtype="i2")
        g.create_dataset("gz", data=np.arange(20, dtype="f4").reshape(4, 5), chunks=(3, 2),
                         compression="gzip", shuffle=True)
        g.create_dataset("ea", data=np.arange(6, dtype="f2"), chunks=(4,), maxshape=(None,))
        g.create_dataset("bt", data=np.arange(6, dtype=">i4").reshape(2, 3), chunks=(1, 2), maxshape=(None, None))
        g.create_dataset("s", data=["a", "bc"], dtype=h5py.string_dtype())
        g.create_dataset("c", data=np.float64(1.5))
    path = os.path.join(HERE, "tiny.tmp")
    data = open(path, "rb").read()
    os.remove(path)
    return data


def gen_seeds():
    d = os.path.join(HERE, "fuzz", "FuzzOpen")
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    for base, data in [("earliest", tiny_file("earliest")), ("latest", tiny_file("latest"))]:
        write_seed("seed-" + base, data)
        write_seed("seed-" + base + "-half", data[: len(data) // 2])
        write_seed("seed-" + base + "-head", data[:600])
        flipped = bytearray(data)
        for k in range(7, len(flipped), 397):
            flipped[k] ^= 0x5A
        write_seed("seed-" + base + "-flip", bytes(flipped))


if __name__ == "__main__":
    gen_earliest()
    gen_latest()
    gen_v108()
    gen_smallk()
    gen_userblock()
    gen_seeds()
