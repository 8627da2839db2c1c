package hdf5

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// undef is the undefined address (all bits set in the file).
const undef = ^uint64(0)

// at returns the n bytes at file address addr. Addresses are relative to the
// base address (the superblock position).
func (f *File) at(addr, n uint64, what string) ([]byte, error) {
	if addr == undef {
		return nil, fmt.Errorf("%s has an undefined address", what)
	}
	size := uint64(len(f.data))
	abs := addr + f.base
	if abs < addr || abs > size || n > size-abs {
		return nil, truncated(what, addr, len(f.data))
	}
	return f.data[abs : abs+n : abs+n], nil
}

// from returns the bytes from addr to the end of the file, for structures
// whose length is only known after parsing their start.
func (f *File) from(addr uint64, what string) ([]byte, error) {
	size := uint64(len(f.data))
	if addr == undef || addr+f.base < addr || addr+f.base >= size {
		return f.at(addr, 1, what) // produces the right error
	}
	return f.data[addr+f.base:], nil
}

// cursor decodes little-endian fields from a byte slice. The first
// out-of-range read sets err; later reads return zero values, so callers
// check err once after a group of reads.
type cursor struct {
	f    *File
	b    []byte
	p    int
	what string
	pos  uint64 // file address of b, for messages
	eof  bool   // b ends at the end of the file
	err  error
}

// cursor decodes the block b, which was read at addr.
func (f *File) cursor(b []byte, addr uint64, what string) *cursor {
	return &cursor{f: f, b: b, what: what, pos: addr}
}

// cursorAt decodes from addr to the end of the file, after checking the
// 4-byte signature sig (unless empty).
func (f *File) cursorAt(addr uint64, sig, what string) (*cursor, error) {
	b, err := f.from(addr, what)
	if err != nil {
		return nil, err
	}
	c := &cursor{f: f, b: b, what: what, pos: addr, eof: true}
	if sig != "" {
		c.signature(sig)
	}
	return c, c.err
}

// block returns a cursor over the size bytes at addr, after checking their
// signature (unless empty) and their trailing checksum.
func (f *File) block(addr, size uint64, sig, what string) (*cursor, error) {
	b, err := f.at(addr, size, what)
	if err != nil {
		return nil, err
	}
	if len(b) < len(sig)+4 {
		return nil, fmt.Errorf("corrupt %s at %#x: %d bytes long", what, addr, len(b))
	}
	c := f.cursor(b, addr, what)
	if sig != "" {
		if c.signature(sig); c.err != nil {
			return nil, c.err
		}
	}
	return c, checksum(b, what, addr)
}

// verify reads a checksum field and checks it against all bytes before it.
func (c *cursor) verify() error {
	if c.skip(4); c.err != nil {
		return c.err
	}
	return checksum(c.b[:c.p], c.what, c.pos)
}

// name describes the decoded structure for error messages.
func (c *cursor) name() string {
	if c.pos == undef {
		return c.what
	}
	return fmt.Sprintf("%s at %#x", c.what, c.pos)
}

func (c *cursor) need(n uint64) bool {
	if c.err != nil {
		return false
	}
	if n > uint64(len(c.b)-c.p) {
		if c.eof {
			c.err = truncated(c.what, c.pos, len(c.f.data))
		} else {
			c.err = fmt.Errorf("corrupt %s: field at offset %d runs past its end (%d bytes)", c.name(), c.p, len(c.b))
		}
		return false
	}
	return true
}

func (c *cursor) bytes(n uint64) []byte {
	if !c.need(n) {
		return nil
	}
	b := c.b[c.p : c.p+int(n) : c.p+int(n)]
	c.p += int(n)
	return b
}

func (c *cursor) skip(n uint64) { c.bytes(n) }

func (c *cursor) u8() uint8 {
	if !c.need(1) {
		return 0
	}
	c.p++
	return c.b[c.p-1]
}

func (c *cursor) u16() uint16 { return uint16(c.uvar(2)) }
func (c *cursor) u32() uint32 { return uint32(c.uvar(4)) }
func (c *cursor) u64() uint64 { return c.uvar(8) }

// uvar reads an n-byte little-endian unsigned integer (n <= 8).
func (c *cursor) uvar(n int) uint64 {
	if n < 0 || n > 8 {
		if c.err == nil {
			c.err = fmt.Errorf("corrupt %s: %d-byte integer field", c.name(), n)
		}
		return 0
	}
	return leUint(c.bytes(uint64(n)))
}

// addr reads a file address (size of offsets bytes); all-ones is undef.
func (c *cursor) addr() uint64 {
	b := c.bytes(uint64(c.f.offSize))
	if b == nil {
		return undef
	}
	return decodeAddr(b)
}

// length reads a size of lengths field.
func (c *cursor) length() uint64 { return c.uvar(c.f.lenSize) }

// signature checks a 4-byte block signature.
func (c *cursor) signature(sig string) {
	b := c.bytes(4)
	if c.err == nil && string(b) != sig {
		c.err = fmt.Errorf("corrupt %s: signature %q, want %q", c.name(), b, sig)
	}
}

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("corrupt %s: %s", c.name(), fmt.Sprintf(format, args...))
	}
}

func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func decodeAddr(b []byte) uint64 {
	for _, x := range b {
		if x != 0xff {
			return leUint(b)
		}
	}
	return undef
}

// verifyChecksums is turned off by the fuzz test only, so that the fuzzer
// reaches the structures behind checksums: the parsers must stand corrupt
// data with a valid checksum as well.
var verifyChecksums = true

// checksum verifies the Jenkins lookup3 checksum stored in the last four
// bytes of b.
func checksum(b []byte, what string, addr uint64) error {
	if len(b) < 4 {
		return fmt.Errorf("corrupt %s at %#x: too short for a checksum", what, addr)
	}
	n := len(b) - 4
	if got, want := lookup3(b[:n]), binary.LittleEndian.Uint32(b[n:]); got != want && verifyChecksums {
		return fmt.Errorf("corrupt %s at %#x: checksum mismatch (stored %#08x, computed %#08x)", what, addr, want, got)
	}
	return nil
}

// lookup3 is Bob Jenkins' hashlittle with initval 0, the HDF5 metadata
// checksum.
func lookup3(k []byte) uint32 {
	a := 0xdeadbeef + uint32(len(k))
	b, c := a, a
	rot := bits.RotateLeft32
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		a -= c
		a ^= rot(c, 4)
		c += b
		b -= a
		b ^= rot(a, 6)
		a += c
		c -= b
		c ^= rot(b, 8)
		b += a
		a -= c
		a ^= rot(c, 16)
		c += b
		b -= a
		b ^= rot(a, 19)
		a += c
		c -= b
		c ^= rot(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var t [12]byte
	copy(t[:], k)
	a += binary.LittleEndian.Uint32(t[:])
	b += binary.LittleEndian.Uint32(t[4:])
	c += binary.LittleEndian.Uint32(t[8:])
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return c
}

// mulCheck multiplies with overflow detection.
func mulCheck(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}

// log2 returns floor(log2(v)) for v > 0.
func log2(v uint64) int { return bits.Len64(v) - 1 }

// encSize is the number of bytes needed to encode v (H5VM_limit_enc_size).
func encSize(v uint64) int { return log2(v|1)/8 + 1 }
