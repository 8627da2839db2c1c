package hdf5

import (
	"bytes"
	"fmt"
)

// localHeap returns the data segment of the local heap at addr.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	c, err := f.cursorAt(addr, "HEAP", "local heap")
	if err != nil {
		return nil, err
	}
	version := c.u8()
	c.skip(3)
	size := c.length()
	c.length() // free list offset
	data := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	if version != 0 {
		return nil, fmt.Errorf("local heap at %#x: unknown version %d", addr, version)
	}
	return f.at(data, size, "local heap data")
}

// heapString returns the NUL-terminated string at off in a local heap.
func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", fmt.Errorf("local heap offset %d out of range (heap size %d)", off, len(heap))
	}
	end := bytes.IndexByte(heap[off:], 0)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at local heap offset %d", off)
	}
	return string(heap[off : off+uint64(end)]), nil
}

// globalHeapObject returns object index of the global heap collection at
// addr.
func (f *File) globalHeapObject(addr uint64, index uint32) ([]byte, error) {
	f.mu.Lock()
	objs, ok := f.gheaps[addr]
	f.mu.Unlock()
	if !ok {
		var err error
		if objs, err = f.readGlobalHeap(addr); err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.gheaps[addr] = objs
		f.mu.Unlock()
	}
	obj, ok := objs[uint16(index)]
	if !ok || index > 0xffff {
		return nil, fmt.Errorf("global heap collection at %#x has no object %d", addr, index)
	}
	return obj, nil
}

func (f *File) readGlobalHeap(addr uint64) (map[uint16][]byte, error) {
	c, err := f.cursorAt(addr, "GCOL", "global heap collection")
	if err != nil {
		return nil, err
	}
	version := c.u8()
	c.skip(3)
	size := c.length()
	if c.err != nil {
		return nil, c.err
	}
	if version != 1 {
		return nil, fmt.Errorf("global heap collection at %#x: unknown version %d", addr, version)
	}
	blk, err := f.at(addr, size, "global heap collection")
	if err != nil {
		return nil, err
	}
	objs := map[uint16][]byte{}
	c = f.cursor(blk, addr, "global heap collection")
	// The collection and object headers are padded to multiples of 8.
	hdrSize := uint64(8+f.lenSize+7) &^ 7
	c.skip(hdrSize)
	for uint64(len(blk)-c.p) >= hdrSize {
		index := c.u16()
		c.skip(6) // reference count, reserved
		n := c.length()
		c.skip(hdrSize - uint64(8+f.lenSize))
		if index == 0 { // free space: the rest of the collection
			break
		}
		objs[index] = c.bytes(n)
		c.skip(min((8-n%8)%8, uint64(len(blk)-c.p)))
		if c.err != nil {
			return nil, c.err
		}
	}
	return objs, nil
}

// fractalHeap is a parsed fractal heap header.
type fractalHeap struct {
	f           *File
	addr        uint64
	idLen       int
	maxManaged  uint64
	hugeBTree   uint64
	width       uint64
	startBlock  uint64
	maxDirect   uint64
	rootAddr    uint64
	rootRows    int
	offSize     int // heap offset bytes in IDs and block headers
	lenSize     int // object length bytes in managed IDs
	maxDirRows  int
	firstBits   int // log2(startBlock * width)
	dblockCksum bool
}

