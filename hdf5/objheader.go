package hdf5

import (
	"fmt"
)

// Header message types.
const (
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgGroupInfo    = 0x0a
	msgFilters      = 0x0b
	msgAttribute    = 0x0c
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

const maxHeaderChunks = 1024

type message struct {
	typ   int
	flags byte
	data  []byte
}

type objHeader struct {
	addr uint64
	msgs []message
}

// find returns the first message of type typ, or nil.
func (h *objHeader) find(typ int) *message {
	for i := range h.msgs {
		if h.msgs[i].typ == typ {
			return &h.msgs[i]
		}
	}
	return nil
}

// header returns the parsed object header at addr (cached).
func (f *File) header(addr uint64) (*objHeader, error) {
	f.mu.Lock()
	h := f.headers[addr]
	f.mu.Unlock()
	if h != nil {
		return h, nil
	}
	h, err := f.readHeader(addr)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.headers[addr] = h
	f.mu.Unlock()
	return h, nil
}

func (f *File) readHeader(addr uint64) (*objHeader, error) {
	c, err := f.cursorAt(addr, "", "object header")
	if err != nil {
		return nil, err
	}
	var blk []byte // the messages of the first chunk
	v2, crtOrder := string(c.bytes(4)) == "OHDR", false
	if v2 {
		if v := c.u8(); v != 2 && c.err == nil {
			return nil, fmt.Errorf("object header at %#x: unknown version %d", addr, v)
		}
		flags := c.u8()
		if flags&0x20 != 0 {
			c.skip(16) // times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute storage phase change
		}
		size := c.uvar(1 << (flags & 3))
		crtOrder = flags&0x04 != 0
		if c.err == nil && size > uint64(len(f.data)) {
			c.err = truncated("object header", addr, len(f.data))
		}
		if c.err != nil {
			return nil, c.err
		}
		start := uint64(c.p)
		if c, err = f.block(addr, start+size+4, "OHDR", "object header"); err != nil {
			return nil, err
		}
		blk = c.b[start : start+size]
	} else {
		c.p = 0
		if v := c.u8(); v != 1 && c.err == nil {
			return nil, fmt.Errorf("object header at %#x: unknown version %d (no OHDR signature)", addr, v)
		}
		c.skip(7) // reserved, message count, reference count
		size := uint64(c.u32())
		if c.err != nil {
			return nil, c.err
		}
		if blk, err = f.at(addr+16, size, "object header"); err != nil {
			return nil, err
		}
	}

	h := &objHeader{addr: addr}
	type chunk struct{ addr, size uint64 }
	var queue []chunk
	seen := map[uint64]bool{}
	for n := 0; ; n++ {
		// Messages: type, size, flags (and creation order), body.
		mc := f.cursor(blk, addr, "object header")
		hdrLen := 8
		if v2 && crtOrder {
			hdrLen = 6
		} else if v2 {
			hdrLen = 4
		}
		for len(blk)-mc.p >= hdrLen && mc.err == nil { // shorter leftovers are gaps
			var m message
			var size uint64
			if v2 {
				m.typ, size, m.flags = int(mc.u8()), uint64(mc.u16()), mc.u8()
				if crtOrder {
					mc.skip(2)
				}
			} else {
				m.typ, size, m.flags = int(mc.u16()), uint64(mc.u16()), mc.u8()
				mc.skip(3)
			}
			if m.data = mc.bytes(size); m.typ == msgContinuation {
				cc := f.cursor(m.data, addr, "header continuation message")
				queue = append(queue, chunk{cc.addr(), cc.length()})
				mc.err = cc.err
			} else {
				h.msgs = append(h.msgs, m)
			}
		}
		if mc.err != nil {
			return nil, mc.err
		}
		if len(queue) == 0 {
			return h, nil
		}
		ch := queue[0]
		queue = queue[1:]
		if n >= maxHeaderChunks || seen[ch.addr] {
			return nil, fmt.Errorf("object header at %#x: continuation loop or too many continuations", addr)
		}
		seen[ch.addr] = true
		if !v2 {
			blk, err = f.at(ch.addr, ch.size, "object header continuation")
		} else if c, err = f.block(ch.addr, ch.size, "OCHK", "object header continuation"); err == nil {
			blk = c.b[4 : len(c.b)-4]
		}
		if err != nil {
			return nil, err
		}
	}
}

// messageData returns the body of m, following a shared message to the
// object header holding it (committed datatypes).
func (f *File) messageData(m *message) ([]byte, error) {
	for depth := 0; m.flags&0x02 != 0; depth++ {
		if depth > 8 {
			return nil, fmt.Errorf("shared message chain too long")
		}
		c := f.cursor(m.data, undef, "shared message")
		version := c.u8()
		typ := c.u8()
		var addr uint64
		switch version {
		case 1:
			c.skip(6)
			c.length()
			addr = c.addr()
		case 2, 3:
			if version == 3 && typ == 1 {
				return nil, unsupported("shared message in the shared-message heap")
			}
			addr = c.addr()
		default:
			return nil, fmt.Errorf("shared message: unknown version %d", version)
		}
		if c.err != nil {
			return nil, c.err
		}
		h, err := f.header(addr)
		if err != nil {
			return nil, err
		}
		target := h.find(m.typ)
		if target == nil {
			return nil, fmt.Errorf("shared message: object at %#x has no message of type %#x", addr, m.typ)
		}
		m = target
	}
	return m.data, nil
}
