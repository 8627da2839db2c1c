package hdf5

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Class is the kind of a datatype.
type Class int

// Datatype classes, numbered as in the file format. Only ClassInteger,
// ClassFloat, ClassString and ClassArray (of those) can be read; values of
// the other classes give an error wrapping ErrUnsupported.
const (
	ClassInteger Class = iota
	ClassFloat
	ClassTime
	ClassString // fixed- and variable-length strings
	ClassBitfield
	ClassOpaque
	ClassCompound
	ClassReference
	ClassEnum
	ClassVarLen // variable-length sequences other than strings
	ClassArray
)

var classNames = []string{"integer", "float", "time", "string", "bitfield", "opaque", "compound",
	"reference", "enum", "variable-length sequence", "array"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Padding of fixed-length strings.
const (
	PadNullTerm = 0 // NUL-terminated
	PadNullPad  = 1 // padded with NULs
	PadSpacePad = 2 // padded with spaces
)

// Datatype describes the type of the elements of a dataset or attribute.
type Datatype struct {
	Class     Class
	Size      int       // bytes per element in the file
	Signed    bool      // integers
	BigEndian bool      // integers and floats
	Variable  bool      // variable-length string (Size is then the size of the heap reference)
	UTF8      bool      // strings: UTF-8 rather than ASCII
	Pad       int       // fixed-length strings: PadNullTerm, PadNullPad or PadSpacePad
	Dims      []int     // arrays: dimensions
	Base      *Datatype // arrays: element type

	bad error // why the values cannot be read
}

// String returns "float32", "int8", "uint64", "string", "float32[3]"...
func (t Datatype) String() string {
	switch t.Class {
	case ClassInteger:
		if t.Signed {
			return fmt.Sprintf("int%d", 8*t.Size)
		}
		return fmt.Sprintf("uint%d", 8*t.Size)
	case ClassFloat:
		return fmt.Sprintf("float%d", 8*t.Size)
	case ClassString:
		return "string"
	case ClassArray:
		dims := make([]string, len(t.Dims))
		for i, d := range t.Dims {
			dims[i] = strconv.Itoa(d)
		}
		base := "?"
		if t.Base != nil {
			base = t.Base.String()
		}
		return base + "[" + strings.Join(dims, ",") + "]"
	}
	return t.Class.String()
}

// IEEE layouts: size -> exponent location, exponent size, mantissa size, bias.
var ieee = map[uint32][4]uint32{2: {10, 5, 10, 15}, 4: {23, 8, 23, 127}, 8: {52, 11, 52, 1023}}

// parseDatatype decodes a datatype message. Types this package cannot
// read are returned with bad set; malformed messages give an error.
func (f *File) parseDatatype(c *cursor, depth int) (Datatype, error) {
	b0 := c.u8()
	class, version := b0&0x0f, b0>>4
	bf := uint32(c.uvar(3))
	size := c.u32()
	if c.err != nil {
		return Datatype{}, c.err
	}
	if size == 0 || size > 1<<24 {
		return Datatype{}, fmt.Errorf("corrupt datatype: size %d", size)
	}
	t := Datatype{Class: Class(class), Size: int(size)}
	switch t.Class {
	case ClassInteger:
		t.BigEndian, t.Signed = bf&1 != 0, bf&8 != 0
		off, prec := c.u16(), c.u16()
		if (size != 1 && size != 2 && size != 4 && size != 8) || off != 0 || uint32(prec) != 8*size {
			t.bad = unsupported("integer of %d bytes with %d-bit precision at bit offset %d", size, prec, off)
		}
	case ClassFloat:
		t.BigEndian = bf&1 != 0
		off, prec := c.u16(), c.u16()
		expLoc, expSize, manLoc, manSize := c.u8(), c.u8(), c.u8(), c.u8()
		bias := c.u32()
		l, ok := ieee[size]
		if !ok || bf&0x40 != 0 || off != 0 || uint32(prec) != 8*size || manLoc != 0 ||
			uint32(expLoc) != l[0] || uint32(expSize) != l[1] || uint32(manSize) != l[2] || bias != l[3] {
			t.bad = unsupported("floating-point layout (%d bytes, %d-bit exponent, %d-bit mantissa)", size, expSize, manSize)
		}
	case ClassString:
		t.Pad, t.UTF8 = int(bf&0x0f), (bf>>4)&0x0f == 1
	case ClassVarLen:
		if bf&0x0f != 1 { // a sequence, not a string
			break
		}
		t.Class, t.Variable, t.Pad, t.UTF8 = ClassString, true, int((bf>>4)&0x0f), (bf>>8)&0x0f == 1
		if int(size) < 4+f.offSize+4 {
			return t, fmt.Errorf("corrupt datatype: variable-length string of size %d", size)
		}
	case ClassArray:
		if depth > 4 {
			return t, fmt.Errorf("corrupt datatype: arrays nested too deep")
		}
		rank := int(c.u8())
		if version < 3 {
			c.skip(3)
		}
		if rank == 0 || rank > 32 {
			c.fail("array rank %d", rank)
		}
		n := uint64(1)
		for i := 0; i < rank && c.err == nil; i++ {
			d := c.u32()
			t.Dims = append(t.Dims, int(d))
			n *= uint64(d) // at most 32 factors of 2^32 would overflow, but n*base size is checked below
			if n > 1<<24 {
				c.fail("array too large")
			}
		}
		if version < 3 {
			c.skip(4 * uint64(rank)) // permutation indexes
		}
		if c.err != nil {
			return t, c.err
		}
		base, err := f.parseDatatype(c, depth+1)
		if err != nil {
			return t, err
		}
		t.Base = &base
		switch {
		case base.bad != nil:
			t.bad = base.bad
		case base.Class != ClassInteger && base.Class != ClassFloat && base.Class != ClassString:
			t.bad = unsupported("array of %s", base.Class)
		case n*uint64(base.Size) != uint64(size):
			return t, fmt.Errorf("corrupt datatype: array of %d elements of %d bytes has size %d", n, base.Size, size)
		}
	case ClassTime, ClassBitfield, ClassOpaque, ClassCompound, ClassReference, ClassEnum:
	default:
		return t, fmt.Errorf("corrupt datatype: unknown class %d", class)
	}
	if c.err != nil {
		return t, c.err
	}
	if t.bad == nil && t.Class != ClassInteger && t.Class != ClassFloat && t.Class != ClassString && t.Class != ClassArray {
		t.bad = unsupported("datatype class %s", t.Class)
	}
	return t, nil
}

// elements returns the scalar element type and the number of scalar values
// per element of t.
func (t Datatype) elements() (Datatype, int, error) {
	if t.bad != nil {
		return t, 0, t.bad
	}
	if t.Class == ClassArray {
		return *t.Base, t.Size / t.Base.Size, nil
	}
	return t, 1, nil
}

func uintAt(b []byte, bigEndian bool) uint64 {
	if !bigEndian {
		return leUint(b)
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

func signExtend(u uint64, size int) int64 {
	s := 64 - 8*size
	return int64(u<<s) >> s
}

// halfToFloat32 converts an IEEE binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch exp {
	case 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case 0:
		v := float32(man) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// decode converts n elements of the numeric type t (or array of one).
func decode[T any](t Datatype, raw []byte, n uint64, conv func(e Datatype, u uint64) (T, error)) ([]T, error) {
	e, per, err := t.elements()
	if err != nil {
		return nil, err
	}
	if e.Class != ClassInteger && e.Class != ClassFloat {
		return nil, fmt.Errorf("cannot read %s values as numbers", e)
	}
	if total, ok := mulCheck(n, uint64(t.Size)); !ok || total > uint64(len(raw)) {
		return nil, fmt.Errorf("data too short: %d bytes for %d elements of %d bytes", len(raw), n, t.Size)
	}
	out := make([]T, int(n)*per)
	for k := range out {
		if out[k], err = conv(e, uintAt(raw[k*e.Size:(k+1)*e.Size], e.BigEndian)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func toFloat64(e Datatype, u uint64) (float64, error) {
	switch {
	case e.Class == ClassInteger && e.Signed:
		return float64(signExtend(u, e.Size)), nil
	case e.Class == ClassInteger:
		return float64(u), nil
	case e.Size == 2:
		return float64(halfToFloat32(uint16(u))), nil
	case e.Size == 4:
		return float64(math.Float32frombits(uint32(u))), nil
	}
	return math.Float64frombits(u), nil
}

// toFloat32 converts with a single rounding.
func toFloat32(e Datatype, u uint64) (float32, error) {
	switch {
	case e.Class == ClassInteger && e.Signed:
		return float32(signExtend(u, e.Size)), nil
	case e.Class == ClassInteger:
		return float32(u), nil
	case e.Size == 2:
		return halfToFloat32(uint16(u)), nil
	case e.Size == 4:
		return math.Float32frombits(uint32(u)), nil
	}
	return float32(math.Float64frombits(u)), nil
}

func toInt64(e Datatype, u uint64) (int64, error) {
	switch {
	case e.Class != ClassInteger:
		return 0, fmt.Errorf("cannot read %s values as integers", e)
	case e.Signed:
		return signExtend(u, e.Size), nil
	case u > math.MaxInt64:
		return 0, fmt.Errorf("value %d overflows int64", u)
	}
	return int64(u), nil
}

// decodeStrings decodes n elements of a string type (or array of strings).
func (f *File) decodeStrings(t Datatype, raw []byte, n uint64) ([]string, error) {
	e, per, err := t.elements()
	if err != nil {
		return nil, err
	}
	if e.Class != ClassString {
		return nil, fmt.Errorf("cannot read %s values as strings", e)
	}
	if total, ok := mulCheck(n, uint64(t.Size)); !ok || total > uint64(len(raw)) {
		return nil, fmt.Errorf("data too short: %d bytes for %d elements of %d bytes", len(raw), n, t.Size)
	}
	out := make([]string, int(n)*per)
	for k := range out {
		b := raw[k*e.Size : (k+1)*e.Size]
		if e.Variable {
			c := f.cursor(b, undef, "variable-length string")
			length, addr, index := uint64(c.u32()), c.addr(), c.u32()
			if c.err != nil {
				return nil, c.err
			}
			if length == 0 {
				continue
			}
			obj, err := f.globalHeapObject(addr, index)
			if err != nil {
				return nil, err
			}
			if length > uint64(len(obj)) {
				return nil, fmt.Errorf("variable-length string of %d bytes in a %d-byte heap object", length, len(obj))
			}
			b = obj[:length]
		}
		s := string(b)
		if e.Pad == PadSpacePad {
			s = strings.TrimRight(s, " ")
		} else if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		out[k] = s
	}
	return out, nil
}
