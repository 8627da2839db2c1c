package hdf5

import (
	"fmt"
)

// Dataset is an HDF5 dataset.
type Dataset struct {
	f       *File
	path    string
	addr    uint64
	dtype   Datatype
	space   dataspace
	layout  layout
	filters []filter
	fill    []byte // fill value, nil for zeros
}

// Layout classes.
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2
)

// Chunk index types (layout message version 4; v1 B-tree before).
const (
	indexBTreeV1  = 0
	indexSingle   = 1
	indexImplicit = 2
	indexFixed    = 3
	indexExtArray = 4
	indexBTreeV2  = 5
)

type layout struct {
	class      int
	addr       uint64
	size       uint64 // contiguous storage size, undef when not stored
	compact    []byte
	chunk      []uint64 // chunk dimensions, one per dataset dimension
	index      int
	singleSize uint64 // filtered single chunk
	singleMask uint32
	bad        error // why the data cannot be read
}

func (f *File) openDataset(addr uint64, path string) (*Dataset, error) {
	h, err := f.header(addr)
	if err != nil {
		return nil, err
	}
	d := &Dataset{f: f, path: path, addr: addr}
	get := func(typ int, what string) ([]byte, error) {
		m := h.find(typ)
		if m == nil {
			return nil, fmt.Errorf("dataset has no %s message", what)
		}
		return f.messageData(m)
	}
	b, err := get(msgDataspace, "dataspace")
	if err != nil {
		return nil, err
	}
	if d.space, err = parseDataspace(f, b); err != nil {
		return nil, err
	}
	if b, err = get(msgDatatype, "datatype"); err != nil {
		return nil, err
	}
	if d.dtype, err = f.parseDatatype(f.cursor(b, addr, "datatype message"), 0); err != nil {
		return nil, err
	}
	if b, err = get(msgLayout, "layout"); err != nil {
		return nil, err
	}
	if d.layout, err = f.parseLayout(b, len(d.space.dims), d.dtype.Size); err != nil {
		return nil, err
	}
	if h.find(msgExternal) != nil {
		d.layout.bad = unsupported("external storage")
	}
	if m := h.find(msgFilters); m != nil {
		if b, err = f.messageData(m); err != nil {
			return nil, err
		}
		if d.filters, err = parseFilters(f, b); err != nil {
			return nil, err
		}
	}
	if d.fill, err = f.fillValue(h); err != nil {
		return nil, err
	}
	if len(d.fill) != d.dtype.Size {
		d.fill = nil
	}
	return d, nil
}

func (f *File) fillValue(h *objHeader) ([]byte, error) {
	m := h.find(msgFill)
	if m == nil {
		if m = h.find(msgFillOld); m == nil {
			return nil, nil
		}
		c := f.cursor(m.data, h.addr, "fill value message")
		v := c.bytes(uint64(c.u32()))
		return v, c.err
	}
	b, err := f.messageData(m)
	if err != nil {
		return nil, err
	}
	c := f.cursor(b, h.addr, "fill value message")
	var v []byte
	switch version := c.u8(); version {
	case 1:
		c.skip(3)
		v = c.bytes(uint64(c.u32()))
	case 2:
		c.skip(2)
		if c.u8() != 0 {
			v = c.bytes(uint64(c.u32()))
		}
	case 3:
		if c.u8()&0x20 != 0 {
			v = c.bytes(uint64(c.u32()))
		}
	default:
		c.fail("unknown version %d", version)
	}
	return v, c.err
}

func (f *File) parseLayout(b []byte, rank, esize int) (layout, error) {
	l := layout{size: undef}
	c := f.cursor(b, undef, "layout message")
	var dims []uint64
	version := c.u8()
	switch version {
	case 1, 2:
		ndims := int(c.u8())
		l.class = int(c.u8())
		c.skip(5)
		if l.class != layoutCompact {
			l.addr = c.addr()
		}
		for i := 0; i < ndims; i++ {
			dims = append(dims, uint64(c.u32()))
		}
		if l.class == layoutCompact {
			l.compact = c.bytes(uint64(c.u32()))
		}
	case 3, 4:
		l.class = int(c.u8())
		switch l.class {
		case layoutCompact:
			l.compact = c.bytes(uint64(c.u16()))
		case layoutContiguous:
			l.addr, l.size = c.addr(), c.length()
		case layoutChunked:
			if version == 3 {
				ndims := int(c.u8())
				l.addr = c.addr()
				for i := 0; i < ndims; i++ {
					dims = append(dims, uint64(c.u32()))
				}
				break
			}
			flags, ndims, enc := c.u8(), int(c.u8()), int(c.u8())
			if enc < 1 || enc > 8 {
				c.fail("chunk dimension size of %d bytes", enc)
			}
			for i := 0; i < ndims && c.err == nil; i++ {
				dims = append(dims, c.uvar(enc))
			}
			l.index = int(c.u8())
			switch l.index {
			case indexSingle:
				if flags&0x02 != 0 {
					l.singleSize, l.singleMask = c.length(), c.u32()
				}
			case indexImplicit:
			case indexFixed:
				c.skip(1)
			case indexExtArray:
				c.skip(5)
			case indexBTreeV2:
				c.skip(6)
			default:
				if c.err == nil {
					l.bad = unsupported("chunk index type %d", l.index)
				}
			}
			l.addr = c.addr()
		case 3:
			l.bad = unsupported("virtual dataset layout")
		default:
			c.fail("unknown layout class %d", l.class)
		}
	default:
		c.fail("unknown version %d", version)
	}
	if c.err != nil {
		return l, c.err
	}
	if l.class == layoutChunked {
		// The chunk dimensions end with the element size.
		if len(dims) != rank+1 || rank == 0 {
			return l, fmt.Errorf("corrupt layout: %d chunk dimensions for rank %d", len(dims), rank)
		}
		if dims[rank] != uint64(esize) {
			return l, fmt.Errorf("corrupt layout: chunk element size %d, datatype size %d", dims[rank], esize)
		}
		for _, d := range dims {
			if d == 0 {
				return l, fmt.Errorf("corrupt layout: zero chunk dimension")
			}
		}
		l.chunk = dims[:rank]
	}
	return l, nil
}

