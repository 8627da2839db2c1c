package hdf5

import (
	"fmt"
)

// chunkRef locates one stored chunk.
type chunkRef struct {
	scaled []uint64 // chunk coordinates, in chunks
	addr   uint64
	size   uint64 // stored (filtered) size
	mask   uint32 // filters skipped
}

// readChunked assembles a chunked dataset of total bytes.
func (d *Dataset) readChunked(total uint64) ([]byte, error) {
	l, dims := d.layout, d.space.dims
	esize := uint64(d.dtype.Size)
	chunkBytes := esize
	for _, c := range l.chunk {
		var ok bool
		if chunkBytes, ok = mulCheck(chunkBytes, c); !ok || chunkBytes > maxDataBytes {
			return nil, fmt.Errorf("chunks of %v elements exceed the %d-byte limit", l.chunk, maxDataBytes)
		}
	}
	if err := checkFilters(d.filters); err != nil {
		return nil, err
	}
	out := d.filled(total)
	if l.addr == undef {
		return out, nil
	}
	u := &unfilterer{filters: d.filters, esize: d.dtype.Size}
	// A valid index lists each chunk of the grid once; bounding the count
	// and the bytes inflated stops corrupt indexes from repeating work.
	grid := chunkGrid(dims, l.chunk)
	nchunks := product(grid) // at most the element count
	budget := 2 * maxDataBytes
	err := d.chunks(chunkBytes, func(ch chunkRef) error {
		for i, s := range ch.scaled {
			if s >= grid[i] {
				return nil // beyond the current extent
			}
		}
		if nchunks == 0 {
			return fmt.Errorf("chunk index lists more chunks than the dataset has")
		}
		nchunks--
		var data []byte
		var err error
		if len(d.filters) == 0 {
			data, err = d.f.at(ch.addr, chunkBytes, "chunk")
		} else {
			if budget < chunkBytes {
				return fmt.Errorf("chunks inflate to more than %d bytes", 2*maxDataBytes)
			}
			budget -= chunkBytes
			if data, err = d.f.at(ch.addr, ch.size, "chunk"); err == nil {
				data, err = u.unfilter(data, ch.mask, chunkBytes)
			}
		}
		if err == nil && uint64(len(data)) != chunkBytes {
			err = fmt.Errorf("has %d bytes, want %d", len(data), chunkBytes)
		}
		if err != nil {
			return fmt.Errorf("chunk %v: %w", ch.scaled, err)
		}
		copyChunk(out, data, dims, l.chunk, ch.scaled, esize)
		return nil
	})
	return out, err
}

