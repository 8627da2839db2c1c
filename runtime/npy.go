// NumPy .npy reading and writing.
//
// Contract: ReadNPY accepts format versions 1.0, 2.0 and 3.0, the dtypes f2,
// f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 and b1 in any byte order, and
// Fortran-ordered data, which it transposes to C order. Input is untrusted:
// it never panics, refuses shapes whose data would exceed maxDataBytes, and
// reads data in bounded chunks so that memory grows with the bytes actually
// present rather than with the size a header claims. WriteNPY writes exactly
// the bytes numpy 1.24's np.save writes for a C-ordered float32 array.

package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Array is an n-dimensional array read from or written to .npy, in C order.
type Array struct {
	Shape []int
	// DType is the numpy descr without byte order: "f2", "f4", "f8", "i1",
	// "i2", "i4", "i8", "u1", "u2", "u4", "u8" or "b1".
	DType string
	// Data holds the values converted to float32: exact for f2 and f4, and
	// for integers up to 2^24; f8 and larger integers are rounded.
	Data []float32
	// Ints is set (as well as Data) for integer and bool dtypes, exact
	// (u8 values of 2^63 and above wrap to negative numbers).
	Ints []int64
}

// Size returns the number of elements, the product of Shape (1 for a scalar).
func (a *Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

const (
	npyMagic     = "\x93NUMPY"
	maxHeaderLen = 1 << 20        // bytes of header dict
	maxDataBytes = int64(1 << 40) // larger shapes are refused as overflowing
	maxDims      = 64
	ioChunk      = 1 << 16 // a multiple of every item size
)

var npyItemSize = map[string]int{
	"f2": 2, "f4": 4, "f8": 8,
	"i1": 1, "i2": 2, "i4": 4, "i8": 8,
	"u1": 1, "u2": 2, "u4": 4, "u8": 8,
	"b1": 1,
}

func isIntDType(dt string) bool { return dt != "" && dt[0] != 'f' }

// ReadNPY reads one .npy array from r. It reads nothing past the array data.
func ReadNPY(r io.Reader) (*Array, error) { return readNPY(r, -1, false) }

// ReadNPYFile reads the .npy file at path.
func ReadNPYFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		limit = st.Size()
	}
	a, err := readNPY(f, limit, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// readNPY reads an array from r, which holds at most limit bytes (limit < 0:
// unknown). A known limit lets it refuse short input before allocating;
// present says the limit bytes are really there (a file, not a deflated
// stream), so that it may allocate for them all at once.
func readNPY(r io.Reader, limit int64, present bool) (*Array, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New("npy: not a .npy file (bad magic)")
	}
	lenSize := 4
	switch pre[6] {
	case 1:
		lenSize = 2
	case 2, 3:
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if _, err := io.ReadFull(r, pre[8:8+lenSize]); err != nil {
		return nil, fmt.Errorf("npy: reading header length: %w", noEOF(err))
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[8:12]))
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf("npy: header length %d too large", hlen)
	}
	used := int64(8 + lenSize)
	if limit >= 0 && hlen > limit-used {
		return nil, fmt.Errorf("npy: header truncated: want %d bytes, got %d", hlen, max(0, limit-used))
	}
	hdr, err := io.ReadAll(io.LimitReader(r, hlen))
	if err != nil {
		return nil, fmt.Errorf("npy: reading header: %w", err)
	}
	if int64(len(hdr)) < hlen {
		return nil, fmt.Errorf("npy: header truncated: want %d bytes, got %d", hlen, len(hdr))
	}
	used += hlen
	descr, fortran, shape, err := parseHeader(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	dt, order := descr, byte('=')
	if descr != "" && strings.IndexByte("<>|=", descr[0]) >= 0 {
		dt, order = descr[1:], descr[0]
	}
	size, ok := npyItemSize[dt]
	if !ok {
		return nil, fmt.Errorf("npy: header: unknown descr '%s'", descr)
	}
	count, err := shapeCount(shape, size)
	if err != nil {
		return nil, err
	}
	nbytes := count * int64(size)
	if limit >= 0 && nbytes > limit-used {
		return nil, fmt.Errorf("npy: data truncated: want %d bytes, got %d", nbytes, max(0, limit-used))
	}
	n := count
	if !present { // grow chunk by chunk with the data actually read
		n = min(count, ioChunk/int64(size))
	}
	a := &Array{Shape: shape, DType: dt, Data: make([]float32, 0, n)}
	if isIntDType(dt) {
		a.Ints = make([]int64, 0, n)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if order == '>' {
		bo = binary.BigEndian
	}
	buf := make([]byte, min(nbytes, ioChunk))
	for got := int64(0); got < nbytes; {
		n, err := io.ReadFull(r, buf[:min(nbytes-got, ioChunk)])
		got += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("npy: data truncated: want %d bytes, got %d", nbytes, got)
		} else if err != nil {
			return nil, fmt.Errorf("npy: reading data: %w", err)
		}
		a.decode(buf[:n], size, bo)
	}
	if fortran {
		a.Data, a.Ints = fortranToC(shape, a.Data, a.Ints)
	}
	return a, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decode appends the values in b, whole items of the given size, to a.
func (a *Array) decode(b []byte, size int, bo binary.ByteOrder) {
	ints := a.Ints != nil
	for ; len(b) >= size; b = b[size:] {
		var f float32
		var v int64
		switch a.DType {
		case "f2":
			f = halfToFloat32(bo.Uint16(b))
		case "f4":
			f = math.Float32frombits(bo.Uint32(b))
		case "f8":
			f = float32(math.Float64frombits(bo.Uint64(b)))
		case "i1":
			v = int64(int8(b[0]))
		case "i2":
			v = int64(int16(bo.Uint16(b)))
		case "i4":
			v = int64(int32(bo.Uint32(b)))
		case "i8":
			v = int64(bo.Uint64(b))
		case "u1":
			v = int64(b[0])
		case "u2":
			v = int64(bo.Uint16(b))
		case "u4":
			v = int64(bo.Uint32(b))
		case "u8":
			u := bo.Uint64(b)
			v, f = int64(u), float32(u)
		case "b1":
			if b[0] != 0 {
				v = 1
			}
		}
		if ints {
			if a.DType != "u8" {
				f = float32(v)
			}
			a.Ints = append(a.Ints, v)
		}
		a.Data = append(a.Data, f)
	}
}

// shapeCount returns the element count of shape, refusing negative
// dimensions, too many dimensions, and data over maxDataBytes.
func shapeCount(shape []int, itemSize int) (int64, error) {
	if len(shape) > maxDims {
		return 0, fmt.Errorf("npy: shape has %d dimensions, more than %d", len(shape), maxDims)
	}
	zero := false
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("npy: shape %s has a negative dimension", shapeString(shape))
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, nil
	}
	n, limit := int64(1), min(maxDataBytes, math.MaxInt)/int64(itemSize)
	for _, d := range shape {
		if int64(d) > limit/n {
			return 0, fmt.Errorf("npy: shape %s overflows", shapeString(shape))
		}
		n *= int64(d)
	}
	return n, nil
}

