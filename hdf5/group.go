package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Group is an HDF5 group.
type Group struct {
	f    *File
	path string
	addr uint64
}

// Member is a direct child of a group: a group, or a dataset when !IsGroup.
type Member struct {
	Name    string
	IsGroup bool
}

// Link types.
const (
	linkHard     = 0
	linkSoft     = 1
	linkExternal = 64
)

type link struct {
	name   string
	kind   int
	addr   uint64 // hard links
	target string
}

type objKind int

const (
	kindOther objKind = iota
	kindGroup
	kindDataset
)

// Path returns the absolute path of the group: "/" for the root.
func (g *Group) Path() string { return g.path }

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// kind reports whether the object at addr is a group or a dataset.
func (f *File) kind(addr uint64) (objKind, error) {
	h, err := f.header(addr)
	if err != nil {
		return kindOther, err
	}
	for _, m := range h.msgs {
		switch m.typ {
		case msgSymbolTable, msgLinkInfo, msgGroupInfo, msgLink:
			return kindGroup, nil
		case msgLayout:
			return kindDataset, nil
		}
	}
	return kindOther, nil
}

// groupLinks returns the links of the group at addr, sorted by name.
func (f *File) groupLinks(addr uint64) ([]link, error) {
	f.mu.Lock()
	links, ok := f.links[addr]
	f.mu.Unlock()
	if ok {
		return links, nil
	}
	h, err := f.header(addr)
	if err != nil {
		return nil, err
	}
	heap, btree := undef, undef
	if m := h.find(msgLinkInfo); m != nil {
		if heap, btree, err = parseIndexInfo(f, m.data, 8); err != nil {
			return nil, err
		}
	}
	if m := h.find(msgSymbolTable); m != nil {
		c := f.cursor(m.data, addr, "symbol table message")
		if btree, heap = c.addr(), c.addr(); c.err != nil {
			return nil, c.err
		}
		links, err = f.symbolTableLinks(btree, heap)
	} else if heap != undef {
		links, err = f.denseLinks(heap, btree)
	} else {
		for _, m := range h.msgs {
			if m.typ == msgLink {
				l, err := f.parseLink(m.data, addr)
				if err != nil {
					return nil, err
				}
				links = append(links, l)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(links, func(i, j int) bool { return links[i].name < links[j].name })
	f.mu.Lock()
	f.links[addr] = links
	f.mu.Unlock()
	return links, nil
}

func (f *File) symbolTableLinks(btree, heapAddr uint64) ([]link, error) {
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var links []link
	err = f.walkBTreeV1(btree, 0, f.lenSize, func(_ []byte, snod uint64) error {
		c, err := f.cursorAt(snod, "SNOD", "symbol table node")
		if err != nil {
			return err
		}
		if v := c.u8(); v != 1 && c.err == nil {
			return fmt.Errorf("symbol table node at %#x: unknown version %d", snod, v)
		}
		c.skip(1)
		n := int(c.u16())
		for i := 0; i < n; i++ {
			nameOff := c.addr()
			l := link{addr: c.addr()}
			cache := c.u32()
			c.skip(4)
			scratch := c.bytes(16)
			if c.err != nil {
				return c.err
			}
			if l.name, err = heapString(heap, nameOff); err != nil {
				return fmt.Errorf("symbol table node at %#x: %w", snod, err)
			}
			if cache == 2 { // soft link, value in the local heap
				l.kind = linkSoft
				if l.target, err = heapString(heap, leUint(scratch[:4])); err != nil {
					return fmt.Errorf("symbol table node at %#x: %w", snod, err)
				}
			}
			links = append(links, l)
		}
		return c.err
	})
	return links, err
}

// parseIndexInfo decodes a Link Info or Attribute Info message: the
// fractal heap and name-index B-tree addresses. crtSize is the size of the
// maximum creation index field (8 for links, 2 for attributes).
func parseIndexInfo(f *File, b []byte, crtSize uint64) (heap, btree uint64, err error) {
	c := f.cursor(b, undef, "link/attribute info message")
	if v := c.u8(); v != 0 && c.err == nil {
		return undef, undef, fmt.Errorf("link/attribute info message: unknown version %d", v)
	}
	if c.u8()&1 != 0 {
		c.skip(crtSize)
	}
	heap, btree = c.addr(), c.addr()
	if c.err != nil {
		return undef, undef, c.err
	}
	return heap, btree, nil
}

// denseLinks reads the links stored in a fractal heap, indexed by name.
func (f *File) denseLinks(heapAddr, btree uint64) ([]link, error) {
	heap, err := f.fractalHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var links []link
	err = f.walkBTreeV2(btree, 5, func(rec []byte) error {
		if len(rec) < 5 {
			return fmt.Errorf("link name index record too short")
		}
		b, err := heap.get(rec[4:])
		if err != nil {
			return err
		}
		l, err := f.parseLink(b, heapAddr)
		links = append(links, l)
		return err
	})
	return links, err
}

func (f *File) parseLink(b []byte, addr uint64) (link, error) {
	var l link
	c := f.cursor(b, addr, "link message")
	if v := c.u8(); v != 1 && c.err == nil {
		return l, fmt.Errorf("link message: unknown version %d", v)
	}
	flags := c.u8()
	if flags&0x08 != 0 {
		l.kind = int(c.u8())
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // name character set
	}
	l.name = string(c.bytes(c.uvar(1 << (flags & 3))))
	switch l.kind {
	case linkHard:
		l.addr = c.addr()
	case linkSoft:
		l.target = string(c.bytes(uint64(c.u16())))
	case linkExternal:
		v := c.bytes(uint64(c.u16()))
		if len(v) > 0 {
			l.target = string(bytes.ReplaceAll(bytes.TrimRight(v[1:], "\x00"), []byte{0}, []byte(":")))
		}
	}
	if c.err == nil && l.name == "" {
		c.fail("empty link name")
	}
	return l, c.err
}

// Members returns the groups and datasets directly in g, sorted by name.
// Soft links, external links and committed datatypes are left out.
func (g *Group) Members() ([]Member, error) {
	links, err := g.f.groupLinks(g.addr)
	if err != nil {
		return nil, wrap(g.path, err)
	}
	var out []Member
	for _, l := range links {
		if l.kind != linkHard {
			continue
		}
		k, err := g.f.kind(l.addr)
		if err != nil {
			return nil, wrap(joinPath(g.path, l.name), err)
		}
		if k != kindOther {
			out = append(out, Member{Name: l.name, IsGroup: k == kindGroup})
		}
	}
	return out, nil
}

// lookup resolves a path relative to g ("a/b"; a leading "/" starts at the
// root) to an object of kind want (kindOther: any group or dataset).
func (g *Group) lookup(path string, want objKind) (addr uint64, full string, err error) {
	addr, full = g.addr, g.path
	if strings.HasPrefix(path, "/") {
		addr, full = g.f.rootAddr, "/"
	}
	parts := strings.Split(path, "/")
	kindName := map[objKind]string{kindOther: "group or dataset", kindGroup: "group", kindDataset: "dataset"}
	for i := 0; ; i++ {
		for i < len(parts) && (parts[i] == "" || parts[i] == ".") {
			i++
		}
		k, err := g.f.kind(addr)
		if err != nil {
			return 0, "", wrap(full, err)
		}
		if i == len(parts) { // reached the object
			if k == kindOther || (want != kindOther && k != want) {
				return 0, "", &Error{Path: full, Err: errors.New("not a " + kindName[want])}
			}
			return addr, full, nil
		}
		if k != kindGroup {
			return 0, "", &Error{Path: full, Err: errors.New("not a group")}
		}
		links, err := g.f.groupLinks(addr)
		if err != nil {
			return 0, "", wrap(full, err)
		}
		name := parts[i]
		full = joinPath(full, name)
		j := sort.Search(len(links), func(j int) bool { return links[j].name >= name })
		if j == len(links) || links[j].name != name {
			if i < len(parts)-1 {
				want = kindGroup
			}
			return 0, "", &NotFoundError{Path: full, Kind: kindName[want]}
		}
		switch l := links[j]; l.kind {
		case linkHard:
			addr = l.addr
		case linkSoft:
			return 0, "", &Error{Path: full, Err: unsupported("soft link (to %q)", l.target)}
		case linkExternal:
			return 0, "", &Error{Path: full, Err: unsupported("external link (to %q)", l.target)}
		default:
			return 0, "", &Error{Path: full, Err: unsupported("link type %d", l.kind)}
		}
	}
}

// Group returns the group at path, relative to g ("" or "." is g itself).
// Paths are split on "/" only; names are matched byte for byte.
func (g *Group) Group(path string) (*Group, error) {
	addr, full, err := g.lookup(path, kindGroup)
	if err != nil {
		return nil, err
	}
	return &Group{f: g.f, path: full, addr: addr}, nil
}

// Dataset returns the dataset at path, relative to g.
func (g *Group) Dataset(path string) (*Dataset, error) {
	addr, full, err := g.lookup(path, kindDataset)
	if err != nil {
		return nil, err
	}
	d, err := g.f.openDataset(addr, full)
	return d, wrap(full, err)
}

// Has reports whether a group or dataset exists at path, relative to g.
func (g *Group) Has(path string) bool {
	_, _, err := g.lookup(path, kindOther)
	return err == nil
}

// Attrs returns the attributes of g in name order.
func (g *Group) Attrs() ([]*Attribute, error) { return g.f.attributes(g.addr, g.path) }

// Attr returns the attribute of g called name.
func (g *Group) Attr(name string) (*Attribute, error) { return g.f.attribute(g.addr, g.path, name) }