// copyChunk copies the part of a chunk inside the dataset extent into dst,
// one run along the last dimension at a time.
func copyChunk(dst, src []byte, dims, cdims, scaled []uint64, esize uint64) {
	rank := len(dims)
	start := make([]uint64, rank)
	ext := make([]uint64, rank)
	for i := range dims {
		start[i] = scaled[i] * cdims[i]
		ext[i] = min(cdims[i], dims[i]-start[i])
	}
	row := ext[rank-1] * esize
	idx := make([]uint64, rank) // position in the chunk; the last stays 0
	for {
		var so, do uint64
		for i := range dims {
			so = so*cdims[i] + idx[i]
			do = do*dims[i] + start[i] + idx[i]
		}
		copy(dst[do*esize:do*esize+row], src[so*esize:so*esize+row])
		i := rank - 2
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < ext[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

func product(v []uint64) uint64 {
	n := uint64(1)
	for _, x := range v {
		n, _ = mulCheck(n, x)
	}
	return n
}

// chunkGrid returns the number of chunks along each dimension for extent
// dims (unlimited dimensions give undef).
func chunkGrid(dims, cdims []uint64) []uint64 {
	g := make([]uint64, len(dims))
	for i, d := range dims {
		g[i] = d/cdims[i] + min(1, d%cdims[i])
		if d == undef {
			g[i] = undef
		}
	}
	return g
}

// unlinear converts a row-major linear index over grid into coordinates;
// the first coordinate is not bounded by the grid.
func unlinear(idx uint64, grid []uint64) []uint64 {
	c := make([]uint64, len(grid))
	for i := len(grid) - 1; i > 0; i-- {
		if grid[i] == 0 {
			return nil
		}
		c[i], idx = idx%grid[i], idx/grid[i]
	}
	if len(c) > 0 {
		c[0] = idx
	}
	return c
}

// maxGrid is the chunk grid over the maximum dimensions, which fixed and
// extensible array indexes and implicit storage are laid out by.
func (d *Dataset) maxGrid() []uint64 {
	if d.space.maxDims == nil {
		return chunkGrid(d.space.dims, d.layout.chunk)
	}
	return chunkGrid(d.space.maxDims, d.layout.chunk)
}

// chunks calls fn for every allocated chunk.
func (d *Dataset) chunks(chunkBytes uint64, fn func(chunkRef) error) error {
	f, l := d.f, d.layout
	rank := len(l.chunk)
	filtered := len(d.filters) > 0
	switch l.index {
	case indexBTreeV1:
		return f.walkBTreeV1(l.addr, 1, 8+8*(rank+1), func(key []byte, child uint64) error {
			c := f.cursor(key, l.addr, "chunk B-tree key")
			ch := chunkRef{addr: child, size: uint64(c.u32()), mask: c.u32(), scaled: make([]uint64, rank)}
			for i := range ch.scaled {
				off := c.u64()
				if off%l.chunk[i] != 0 {
					return fmt.Errorf("corrupt chunk B-tree at %#x: offset %d not a multiple of chunk size %d", l.addr, off, l.chunk[i])
				}
				ch.scaled[i] = off / l.chunk[i]
			}
			return fn(ch)
		})
	case indexSingle:
		ch := chunkRef{scaled: make([]uint64, rank), addr: l.addr, size: l.singleSize, mask: l.singleMask}
		return fn(ch)
	case indexImplicit:
		grid, maxGrid := chunkGrid(d.space.dims, l.chunk), d.maxGrid()
		for i, n := uint64(0), product(grid); i < n; i++ {
			coords := unlinear(i, grid)
			var idx uint64
			for k, c := range coords {
				idx = idx*maxGrid[k] + c
			}
			off, ok := mulCheck(idx, chunkBytes)
			if !ok || l.addr+off < off {
				return fmt.Errorf("implicit chunk index out of range")
			}
			if err := fn(chunkRef{scaled: coords, addr: l.addr + off}); err != nil {
				return err
			}
		}
		return nil
	case indexFixed:
		return d.fixedArrayChunks(fn)
	case indexExtArray:
		return d.extArrayChunks(fn)
	case indexBTreeV2:
		typ := 10
		if filtered {
			typ = 11
		}
		return f.walkBTreeV2(l.addr, typ, func(rec []byte) error {
			c := f.cursor(rec, l.addr, "chunk v2 B-tree record")
			ch := chunkRef{addr: c.addr(), scaled: make([]uint64, rank)}
			if filtered {
				ch.size = c.uvar(len(rec) - f.offSize - 4 - 8*rank)
				ch.mask = c.u32()
			}
			for i := range ch.scaled {
				ch.scaled[i] = c.u64()
			}
			if c.err != nil {
				return c.err
			}
			return fn(ch)
		})
	}
	return unsupported("chunk index type %d", l.index)
}

// arrayElems decodes n fixed or extensible array chunk entries, the first
// with linear index first over grid, and passes the allocated ones to fn.
// unlim is the unlimited dimension of an extensible array, which its
// linear indexes put first.
func (d *Dataset) arrayElems(c *cursor, n, elemSize, first uint64, grid []uint64, unlim int, fn func(chunkRef) error) error {
	for i := uint64(0); i < n; i++ {
		ch := chunkRef{addr: c.addr()}
		if len(d.filters) > 0 {
			ch.size = c.uvar(int(elemSize) - d.f.offSize - 4)
			ch.mask = c.u32()
		}
		if c.err != nil {
			return c.err
		}
		if ch.scaled = unlinear(first+i, grid); ch.addr == undef || ch.scaled == nil {
			continue
		}
		if unlim > 0 { // move the unlimited dimension back in place
			u := ch.scaled[0]
			copy(ch.scaled, ch.scaled[1:unlim+1])
			ch.scaled[unlim] = u
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dataset) checkElemSize(elemSize uint64, addr uint64) error {
	want := uint64(d.f.offSize)
	if len(d.filters) > 0 {
		want += 5 // at least one byte of size, and the filter mask
	}
	if elemSize < want || elemSize > uint64(d.f.offSize)+12 {
		return fmt.Errorf("corrupt chunk index at %#x: element size %d", addr, elemSize)
	}
	return nil
}

func (d *Dataset) fixedArrayChunks(fn func(chunkRef) error) error {
	f, hdr, o := d.f, d.layout.addr, uint64(d.f.offSize)
	c, err := f.cursorAt(hdr, "FAHD", "fixed array header")
	if err != nil {
		return err
	}
	c.skip(2) // version, client ID
	esz, pageBits := uint64(c.u8()), c.u8()
	n, dblk := c.length(), c.addr()
	if err := c.verify(); err != nil {
		return err
	}
	if err := d.checkElemSize(esz, hdr); err != nil {
		return err
	}
	if pageBits > 32 || n > uint64(len(f.data))*8 {
		return fmt.Errorf("corrupt fixed array header at %#x", hdr)
	}
	if dblk == undef {
		return nil
	}
	grid := d.maxGrid()
	prefix := 4 + 2 + o
	pageN := uint64(1) << pageBits
	if n <= pageN { // elements stored in the data block itself
		if n > uint64(len(f.data))/esz {
			return truncated("fixed array data block", dblk, len(f.data))
		}
		c, err := f.block(dblk, prefix+n*esz+4, "FADB", "fixed array data block")
		if err != nil {
			return err
		}
		c.skip(prefix - 4)
		return d.arrayElems(c, n, esz, 0, grid, 0, fn)
	}
	// Paged: a bitmap of initialized pages, then the pages, each with its
	// own checksum.
	npages := n/pageN + min(1, n%pageN)
	c, err = f.block(dblk, prefix+(npages+7)/8+4, "FADB", "fixed array data block")
	if err != nil {
		return err
	}
	c.skip(prefix - 4)
	bitmap := c.bytes((npages + 7) / 8)
	pageAddr := dblk + uint64(len(c.b))
	for p := uint64(0); p < npages; p++ {
		count := min(pageN, n-p*pageN)
		if bitmap[p/8]&(0x80>>(p%8)) != 0 {
			pc, err := f.block(pageAddr, count*esz+4, "", "fixed array page")
			if err != nil {
				return err
			}
			if err := d.arrayElems(pc, count, esz, p*pageN, grid, 0, fn); err != nil {
				return err
			}
		}
		pageAddr += count*esz + 4
	}
	return nil
}

func (d *Dataset) extArrayChunks(fn func(chunkRef) error) error {
	f, hdr, o := d.f, d.layout.addr, uint64(d.f.offSize)
	c, err := f.cursorAt(hdr, "EAHD", "extensible array header")
	if err != nil {
		return err
	}
	c.skip(2) // version, client ID
	esz, maxBits, idxElems := uint64(c.u8()), int(c.u8()), uint64(c.u8())
	minElems, minPtrs, pageBits := uint64(c.u8()), uint64(c.u8()), c.u8()
	c.skip(6 * uint64(f.lenSize)) // statistics
	iblk := c.addr()
	if err := c.verify(); err != nil {
		return err
	}
	if err := d.checkElemSize(esz, hdr); err != nil {
		return err
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if maxBits == 0 || maxBits > 64 || !pow2(minElems) || !pow2(minPtrs) || minPtrs < 2 ||
		pageBits > 32 || log2(minElems) > maxBits {
		return fmt.Errorf("corrupt extensible array header at %#x", hdr)
	}
	if iblk == undef {
		return nil
	}

	// Super block s holds ndblks data blocks of nelmts elements each, the
	// first element having index start (H5EA__hdr_init).
	type sblkInfo struct{ ndblks, nelmts, start uint64 }
	info := make([]sblkInfo, 1+maxBits-log2(minElems))
	var start uint64
	for s := range info {
		info[s] = sblkInfo{1 << (s / 2), (1 << ((s + 1) / 2)) * minElems, start}
		start += info[s].ndblks * info[s].nelmts // wraps only past any real file
	}

	// Linear indexes put the unlimited dimension first.
	grid, unlim := d.maxGrid(), 0
	for i, m := range d.space.maxDims {
		if m == undef {
			unlim = i
			break
		}
	}
	grid = append(append([]uint64{grid[unlim]}, grid[:unlim]...), grid[unlim+1:]...)

	offBytes := uint64(maxBits+7) / 8
	dataBlock := func(addr uint64, s int, k uint64) error {
		if addr == undef {
			return nil
		}
		n := info[s].nelmts
		if n > uint64(1)<<pageBits {
			return unsupported("paged extensible array data block at %#x", addr)
		}
		c, err := f.block(addr, 6+o+offBytes+n*esz+4, "EADB", "extensible array data block")
		if err != nil {
			return err
		}
		c.skip(2 + o + offBytes)
		return d.arrayElems(c, n, esz, idxElems+info[s].start+k*n, grid, unlim, fn)
	}

	// Index block: elements, data block addresses for the first super
	// blocks, then super block addresses.
	ibSblks := 2 * log2(minPtrs)
	ndblk := 2 * (minPtrs - 1)
	nsblk := uint64(max(0, len(info)-ibSblks))
	c, err = f.block(iblk, 6+o+idxElems*esz+(ndblk+nsblk)*o+4, "EAIB", "extensible array index block")
	if err != nil {
		return err
	}
	c.skip(2 + o)
	if err := d.arrayElems(c, idxElems, esz, 0, grid, unlim, fn); err != nil {
		return err
	}
	s, k := 0, uint64(0)
	for i := uint64(0); i < ndblk && s < len(info); i++ {
		if err := dataBlock(c.addr(), s, k); err != nil {
			return err
		}
		if k++; k == info[s].ndblks {
			s, k = s+1, 0
		}
	}
	for j := 0; j < int(nsblk); j++ {
		s := ibSblks + j
		addr := c.addr()
		if addr == undef {
			continue
		}
		if info[s].nelmts > uint64(1)<<pageBits {
			return unsupported("paged extensible array data blocks in super block at %#x", addr)
		}
		sc, err := f.block(addr, 6+o+offBytes+info[s].ndblks*o+4, "EASB", "extensible array super block")
		if err != nil {
			return err
		}
		sc.skip(2 + o + offBytes)
		for k := uint64(0); k < info[s].ndblks; k++ {
			if err := dataBlock(sc.addr(), s, k); err != nil {
				return err
			}
		}
	}
	return c.err
}