// shapeString formats shape as a Python tuple: (), (5,), (3, 4).
func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// fortranToC reorders Fortran-ordered data to C order. Element j of the
// Fortran order has index (j mod s0, j/s0 mod s1, ...).
func fortranToC(shape []int, data []float32, ints []int64) ([]float32, []int64) {
	if len(shape) < 2 || len(data) == 0 {
		return data, ints
	}
	strides := make([]int, len(shape))
	s := 1
	for k := len(shape) - 1; k >= 0; k-- {
		strides[k] = s
		s *= shape[k]
	}
	outD := make([]float32, len(data))
	var outI []int64
	if ints != nil {
		outI = make([]int64, len(ints))
	}
	for j := range data {
		c, rem := 0, j
		for k, d := range shape {
			c += rem % d * strides[k]
			rem /= d
		}
		outD[c] = data[j]
		if ints != nil {
			outI[c] = ints[j]
		}
	}
	return outD, outI
}

// pyLit scans the Python dict literal of a .npy header.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) errf(format string, args ...any) error {
	return fmt.Errorf(format+" at offset %d", append(args, p.i)...)
}

func (p *pyLit) ws() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// eat skips white space, then consumes c if it comes next.
func (p *pyLit) eat(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) str() (string, error) {
	if !p.eat('\'') && !p.eat('"') {
		return "", p.errf("expected string")
	}
	q := p.s[p.i-1]
	end := strings.IndexByte(p.s[p.i:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i : p.i+end]
	p.i += end + 1
	return v, nil
}

func (p *pyLit) boolean() (bool, error) {
	p.ws()
	for _, w := range []string{"False", "True"} {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, p.errf("expected True or False")
}

func (p *pyLit) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errf("expected '('")
	}
	shape := []int{}
	for !p.eat(')') {
		if len(shape) == maxDims {
			return nil, p.errf("more than %d dimensions", maxDims)
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		d, err := strconv.Atoi(p.s[j:p.i])
		if err != nil {
			return nil, p.errf("bad dimension %q", p.s[j:p.i])
		}
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, p.errf("expected ',' or ')'")
			}
			break
		}
	}
	return shape, nil
}

