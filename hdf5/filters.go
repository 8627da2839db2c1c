package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// Filter identifiers.
const (
	filterDeflate    = 1
	filterShuffle    = 2
	filterFletcher32 = 3
)

var filterNames = map[int]string{
	1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
	307: "bzip2", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle",
	32013: "zfp", 32015: "zstd", 32017: "sz", 32026: "blosc2",
}

type filter struct {
	id    int
	name  string
	cdata []uint32
}

func (fl filter) String() string {
	name := filterNames[fl.id]
	if name == "" {
		name = fl.name
	}
	if name == "" {
		return fmt.Sprint(fl.id)
	}
	return fmt.Sprintf("%d (%s)", fl.id, name)
}

func parseFilters(f *File, b []byte) ([]filter, error) {
	c := f.cursor(b, undef, "filter pipeline message")
	version, n := c.u8(), int(c.u8())
	switch version {
	case 1:
		c.skip(6)
	case 2:
	default:
		if c.err == nil {
			return nil, fmt.Errorf("filter pipeline message: unknown version %d", version)
		}
	}
	if n > 32 {
		return nil, fmt.Errorf("corrupt filter pipeline: %d filters", n)
	}
	filters := make([]filter, 0, n)
	for i := 0; i < n && c.err == nil; i++ {
		fl := filter{id: int(c.u16())}
		nameLen := uint64(0)
		if version == 1 || fl.id >= 256 {
			nameLen = uint64(c.u16())
		}
		c.u16() // flags
		nvals := int(c.u16())
		if version == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		name := c.bytes(nameLen)
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		fl.name = string(name)
		for j := 0; j < nvals && c.err == nil; j++ {
			fl.cdata = append(fl.cdata, c.u32())
		}
		if version == 1 && nvals%2 == 1 {
			c.skip(4)
		}
		filters = append(filters, fl)
	}
	return filters, c.err
}

// checkFilters refuses pipelines with filters this package cannot undo.
func checkFilters(filters []filter) error {
	for _, fl := range filters {
		switch fl.id {
		case filterDeflate, filterShuffle, filterFletcher32:
		default:
			return unsupported("filter %s", fl)
		}
	}
	return nil
}

// unfilterer undoes the filters of chunks, reusing its inflater.
type unfilterer struct {
	filters []filter
	esize   int
	zr      io.ReadCloser
	buf     bytes.Buffer
}

// unfilter undoes the filters of a chunk, skipping those whose bit is set
// in mask. want is the size of the unfiltered chunk. The result may alias
// internal buffers until the next call.
func (u *unfilterer) unfilter(b []byte, mask uint32, want uint64) ([]byte, error) {
	for i := len(u.filters) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<i) != 0 {
			continue
		}
		switch fl := u.filters[i]; fl.id {
		case filterDeflate:
			var err error
			if u.zr == nil {
				u.zr, err = zlib.NewReader(bytes.NewReader(b))
			} else {
				err = u.zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
			}
			if err != nil {
				return nil, fmt.Errorf("deflate: %w", err)
			}
			u.buf.Reset()
			u.buf.Grow(int(min(want, 64*uint64(len(b))+4096)))
			if _, err := u.buf.ReadFrom(io.LimitReader(u.zr, int64(want)+1)); err != nil {
				return nil, fmt.Errorf("deflate: %w", err)
			}
			if uint64(u.buf.Len()) > want {
				return nil, fmt.Errorf("deflate: chunk inflates to more than %d bytes", want)
			}
			b = u.buf.Bytes()
		case filterShuffle:
			size := u.esize
			if len(fl.cdata) > 0 {
				size = int(fl.cdata[0])
			}
			b = unshuffle(b, size)
		case filterFletcher32:
			if len(b) < 4 {
				return nil, fmt.Errorf("fletcher32: chunk too short")
			}
			n := len(b) - 4
			stored, sum := binary.LittleEndian.Uint32(b[n:]), fletcher32(b[:n])
			swapped := sum>>24 | sum>>8&0xff00 | sum<<8&0xff0000 | sum<<24
			if stored != sum && stored != swapped {
				return nil, fmt.Errorf("fletcher32: checksum mismatch")
			}
			b = b[:n]
		default:
			return nil, unsupported("filter %s", fl)
		}
	}
	return b, nil
}

func unshuffle(b []byte, size int) []byte {
	if size <= 1 || len(b) < size {
		return b
	}
	n := len(b) / size
	out := make([]byte, len(b))
	for j := 0; j < size; j++ {
		src := b[j*n : (j+1)*n]
		for i, x := range src {
			out[i*size+j] = x
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}

// fletcher32 is H5_checksum_fletcher32.
func fletcher32(b []byte) uint32 {
	var sum1, sum2 uint32
	for len(b) >= 2 {
		n := min(len(b)/2, 360)
		for i := 0; i < n; i++ {
			sum1 += uint32(b[0])<<8 | uint32(b[1])
			sum2 += sum1
			b = b[2:]
		}
		sum1 = sum1&0xffff + sum1>>16
		sum2 = sum2&0xffff + sum2>>16
	}
	if len(b) == 1 {
		sum1 += uint32(b[0]) << 8
		sum2 += sum1
		sum1 = sum1&0xffff + sum1>>16
		sum2 = sum2&0xffff + sum2>>16
	}
	sum1 = sum1&0xffff + sum1>>16
	sum2 = sum2&0xffff + sum2>>16
	return sum2<<16 | sum1
}
