package hdf5

import "fmt"

// maxElements bounds the declared number of elements of a dataspace.
const maxElements = 1 << 62

// dataspace is a parsed dataspace message.
type dataspace struct {
	null    bool
	dims    []uint64 // empty for scalars
	maxDims []uint64 // nil when not stored; undef entries are unlimited
}

func parseDataspace(f *File, b []byte) (dataspace, error) {
	var s dataspace
	c := f.cursor(b, undef, "dataspace message")
	version, rank, flags := c.u8(), int(c.u8()), c.u8()
	switch version {
	case 1:
		c.skip(5)
	case 2:
		s.null = c.u8() == 2
	default:
		if c.err == nil {
			return s, fmt.Errorf("dataspace message: unknown version %d", version)
		}
	}
	if rank > 32 {
		return s, fmt.Errorf("corrupt dataspace: rank %d", rank)
	}
	s.dims = make([]uint64, rank)
	n := uint64(1)
	for i := range s.dims {
		s.dims[i] = c.length()
		var ok bool
		if n, ok = mulCheck(n, s.dims[i]); !ok || n > maxElements || s.dims[i] > maxElements {
			return s, fmt.Errorf("corrupt dataspace: dimensions %v too large", s.dims[:i+1])
		}
	}
	if flags&1 != 0 {
		s.maxDims = make([]uint64, rank)
		for i := range s.maxDims {
			s.maxDims[i] = c.length()
		}
	}
	if s.null {
		s.dims = nil
	}
	return s, c.err
}

// count returns the number of elements (0 for a null dataspace).
func (s dataspace) count() uint64 {
	if s.null {
		return 0
	}
	n := uint64(1)
	for _, d := range s.dims {
		n *= d // bounded by maxElements when parsed
	}
	return n
}

// shape returns the dimensions as ints: nil for null, empty for scalar.
func (s dataspace) shape() []int {
	if s.null {
		return nil
	}
	out := make([]int, len(s.dims))
	for i, d := range s.dims {
		out[i] = int(d)
	}
	return out
}