func (f *File) fractalHeap(addr uint64) (*fractalHeap, error) {
	c, err := f.cursorAt(addr, "FRHP", "fractal heap header")
	if err != nil {
		return nil, err
	}
	h := &fractalHeap{f: f, addr: addr}
	version := c.u8()
	h.idLen = int(c.u16())
	filterLen := c.u16()
	flags := c.u8()
	h.maxManaged = uint64(c.u32())
	c.length() // next huge ID
	h.hugeBTree = c.addr()
	c.length() // free space
	c.addr()   // free-space manager
	for i := 0; i < 8; i++ {
		c.length() // managed space, allocated, iterator offset, object counts and sizes
	}
	h.width = uint64(c.u16())
	h.startBlock = c.length()
	h.maxDirect = c.length()
	maxHeapBits := int(c.u16())
	c.u16() // starting rows in root indirect block
	h.rootAddr = c.addr()
	h.rootRows = int(c.u16())
	if c.err != nil {
		return nil, c.err
	}
	if filterLen > 0 {
		return nil, unsupported("filtered fractal heap at %#x", addr)
	}
	if err := c.verify(); err != nil {
		return nil, err
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if version != 0 || !pow2(h.width) || !pow2(h.startBlock) || !pow2(h.maxDirect) ||
		h.maxDirect < h.startBlock || maxHeapBits == 0 || maxHeapBits > 64 || h.idLen < 1 ||
		log2(h.startBlock)+log2(h.width) >= maxHeapBits || h.rootRows > maxHeapBits {
		return nil, fmt.Errorf("corrupt fractal heap header at %#x", addr)
	}
	h.dblockCksum = flags&0x02 != 0
	h.offSize = (maxHeapBits + 7) / 8
	h.lenSize = min((log2(h.maxDirect)+7)/8, encSize(h.maxManaged))
	h.maxDirRows = log2(h.maxDirect) - log2(h.startBlock) + 2
	h.firstBits = log2(h.startBlock) + log2(h.width)
	return h, nil
}

// rowBlockSize is the size of the blocks in row r of the doubling table.
// It is 0 for rows beyond the addressable range.
func (h *fractalHeap) rowBlockSize(r int) uint64 {
	if r == 0 {
		return h.startBlock
	}
	if r-1+log2(h.startBlock) >= 63 {
		return 0
	}
	return h.startBlock << (r - 1)
}

// get returns the object with heap ID id.
func (h *fractalHeap) get(id []byte) ([]byte, error) {
	if len(id) < h.idLen {
		return nil, fmt.Errorf("fractal heap at %#x: heap ID of %d bytes, want %d", h.addr, len(id), h.idLen)
	}
	id = id[:h.idLen]
	c := h.f.cursor(id, h.addr, "fractal heap ID")
	flags := c.u8()
	if flags&0xc0 != 0 {
		return nil, fmt.Errorf("fractal heap at %#x: unknown heap ID version %d", h.addr, flags>>6)
	}
	switch (flags >> 4) & 3 {
	case 0: // managed
		off, n := c.uvar(h.offSize), c.uvar(h.lenSize)
		if c.err != nil {
			return nil, c.err
		}
		return h.managed(off, n)
	case 1: // huge
		return h.huge(id[1:])
	case 2: // tiny
		n := int(flags&0x0f) + 1
		if h.idLen > 18 {
			n = int(flags&0x0f)<<8 | int(c.u8()) + 1
		}
		b := c.bytes(uint64(n))
		return b, c.err
	}
	return nil, fmt.Errorf("fractal heap at %#x: unknown heap ID type", h.addr)
}

// managed returns the object of length n at heap offset off.
func (h *fractalHeap) managed(off, n uint64) ([]byte, error) {
	blockAddr, blockOff, blockSize := h.rootAddr, uint64(0), h.startBlock
	nrows := h.rootRows
	for depth := 0; nrows > 0; depth++ {
		if depth > maxTreeDepth {
			return nil, fmt.Errorf("fractal heap at %#x: indirect blocks nested too deep", h.addr)
		}
		// Locate the row and column of off within this indirect block.
		rel := off - blockOff
		row := 0
		if rel >= h.startBlock*h.width {
			row = log2(rel) - h.firstBits + 1
		}
		if row >= nrows || h.rowBlockSize(row) == 0 {
			return nil, fmt.Errorf("fractal heap at %#x: offset %d outside indirect block at %#x", h.addr, off, blockAddr)
		}
		col := (rel - h.rowBlockOff(row)) / h.rowBlockSize(row)
		if col >= h.width {
			return nil, fmt.Errorf("fractal heap at %#x: offset %d outside indirect block at %#x", h.addr, off, blockAddr)
		}
		ndirect := min(nrows, h.maxDirRows)
		size := uint64(4+1+h.f.offSize+h.offSize) + uint64(nrows)*h.width*uint64(h.f.offSize) + 4
		c, err := h.f.block(blockAddr, size, "FHIB", "fractal heap indirect block")
		if err != nil {
			return nil, err
		}
		c.skip(uint64(1 + h.f.offSize + h.offSize))
		c.skip((uint64(row)*h.width + col) * uint64(h.f.offSize))
		child := c.addr()
		if c.err != nil {
			return nil, c.err
		}
		blockOff += h.rowBlockOff(row) + col*h.rowBlockSize(row)
		blockSize = h.rowBlockSize(row)
		blockAddr = child
		if row < ndirect {
			nrows = 0
		} else {
			nrows = log2(blockSize) - h.firstBits + 1
		}
	}
	if blockAddr == undef {
		return nil, fmt.Errorf("fractal heap at %#x: offset %d is in an unallocated block", h.addr, off)
	}
	blk, err := h.f.at(blockAddr, blockSize, "fractal heap direct block")
	if err != nil {
		return nil, err
	}
	c := h.f.cursor(blk, blockAddr, "fractal heap direct block")
	c.signature("FHDB")
	c.skip(uint64(1 + h.f.offSize))
	if got := c.uvar(h.offSize); c.err == nil && got != blockOff {
		return nil, fmt.Errorf("corrupt fractal heap direct block at %#x: block offset %d, want %d", blockAddr, got, blockOff)
	}
	hdr := uint64(c.p)
	if h.dblockCksum {
		hdr += 4
	}
	rel := off - blockOff
	if c.err != nil || rel < hdr || rel > blockSize || n > blockSize-rel {
		return nil, fmt.Errorf("fractal heap at %#x: object at offset %d (length %d) outside its direct block", h.addr, off, n)
	}
	return blk[rel : rel+n], nil
}

func (h *fractalHeap) rowBlockOff(r int) uint64 {
	if r == 0 {
		return 0
	}
	return 1 << (h.firstBits + r - 1)
}

// huge returns a huge object given the part of its heap ID after the flags.
func (h *fractalHeap) huge(id []byte) ([]byte, error) {
	f := h.f
	if len(id) >= f.offSize+f.lenSize { // address and length stored in the ID
		c := f.cursor(id, h.addr, "fractal heap ID")
		addr, n := c.addr(), c.length()
		if c.err != nil {
			return nil, c.err
		}
		return f.at(addr, n, "fractal heap huge object")
	}
	want := leUint(id[:min(len(id), 8)])
	var obj []byte
	found := false
	err := f.walkBTreeV2(h.hugeBTree, 1, func(rec []byte) error {
		c := f.cursor(rec, h.hugeBTree, "huge object record")
		addr, n, hid := c.addr(), c.length(), c.length()
		if c.err != nil {
			return c.err
		}
		if hid == want && !found {
			found = true
			var err error
			obj, err = f.at(addr, n, "fractal heap huge object")
			return err
		}
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("fractal heap at %#x: no huge object %d", h.addr, want)
	}
	return obj, err
}