// parseHeader parses a header dict such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseHeader(s string) (descr string, fortran bool, shape []int, err error) {
	p := &pyLit{s: s}
	if !p.eat('{') {
		return "", false, nil, p.errf("expected '{'")
	}
	seen := map[string]bool{}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return "", false, nil, err
		}
		if seen[key] {
			return "", false, nil, fmt.Errorf("duplicate key '%s'", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return "", false, nil, p.errf("expected ':'")
		}
		switch key {
		case "descr":
			if p.eat('[') {
				return "", false, nil, errors.New("unsupported descr: structured dtype")
			}
			descr, err = p.str()
		case "fortran_order":
			fortran, err = p.boolean()
		case "shape":
			shape, err = p.tuple()
		default:
			err = fmt.Errorf("unexpected key '%s'", key)
		}
		if err != nil {
			return "", false, nil, err
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return "", false, nil, p.errf("expected ',' or '}'")
			}
			break
		}
	}
	if p.ws(); p.i != len(s) {
		return "", false, nil, p.errf("unexpected text after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("missing key '%s'", k)
		}
	}
	return descr, fortran, shape, nil
}

// WriteNPY writes data, of the given shape in C order, as a '<f4' .npy with
// a version 1.0 header padded per the spec (what np.save writes).
func WriteNPY(w io.Writer, shape []int, data []float32) error {
	return writeNPY(w, &Array{Shape: shape, DType: "f4", Data: data})
}

// WriteNPYFile writes data as a '<f4' .npy file at path, like WriteNPY.
func WriteNPYFile(path string, shape []int, data []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteNPY(f, shape, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeNPY writes a little-endian in its DType ("" means f4). Integer and
// bool dtypes take their values from Ints when it has Size() elements, else
// from Data.
func writeNPY(w io.Writer, a *Array) error {
	dt := a.DType
	if dt == "" {
		dt = "f4"
	}
	size, ok := npyItemSize[dt]
	if !ok {
		return fmt.Errorf("npy: unknown dtype '%s'", dt)
	}
	n, err := shapeCount(a.Shape, size)
	if err != nil {
		return err
	}
	ints := isIntDType(dt) && int64(len(a.Ints)) == n
	if !ints && int64(len(a.Data)) != n {
		return fmt.Errorf("npy: shape %s needs %d values, got %d", shapeString(a.Shape), n, len(a.Data))
	}
	descr := "<" + dt
	if size == 1 {
		descr = "|" + dt
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeString(a.Shape))
	if len(a.Shape) > 0 { // numpy leaves room to grow the first axis in place
		h += strings.Repeat(" ", max(0, 21-len(strconv.Itoa(a.Shape[0]))))
	}
	pad := 64 - (10+len(h)+1)%64
	buf := make([]byte, 0, ioChunk+8)
	buf = append(buf, npyMagic+"\x01\x00"...)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(h)+1+pad))
	buf = append(append(append(buf, h...), strings.Repeat(" ", pad)...), '\n')
	le := binary.LittleEndian
	for i := 0; i < int(n); i++ {
		var f float32
		var v int64
		if ints {
			v = a.Ints[i]
		} else {
			f, v = a.Data[i], int64(a.Data[i])
		}
		switch dt {
		case "f2":
			buf = le.AppendUint16(buf, float32ToHalf(f))
		case "f4":
			buf = le.AppendUint32(buf, math.Float32bits(f))
		case "f8":
			buf = le.AppendUint64(buf, math.Float64bits(float64(f)))
		case "b1":
			buf = append(buf, boolByte(v != 0))
		case "i1", "u1":
			buf = append(buf, byte(v))
		case "i2", "u2":
			buf = le.AppendUint16(buf, uint16(v))
		case "i4", "u4":
			buf = le.AppendUint32(buf, uint32(v))
		default: // i8, u8
			buf = le.AppendUint64(buf, uint64(v))
		}
		if len(buf) >= ioChunk {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err = w.Write(buf)
	return err
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, mant := uint32(h>>10)&0x1f, uint32(h&0x3ff)
	switch exp {
	case 0: // zero or subnormal: mant * 2^-24
		return math.Float32frombits(sign | math.Float32bits(float32(mant)/(1<<24)))
	case 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// float32ToHalf rounds f to the nearest binary16 value, ties to even.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp, mant := int(b>>23&0xff), b&0x7fffff
	if exp == 0xff { // inf or NaN (kept quiet)
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 112 // half exponent field
	if e >= 0x1f {
		return sign | 0x7c00
	}
	shift := uint32(13)
	full := mant
	if e <= 0 { // half subnormal: mant * 2^-24 with the implicit bit made explicit
		if e < -10 {
			return sign
		}
		full |= 0x800000
		shift = uint32(14 - e)
		e = 0
	}
	m := uint32(e)<<10 | full>>shift
	rem, half := full&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || rem == half && m&1 == 1 {
		m++ // may carry into the exponent, up to inf: still correct
	}
	return sign | uint16(m)
}