// Path returns the absolute path of the dataset.
func (d *Dataset) Path() string { return d.path }

// Shape returns the dimensions: empty for a scalar, nil for a null dataspace.
func (d *Dataset) Shape() []int { return d.space.shape() }

// IsNull reports whether the dataset has a null (empty) dataspace.
func (d *Dataset) IsNull() bool { return d.space.null }

// Type returns the element type.
func (d *Dataset) Type() Datatype { return d.dtype }

// Attrs returns the attributes of d in name order.
func (d *Dataset) Attrs() ([]*Attribute, error) { return d.f.attributes(d.addr, d.path) }

// Attr returns the attribute of d called name.
func (d *Dataset) Attr(name string) (*Attribute, error) { return d.f.attribute(d.addr, d.path, name) }

// ReadFloat32 returns all values, in row-major order, converted to float32.
// Any integer or float type (or array of those) is accepted; float16 values
// convert exactly.
func (d *Dataset) ReadFloat32() ([]float32, error) { return readAs(d, toFloat32) }

// ReadFloat64 returns all values, in row-major order, converted to float64.
func (d *Dataset) ReadFloat64() ([]float64, error) { return readAs(d, toFloat64) }

// ReadInt64 returns all values of an integer dataset. Unsigned values above
// the int64 range give an error.
func (d *Dataset) ReadInt64() ([]int64, error) { return readAs(d, toInt64) }

// ReadStrings returns all values of a fixed- or variable-length string
// dataset.
func (d *Dataset) ReadStrings() ([]string, error) {
	raw, n, err := d.readRaw()
	var v []string
	if err == nil {
		v, err = d.f.decodeStrings(d.dtype, raw, n)
	}
	return v, wrap(d.path, err)
}

func readAs[T any](d *Dataset, conv func(Datatype, uint64) (T, error)) ([]T, error) {
	raw, n, err := d.readRaw()
	var v []T
	if err == nil {
		v, err = decode(d.dtype, raw, n, conv)
	}
	return v, wrap(d.path, err)
}

// readRaw returns the raw bytes of all n elements.
func (d *Dataset) readRaw() ([]byte, uint64, error) {
	if _, _, err := d.dtype.elements(); err != nil {
		return nil, 0, err
	}
	if d.layout.bad != nil {
		return nil, 0, d.layout.bad
	}
	n := d.space.count()
	esize := uint64(d.dtype.Size)
	total, ok := mulCheck(n, esize)
	if !ok || total > maxDataBytes {
		return nil, 0, fmt.Errorf("dataset of %d elements of %d bytes exceeds the %d-byte limit", n, esize, maxDataBytes)
	}
	if n == 0 {
		return nil, 0, nil
	}
	l := d.layout
	switch l.class {
	case layoutCompact:
		if uint64(len(l.compact)) < total {
			return nil, 0, fmt.Errorf("compact data has %d bytes, need %d", len(l.compact), total)
		}
		return l.compact[:total], n, nil
	case layoutContiguous:
		if l.addr == undef {
			return d.filled(total), n, nil
		}
		if l.size != undef && l.size < total {
			return nil, 0, fmt.Errorf("contiguous storage has %d bytes, need %d", l.size, total)
		}
		b, err := d.f.at(l.addr, total, "contiguous data")
		return b, n, err
	case layoutChunked:
		b, err := d.readChunked(total)
		return b, n, err
	}
	return nil, 0, fmt.Errorf("unknown layout class %d", l.class)
}

// filled returns total bytes of fill value.
func (d *Dataset) filled(total uint64) []byte {
	out := make([]byte, total)
	if d.fill != nil {
		for i := 0; i < len(out); i += len(d.fill) {
			copy(out[i:], d.fill)
		}
	}
	return out
}
