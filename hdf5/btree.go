package hdf5

import (
	"fmt"
)

const maxTreeDepth = 64

// walkBTreeV1 calls fn for every entry of the leaf (level 0) nodes of the
// version 1 B-tree at addr: the key before the entry and its child address.
// nodeType is 0 for group trees and 1 for chunk trees.
func (f *File) walkBTreeV1(addr uint64, nodeType, keySize int, fn func(key []byte, child uint64) error) error {
	seen := map[uint64]bool{}
	// Entries cannot overlap in a valid file, which bounds the total work.
	budget := len(f.data)/(keySize+f.offSize) + 1
	var walk func(addr uint64, level, depth int) error
	walk = func(addr uint64, level, depth int) error {
		if depth > maxTreeDepth {
			return fmt.Errorf("B-tree at %#x is deeper than %d levels", addr, maxTreeDepth)
		}
		if seen[addr] {
			return fmt.Errorf("B-tree node at %#x is referenced twice", addr)
		}
		seen[addr] = true
		c, err := f.cursorAt(addr, "TREE", "B-tree node")
		if err != nil {
			return err
		}
		typ, lvl, n := int(c.u8()), int(c.u8()), int(c.u16())
		c.addr() // left sibling
		c.addr() // right sibling
		if c.err != nil {
			return c.err
		}
		if typ != nodeType {
			return fmt.Errorf("corrupt B-tree node at %#x: type %d, want %d", addr, typ, nodeType)
		}
		if level >= 0 && lvl != level {
			return fmt.Errorf("corrupt B-tree node at %#x: level %d, want %d", addr, lvl, level)
		}
		if budget -= n; budget < 0 {
			return fmt.Errorf("corrupt B-tree at %#x: more entries than the file can hold", addr)
		}
		for i := 0; i < n; i++ {
			key := c.bytes(uint64(keySize))
			child := c.addr()
			if c.err != nil {
				return c.err
			}
			if lvl == 0 {
				err = fn(key, child)
			} else {
				err = walk(child, lvl-1, depth+1)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, -1, 0)
}

// walkBTreeV2 calls fn for every record of the version 2 B-tree at addr,
// which must be of type wantType. Records are visited in no particular
// order.
func (f *File) walkBTreeV2(addr uint64, wantType int, fn func(rec []byte) error) error {
	c, err := f.cursorAt(addr, "BTHD", "v2 B-tree header")
	if err != nil {
		return err
	}
	version, typ := c.u8(), int(c.u8())
	nodeSize := uint64(c.u32())
	recSize := uint64(c.u16())
	depth := int(c.u16())
	c.skip(2) // split and merge percents
	root := c.addr()
	rootN := uint64(c.u16())
	c.length() // total records
	if err := c.verify(); err != nil {
		return err
	}
	if version != 0 {
		return fmt.Errorf("v2 B-tree at %#x: unknown version %d", addr, version)
	}
	if typ != wantType {
		return fmt.Errorf("v2 B-tree at %#x has type %d, want %d", addr, typ, wantType)
	}
	if recSize == 0 || nodeSize < 10+recSize || depth > maxTreeDepth/2 {
		return fmt.Errorf("corrupt v2 B-tree header at %#x", addr)
	}
	if root == undef {
		return nil
	}
	// Node capacities per level (H5B2__hdr_init).
	maxRec := make([]uint64, depth+1)
	cumSize := make([]int, depth+1)
	maxRec[0] = (nodeSize - 10) / recSize
	cum := maxRec[0]
	nrecSize := encSize(maxRec[0])
	ptrSize := func(d int) uint64 {
		p := uint64(f.offSize + nrecSize)
		if d > 1 {
			p += uint64(cumSize[d-1])
		}
		return p
	}
	for d := 1; d <= depth; d++ {
		p := ptrSize(d)
		if nodeSize < 10+p {
			return fmt.Errorf("corrupt v2 B-tree header at %#x: node size too small", addr)
		}
		maxRec[d] = (nodeSize - 10 - p) / (recSize + p)
		next, ok1 := mulCheck(maxRec[d]+1, cum)
		if next += maxRec[d]; !ok1 || next < maxRec[d] {
			next = undef
		}
		cum = next
		cumSize[d] = encSize(cum)
	}

	seen := map[uint64]bool{}
	budget := uint64(len(f.data))/recSize + 1
	var walk func(addr, n uint64, d int) error
	walk = func(addr, n uint64, d int) error {
		if seen[addr] {
			return fmt.Errorf("v2 B-tree node at %#x is referenced twice", addr)
		}
		seen[addr] = true
		if n > maxRec[d] {
			return fmt.Errorf("corrupt v2 B-tree node at %#x: %d records, at most %d fit", addr, n, maxRec[d])
		}
		if budget < n {
			return fmt.Errorf("corrupt v2 B-tree at %#x: more records than the file can hold", addr)
		}
		budget -= n
		size := 6 + n*recSize + 4
		sig := "BTLF"
		if d > 0 {
			size += (n + 1) * ptrSize(d)
			sig = "BTIN"
		}
		c, err := f.block(addr, size, sig, "v2 B-tree node")
		if err != nil {
			return err
		}
		c.skip(2) // version, type
		for i := uint64(0); i < n; i++ {
			if err := fn(c.bytes(recSize)); err != nil {
				return err
			}
		}
		if d == 0 {
			return c.err
		}
		for i := uint64(0); i <= n; i++ {
			child := c.addr()
			cn := c.uvar(nrecSize)
			if d > 1 {
				c.uvar(cumSize[d-1])
			}
			if c.err != nil {
				return c.err
			}
			if err := walk(child, cn, d-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, rootN, depth)
}
