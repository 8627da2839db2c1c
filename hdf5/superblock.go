package hdf5

import (
	"fmt"
	"os"
	"sync"
)

// maxDataBytes bounds the memory allocated for one dataset or chunk read.
var maxDataBytes uint64 = 1 << 31

const signature = "\x89HDF\r\n\x1a\n"

// File is an HDF5 file held in memory. It is safe for concurrent use.
type File struct {
	data      []byte
	base      uint64 // absolute position of the superblock
	offSize   int    // size of file addresses
	lenSize   int    // size of lengths
	sbVersion int
	rootAddr  uint64

	mu      sync.Mutex
	headers map[uint64]*objHeader
	links   map[uint64][]link
	gheaps  map[uint64]map[uint16][]byte
}

// OpenFile reads the whole file at path and opens it.
func OpenFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hdf5: %w", err)
	}
	f, err := Open(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return f, nil
}

// Open parses the superblock of an HDF5 file held in data. The file must
// not be modified while in use.
func Open(data []byte) (*File, error) {
	f := &File{
		data:    data,
		headers: map[uint64]*objHeader{},
		links:   map[uint64][]link{},
		gheaps:  map[uint64]map[uint16][]byte{},
	}
	// The superblock is at 0 or, after a user block, at 512, 1024, 2048...
	found := false
	for off := 0; off+len(signature) <= len(data); off = max(512, 2*off) {
		if string(data[off:off+len(signature)]) == signature {
			f.base, found = uint64(off), true
			break
		}
	}
	if !found {
		return nil, &Error{Err: fmt.Errorf("not an HDF5 file (no superblock signature)")}
	}
	if err := f.readSuperblock(); err != nil {
		return nil, &Error{Err: err}
	}
	if _, err := f.header(f.rootAddr); err != nil {
		return nil, &Error{Path: "/", Err: err}
	}
	return f, nil
}

func (f *File) readSuperblock() error {
	c, _ := f.cursorAt(0, "", "superblock")
	c.skip(8)
	f.sbVersion = int(c.u8())
	var eof uint64
	switch f.sbVersion {
	case 0, 1:
		c.skip(4) // free-space, root group entry, reserved, shared header versions
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		c.skip(1 + 2 + 2 + 4) // reserved, group leaf/internal K, flags
		if f.sbVersion == 1 {
			c.skip(4) // indexed storage K, reserved
		}
		if err := f.checkSizes(c); err != nil {
			return err
		}
		c.addr() // base address: the superblock position is used instead
		c.addr() // free-space info
		eof = c.addr()
		c.addr()              // driver info block
		c.addr()              // root group entry: link name offset
		f.rootAddr = c.addr() // root object header
		c.skip(4 + 4 + 16)    // cache type, reserved, scratch pad
		if c.err != nil {
			return c.err
		}
	case 2, 3:
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		c.skip(1) // flags
		if err := f.checkSizes(c); err != nil {
			return err
		}
		c.addr() // base address
		c.addr() // superblock extension
		eof = c.addr()
		f.rootAddr = c.addr()
		if err := c.verify(); err != nil {
			return err
		}
	default:
		return unsupported("superblock version %d", f.sbVersion)
	}
	// The end-of-file address counts the user block (it is absolute).
	if eof != undef && eof > uint64(len(f.data)) {
		return fmt.Errorf("%w: end of file address %#x is past the end of the file (size %d)", ErrTruncated, eof, len(f.data))
	}
	return nil
}

func (f *File) checkSizes(c *cursor) error {
	if c.err != nil {
		return c.err
	}
	for _, s := range []int{f.offSize, f.lenSize} {
		if s != 2 && s != 4 && s != 8 {
			return fmt.Errorf("corrupt superblock: unsupported size of offsets/lengths %d", s)
		}
	}
	return nil
}

// SuperblockVersion returns the version of the superblock (0 to 3).
func (f *File) SuperblockVersion() int { return f.sbVersion }

// Root returns the root group "/".
func (f *File) Root() *Group { return &Group{f: f, path: "/", addr: f.rootAddr} }
