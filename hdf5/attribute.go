package hdf5

import (
	"bytes"
	"fmt"
	"sort"
)

// Attribute is an attribute of a group or dataset. Its value is read when
// the attribute list is loaded.
type Attribute struct {
	Name string

	f     *File
	owner string // path of the object holding the attribute
	dtype Datatype
	space dataspace
	data  []byte
}

// attributes returns the attributes of the object at addr, sorted by name.
func (f *File) attributes(addr uint64, path string) ([]*Attribute, error) {
	h, err := f.header(addr)
	if err != nil {
		return nil, wrap(path, err)
	}
	var attrs []*Attribute
	for i := range h.msgs {
		m := &h.msgs[i]
		if m.typ != msgAttribute {
			continue
		}
		b, err := f.messageData(m)
		if err != nil {
			return nil, wrap(path, err)
		}
		a, err := f.parseAttribute(b, path)
		if err != nil {
			return nil, wrap(path, err)
		}
		attrs = append(attrs, a)
	}
	if m := h.find(msgAttrInfo); m != nil {
		heapAddr, btree, err := parseIndexInfo(f, m.data, 2)
		if err == nil && heapAddr != undef {
			var heap *fractalHeap
			if heap, err = f.fractalHeap(heapAddr); err == nil {
				err = f.walkBTreeV2(btree, 8, func(rec []byte) error {
					if len(rec) > heap.idLen && rec[heap.idLen]&1 != 0 {
						return unsupported("shared attribute message")
					}
					b, err := heap.get(rec)
					if err != nil {
						return err
					}
					a, err := f.parseAttribute(b, path)
					attrs = append(attrs, a)
					return err
				})
			}
		}
		if err != nil {
			return nil, wrap(path, fmt.Errorf("dense attributes: %w", err))
		}
	}
	sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	return attrs, nil
}

// attribute returns one attribute by name.
func (f *File) attribute(addr uint64, path, name string) (*Attribute, error) {
	attrs, err := f.attributes(addr, path)
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, &NotFoundError{Path: path, Kind: "attribute", Name: name}
}

func (f *File) parseAttribute(b []byte, owner string) (*Attribute, error) {
	c := f.cursor(b, undef, "attribute message")
	version := c.u8()
	flags := c.u8() // reserved in version 1
	nameLen, typeLen, spaceLen := uint64(c.u16()), uint64(c.u16()), uint64(c.u16())
	pad := func(n uint64) uint64 { return n }
	switch version {
	case 1:
		flags = 0
		pad = func(n uint64) uint64 { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		c.fail("unknown version %d", version)
	}
	name := c.bytes(pad(nameLen))
	tb := c.bytes(pad(typeLen))
	sb := c.bytes(pad(spaceLen))
	if c.err != nil {
		return nil, c.err
	}
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	a := &Attribute{Name: string(name), f: f, owner: owner}
	fail := func(err error) (*Attribute, error) {
		return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	var err error
	if flags&1 != 0 { // shared datatype
		if tb, err = f.messageData(&message{typ: msgDatatype, flags: 2, data: tb}); err != nil {
			return fail(err)
		}
	}
	if flags&2 != 0 {
		if sb, err = f.messageData(&message{typ: msgDataspace, flags: 2, data: sb}); err != nil {
			return fail(err)
		}
	}
	if a.dtype, err = f.parseDatatype(f.cursor(tb, undef, "attribute datatype"), 0); err != nil {
		return fail(err)
	}
	if a.space, err = parseDataspace(f, sb); err != nil {
		return fail(err)
	}
	rest := b[c.p:]
	need, ok := mulCheck(a.space.count(), uint64(a.dtype.Size))
	if !ok || need > uint64(len(rest)) {
		return fail(fmt.Errorf("%d elements of %d bytes do not fit in the %d bytes of data", a.space.count(), a.dtype.Size, len(rest)))
	}
	a.data = rest[:need]
	return a, nil
}

// Shape returns the dimensions: empty for a scalar, nil for a null dataspace.
func (a *Attribute) Shape() []int { return a.space.shape() }

// Type returns the element type.
func (a *Attribute) Type() Datatype { return a.dtype }

// IsEmpty reports whether the attribute has a null dataspace or no elements.
func (a *Attribute) IsEmpty() bool { return a.space.count() == 0 }

func (a *Attribute) err(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Path: a.owner, Err: fmt.Errorf("attribute %q: %w", a.Name, err)}
}

// Strings returns the values of a string attribute (fixed- or
// variable-length); a scalar gives one string.
func (a *Attribute) Strings() ([]string, error) {
	v, err := a.f.decodeStrings(a.dtype, a.data, a.space.count())
	return v, a.err(err)
}

// String returns the value of a scalar or one-element string attribute.
func (a *Attribute) String() (string, error) {
	v, err := a.Strings()
	if err != nil {
		return "", err
	}
	if len(v) != 1 {
		return "", a.err(fmt.Errorf("has %d strings, want 1", len(v)))
	}
	return v[0], nil
}

// Float64s returns the values of a numeric attribute converted to float64.
func (a *Attribute) Float64s() ([]float64, error) {
	v, err := decode(a.dtype, a.data, a.space.count(), toFloat64)
	return v, a.err(err)
}

// Int64s returns the values of an integer attribute.
func (a *Attribute) Int64s() ([]int64, error) {
	v, err := decode(a.dtype, a.data, a.space.count(), toInt64)
	return v, a.err(err)
}
