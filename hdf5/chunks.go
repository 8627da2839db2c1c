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
	l := d.layout
	dims := d.space.dims
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
	nchunks := uint64(1)
	for _, g := range grid {
		nchunks, _ = mulCheck(nchunks, g) // at most the element count
	}
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
		if len(d.filters) > 0 {
			if budget < chunkBytes {
				return fmt.Errorf("chunks inflate to more than %d bytes", 2*maxDataBytes)
			}
			budget -= chunkBytes
		}
		var data []byte
		var err error
		if len(d.filters) == 0 {
			data, err = d.f.at(ch.addr, chunkBytes, "chunk")
		} else if data, err = d.f.at(ch.addr, ch.size, "chunk"); err == nil {
			data, err = u.unfilter(data, ch.mask, chunkBytes)
		}
		if err != nil {
			return fmt.Errorf("chunk %v: %w", ch.scaled, err)
		}
		if uint64(len(data)) != chunkBytes {
			return fmt.Errorf("chunk %v has %d bytes, want %d", ch.scaled, len(data), chunkBytes)
		}
		copyChunk(out, data, dims, l.chunk, ch.scaled, esize)
		return nil
	})
	return out, err
}

// copyChunk copies the part of a chunk inside the dataset extent into dst.
func copyChunk(dst, src []byte, dims, cdims, scaled []uint64, esize uint64) {
	rank := len(dims)
	start := make([]uint64, rank)
	ext := make([]uint64, rank)
	for i := range dims {
		start[i] = scaled[i] * cdims[i]
		ext[i] = min(cdims[i], dims[i]-start[i])
	}
	row := ext[rank-1] * esize
	idx := make([]uint64, rank)
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

// chunkGrid returns the number of chunks along each dimension for extent
// dims (unlimited dimensions give undef).
func chunkGrid(dims, cdims []uint64) []uint64 {
	g := make([]uint64, len(dims))
	for i, d := range dims {
		if d == undef {
			g[i] = undef
		} else {
			g[i] = d/cdims[i] + min(1, d%cdims[i])
		}
	}
	return g
}

// unlinear converts a linear chunk index over grid into coordinates; the
// first coordinate is not bounded by the grid.
func unlinear(idx uint64, grid []uint64) []uint64 {
	c := make([]uint64, len(grid))
	for i := len(grid) - 1; i > 0; i-- {
		if grid[i] == 0 {
			return nil
		}
		c[i] = idx % grid[i]
		idx /= grid[i]
	}
	c[0] = idx
	return c
}

// maxGrid is the chunk grid over the maximum dimensions.
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
		ch := chunkRef{scaled: make([]uint64, rank), addr: l.addr, size: chunkBytes}
		if filtered {
			ch.size, ch.mask = l.singleSize, l.singleMask
		}
		return fn(ch)
	case indexImplicit:
		grid, maxGrid := chunkGrid(d.space.dims, l.chunk), d.maxGrid()
		coords := make([]uint64, rank)
		for _, g := range grid {
			if g == 0 {
				return nil
			}
		}
		for {
			var idx uint64
			for i, c := range coords {
				idx = idx*maxGrid[i] + c
			}
			off, ok := mulCheck(idx, chunkBytes)
			if !ok || l.addr+off < off {
				return fmt.Errorf("implicit chunk index out of range")
			}
			if err := fn(chunkRef{scaled: append([]uint64(nil), coords...), addr: l.addr + off}); err != nil {
				return err
			}
			i := rank - 1
			for ; i >= 0; i-- {
				if coords[i]++; coords[i] < grid[i] {
					break
				}
				coords[i] = 0
			}
			if i < 0 {
				return nil
			}
		}
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
			ch := chunkRef{addr: c.addr(), size: chunkBytes, scaled: make([]uint64, rank)}
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

// element decodes a fixed or extensible array chunk entry.
func (d *Dataset) element(c *cursor, elemSize int) chunkRef {
	ch := chunkRef{addr: c.addr()}
	if len(d.filters) > 0 {
		ch.size = c.uvar(elemSize - d.f.offSize - 4)
		ch.mask = c.u32()
	}
	return ch
}

func (d *Dataset) checkElemSize(elemSize int, addr uint64) error {
	want := d.f.offSize
	if len(d.filters) > 0 {
		want += 5 // at least one byte of size and the filter mask
	}
	if elemSize < want || elemSize > d.f.offSize+12 {
		return fmt.Errorf("corrupt chunk index at %#x: element size %d", addr, elemSize)
	}
	return nil
}

// emit passes the chunk with linear index idx (over grid) to fn.
func emit(ch chunkRef, idx uint64, grid []uint64, unlimDim int, fn func(chunkRef) error) error {
	if ch.addr == undef {
		return nil
	}
	c := unlinear(idx, grid)
	if c == nil {
		return nil
	}
	if unlimDim > 0 { // undo the swizzle of extensible array indexes
		u := c[0]
		copy(c, c[1:unlimDim+1])
		c[unlimDim] = u
	}
	ch.scaled = c
	return fn(ch)
}

func (d *Dataset) fixedArrayChunks(fn func(chunkRef) error) error {
	f, hdrAddr := d.f, d.layout.addr
	c, err := f.cursorAt(hdrAddr, "fixed array header")
	if err != nil {
		return err
	}
	c.signature("FAHD")
	c.skip(2) // version, client ID
	elemSize, pageBits := int(c.u8()), c.u8()
	n := c.length()
	dblk := c.addr()
	c.skip(4)
	if c.err != nil {
		return c.err
	}
	if err := checksum(c.b[:c.p], "fixed array header", hdrAddr); err != nil {
		return err
	}
	if err := d.checkElemSize(elemSize, hdrAddr); err != nil {
		return err
	}
	if pageBits > 32 {
		return fmt.Errorf("corrupt fixed array header at %#x: page bits %d", hdrAddr, pageBits)
	}
	if dblk == undef {
		return nil
	}
	grid := d.maxGrid()
	prefix := uint64(4 + 2 + f.offSize)
	pageN := uint64(1) << pageBits
	esz := uint64(elemSize)
	if n <= pageN { // not paged
		blk, err := f.at(dblk, prefix, "fixed array data block")
		if err == nil && n > uint64(len(f.data))/esz {
			err = truncated("fixed array data block", dblk, len(f.data))
		}
		if err == nil {
			blk, err = f.at(dblk, prefix+n*esz+4, "fixed array data block")
		}
		if err != nil {
			return err
		}
		if err := checksum(blk, "fixed array data block", dblk); err != nil {
			return err
		}
		c := f.cursor(blk, dblk, "fixed array data block")
		c.signature("FADB")
		c.skip(prefix - 4)
		for i := uint64(0); i < n; i++ {
			if err := emit(d.element(c, elemSize), i, grid, 0, fn); err != nil {
				return err
			}
		}
		return c.err
	}
	npages := n/pageN + min(1, n%pageN)
	if npages/8 > uint64(len(f.data)) {
		return truncated("fixed array data block", dblk, len(f.data))
	}
	bitmap, err := f.at(dblk, prefix+(npages+7)/8+4, "fixed array data block")
	if err != nil {
		return err
	}
	if err := checksum(bitmap, "fixed array data block", dblk); err != nil {
		return err
	}
	if string(bitmap[:4]) != "FADB" {
		return fmt.Errorf("corrupt fixed array data block at %#x: bad signature", dblk)
	}
	pageAddr := dblk + uint64(len(bitmap))
	for p := uint64(0); p < npages; p++ {
		count := min(pageN, n-p*pageN)
		size := count*esz + 4
		if bitmap[prefix+p/8]&(0x80>>(p%8)) != 0 {
			page, err := f.at(pageAddr, size, "fixed array page")
			if err != nil {
				return err
			}
			if err := checksum(page, "fixed array page", pageAddr); err != nil {
				return err
			}
			c := f.cursor(page, pageAddr, "fixed array page")
			for i := uint64(0); i < count; i++ {
				if err := emit(d.element(c, elemSize), p*pageN+i, grid, 0, fn); err != nil {
					return err
				}
			}
		}
		pageAddr += size
	}
	return nil
}

func (d *Dataset) extArrayChunks(fn func(chunkRef) error) error {
	f, hdrAddr := d.f, d.layout.addr
	c, err := f.cursorAt(hdrAddr, "extensible array header")
	if err != nil {
		return err
	}
	c.signature("EAHD")
	c.skip(2) // version, client ID
	elemSize, maxBits, idxElems := int(c.u8()), int(c.u8()), uint64(c.u8())
	minElems, minPtrs, pageBits := uint64(c.u8()), uint64(c.u8()), c.u8()
	for i := 0; i < 6; i++ {
		c.length() // statistics
	}
	iblk := c.addr()
	c.skip(4)
	if c.err != nil {
		return c.err
	}
	if err := checksum(c.b[:c.p], "extensible array header", hdrAddr); err != nil {
		return err
	}
	if err := d.checkElemSize(elemSize, hdrAddr); err != nil {
		return err
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if maxBits == 0 || maxBits > 64 || !pow2(minElems) || !pow2(minPtrs) || minPtrs < 2 ||
		pageBits > 32 || log2(minElems) > maxBits {
		return fmt.Errorf("corrupt extensible array header at %#x", hdrAddr)
	}
	if iblk == undef {
		return nil
	}

	// Layout of the super blocks (H5EA__hdr_init), capped at 64 entries.
	nsblks := 1 + maxBits - log2(minElems)
	type sblkInfo struct{ ndblks, nelmts, start uint64 }
	info := make([]sblkInfo, nsblks)
	var start uint64
	for s := range info {
		info[s] = sblkInfo{1 << (s / 2), (1 << ((s + 1) / 2)) * minElems, start}
		if span, ok := mulCheck(info[s].ndblks, info[s].nelmts); ok && start+span >= start {
			start += span
		} else {
			start = undef
		}
	}

	grid := d.maxGrid()
	unlim := 0
	for i, m := range d.space.maxDims {
		if m == undef {
			unlim = i
			break
		}
	}
	// Swizzle the grid so that the unlimited dimension comes first.
	sgrid := append([]uint64{grid[unlim]}, grid[:unlim]...)
	sgrid = append(sgrid, grid[unlim+1:]...)

	esz := uint64(elemSize)
	offBytes := uint64((maxBits + 7) / 8)
	pageN := uint64(1) << pageBits
	dataBlock := func(addr, first, nelmts uint64) error {
		if addr == undef {
			return nil
		}
		if nelmts > pageN {
			return unsupported("paged extensible array data block at %#x", addr)
		}
		blk, err := f.at(addr, 6+uint64(f.offSize)+offBytes+nelmts*esz+4, "extensible array data block")
		if err != nil {
			return err
		}
		if err := checksum(blk, "extensible array data block", addr); err != nil {
			return err
		}
		c := f.cursor(blk, addr, "extensible array data block")
		c.signature("EADB")
		c.skip(2 + uint64(f.offSize) + offBytes)
		for i := uint64(0); i < nelmts; i++ {
			if err := emit(d.element(c, elemSize), first+i, sgrid, unlim, fn); err != nil {
				return err
			}
		}
		return c.err
	}

	// Index block: elements, data block addresses, super block addresses.
	ibNsblks := 2 * log2(minPtrs)
	ndblk := 2 * (minPtrs - 1)
	nsblk := uint64(max(0, nsblks-ibNsblks))
	size := 6 + uint64(f.offSize) + idxElems*esz + (ndblk+nsblk)*uint64(f.offSize) + 4
	blk, err := f.at(iblk, size, "extensible array index block")
	if err != nil {
		return err
	}
	if err := checksum(blk, "extensible array index block", iblk); err != nil {
		return err
	}
	c = f.cursor(blk, iblk, "extensible array index block")
	c.signature("EAIB")
	c.skip(2 + uint64(f.offSize))
	for i := uint64(0); i < idxElems; i++ {
		if err := emit(d.element(c, elemSize), i, sgrid, unlim, fn); err != nil {
			return err
		}
	}
	s, first := 0, uint64(0)
	for k := uint64(0); k < ndblk && s < len(info); k++ {
		if err := dataBlock(c.addr(), idxElems+info[s].start+first*info[s].nelmts, info[s].nelmts); err != nil {
			return err
		}
		if first++; first == info[s].ndblks {
			s, first = s+1, 0
		}
	}
	for j := uint64(0); j < nsblk; j++ {
		s := ibNsblks + int(j)
		addr := c.addr()
		if c.err != nil || addr == undef {
			continue
		}
		if info[s].nelmts > pageN {
			return unsupported("paged extensible array data blocks in super block at %#x", addr)
		}
		sb, err := f.at(addr, 6+uint64(f.offSize)+offBytes+info[s].ndblks*uint64(f.offSize)+4, "extensible array super block")
		if err != nil {
			return err
		}
		if err := checksum(sb, "extensible array super block", addr); err != nil {
			return err
		}
		sc := f.cursor(sb, addr, "extensible array super block")
		sc.signature("EASB")
		sc.skip(2 + uint64(f.offSize) + offBytes)
		for m := uint64(0); m < info[s].ndblks; m++ {
			if err := dataBlock(sc.addr(), idxElems+info[s].start+m*info[s].nelmts, info[s].nelmts); err != nil {
				return err
			}
		}
		if sc.err != nil {
			return sc.err
		}
	}
	return c.err
}
