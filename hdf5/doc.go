// Package hdf5 is a small, pure-Go, read-only HDF5 reader, sufficient for
// Keras model files (.h5 and the model.weights.h5 inside .keras archives).
//
// The whole file is held in memory (Open takes a []byte). The reader takes
// untrusted input: every offset and length is checked against the file size,
// allocations are bounded by the data present in the file (or, for chunked
// data, by the dataspace and a 2 GiB limit), and recursion through B-trees,
// heaps and header continuations is bounded, so malformed files give errors,
// never panics.
//
// It reads:
//   - superblock versions 0 to 3 (checksums verified), with or without a
//     user block;
//   - object headers version 1 and 2, with continuation blocks;
//   - groups stored as symbol tables (v1 B-tree, local heap, symbol nodes) and
//     as links (compact link messages, or dense storage in a fractal heap
//     indexed by a v2 B-tree); hard links only: soft and external links are
//     left out of Members and refused by lookups;
//   - attributes stored compactly (attribute message versions 1 to 3) or
//     densely (fractal heap and v2 B-tree);
//   - datasets with compact, contiguous or chunked layout (layout message
//     versions 1 to 4); chunk indexes: v1 B-tree, single chunk, implicit,
//     fixed array, extensible array and v2 B-tree; filters deflate, shuffle
//     and fletcher32; unallocated storage reads as the fill value;
//   - datatypes: integers of 1, 2, 4 and 8 bytes, IEEE floats of 2, 4 and 8
//     bytes (both byte orders), fixed-length and variable-length strings
//     (ASCII or UTF-8), and arrays of those;
//   - dataspaces: scalar, simple (any rank) and null.
//
// It refuses, with an error wrapping ErrUnsupported that names the feature:
// other filters (szip, lzf, ...), compound, enum, reference, opaque, bitfield,
// time and non-string variable-length types, external and virtual storage,
// shared messages kept in the shared-message heap, filtered fractal heaps and
// paged extensible-array data blocks.
//
// Errors name the object they are about ("hdf5: /x/kernel: ..."); missing
// objects give a *NotFoundError, structures running past the end of the file
// an error wrapping ErrTruncated.
package hdf5
