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
	h := &objHeader{addr: addr}
	c, err := f.cursorAt(addr, "object header")
	if err != nil {
		return nil, err
	}
	type chunk struct{ addr, size uint64 }
	var first []byte
	v2, crtOrder := false, false
	if string(c.bytes(4)) == "OHDR" {
		v2 = true
		if v := c.u8(); v != 2 && c.err == nil {
			return nil, fmt.Errorf("object header at %#x: unknown version %d", addr, v)
		}
		flags := c.u8()
		if flags&0x20 != 0 {
			c.skip(16) // times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute phase change
		}
		size := c.uvar(1 << (flags & 3))
		crtOrder = flags&0x04 != 0
		if c.err != nil {
			return nil, c.err
		}
		start := uint64(c.p)
		if size > uint64(len(f.data)) {
			return nil, truncated("object header", addr, len(f.data))
		}
		blk, err := f.at(addr, start+size+4, "object header")
		if err != nil {
			return nil, err
		}
		if err := checksum(blk, "object header", addr); err != nil {
			return nil, err
		}
		first = blk[start : start+size]
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
		if first, err = f.at(addr+16, size, "object header"); err != nil {
			return nil, err
		}
	}

	seen := map[uint64]bool{addr: true}
	var queue []chunk
	for n := 0; ; n++ {
		var blk []byte
		var blkAddr uint64
		if n == 0 {
			blk, blkAddr = first, addr
		} else {
			if len(queue) == 0 {
				break
			}
			if n > maxHeaderChunks {
				return nil, fmt.Errorf("object header at %#x: more than %d continuation blocks", addr, maxHeaderChunks)
			}
			ch := queue[0]
			queue = queue[1:]
			if seen[ch.addr] {
				return nil, fmt.Errorf("object header at %#x: continuation loop at %#x", addr, ch.addr)
			}
			seen[ch.addr] = true
			blkAddr = ch.addr
			if blk, err = f.at(ch.addr, ch.size, "object header continuation"); err != nil {
				return nil, err
			}
			if v2 {
				if len(blk) < 8 || string(blk[:4]) != "OCHK" {
					return nil, fmt.Errorf("corrupt object header continuation at %#x: no OCHK signature", ch.addr)
				}
				if err := checksum(blk, "object header continuation", ch.addr); err != nil {
					return nil, err
				}
				blk = blk[4 : len(blk)-4]
			}
		}
		mc := f.cursor(blk, blkAddr, "object header")
		hdrLen := 8
		if v2 {
			hdrLen = 4
			if crtOrder {
				hdrLen = 6
			}
		}
		for len(blk)-mc.p >= hdrLen {
			var m message
			var size uint64
			if v2 {
				m.typ = int(mc.u8())
				size = uint64(mc.u16())
				m.flags = mc.u8()
				if crtOrder {
					mc.skip(2)
				}
			} else {
				m.typ = int(mc.u16())
				size = uint64(mc.u16())
				m.flags = mc.u8()
				mc.skip(3)
			}
			m.data = mc.bytes(size)
			if mc.err != nil {
				return nil, fmt.Errorf("corrupt object header at %#x: message of type %#x runs past its block", addr, m.typ)
			}
			if m.typ == msgContinuation {
				cc := f.cursor(m.data, blkAddr, "header continuation message")
				a, l := cc.addr(), cc.length()
				if cc.err != nil {
					return nil, cc.err
				}
				queue = append(queue, chunk{a, l})
				continue
			}
			h.msgs = append(h.msgs, m)
		}
	}
	return h, nil
}

// messageData returns the body of m, following a shared message to the
// object header holding it (committed datatypes).
func (f *File) messageData(m *message) ([]byte, error) {
	for depth := 0; m.flags&0x02 != 0; depth++ {
		if depth > 8 {
			return nil, fmt.Errorf("shared message chain too long")
		}
		c := f.cursor(m.data, 0, "shared message")
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
