package tfjs

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// storedSize is the byte size of one stored element of each dtype a weight may be stored as.
var storedSize = map[string]int{"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2}

// decodeGroup decodes the weights laid out back to back in data, the concatenated shards of
// one group (named by where). Bytes after the last weight are ignored, as TF.js does.
func decodeGroup(where string, specs []weightSpec, data []byte) ([]Weight, error) {
	out := make([]Weight, 0, len(specs))
	off := 0
	for _, s := range specs {
		stored, err := storedDType(s)
		if err != nil {
			return nil, err
		}
		n, err := numElements(s)
		if err != nil {
			return nil, err
		}
		size := storedSize[stored]
		if n > (len(data)-off)/size {
			need := "more than " + strconv.Itoa(math.MaxInt)
			if n <= math.MaxInt/size {
				need = strconv.Itoa(n * size)
			}
			return nil, fmt.Errorf("tfjs: weight %q %v %s needs %s bytes at offset %d but %s has only %d bytes",
				s.Name, s.Shape, stored, need, off, where, len(data))
		}
		raw := data[off : off+n*size]
		off += n * size
		out = append(out, Weight{Name: s.Name, Shape: s.Shape, DType: stored, Values: decodeValues(s, stored, raw, n)})
	}
	return out, nil
}

// storedDType validates a spec's dtype and quantization and returns the dtype of its bytes.
func storedDType(s weightSpec) (string, error) {
	q := s.Quantization
	if q == nil {
		switch s.DType {
		case "float32", "int32", "bool":
			return s.DType, nil
		case "string":
			return "", fmt.Errorf("tfjs: weight %q has dtype string: string weights are not supported", s.Name)
		}
		return "", fmt.Errorf("tfjs: weight %q has unsupported dtype %q (want float32, int32 or bool)", s.Name, s.DType)
	}
	switch q.DType {
	case "uint8", "uint16":
		if q.Scale == nil || q.Min == nil {
			return "", fmt.Errorf("tfjs: weight %q: %s quantization needs both scale and min", s.Name, q.DType)
		}
		if s.DType != "float32" && s.DType != "int32" {
			return "", fmt.Errorf("tfjs: weight %q: %s quantization of dtype %q (want float32 or int32)", s.Name, q.DType, s.DType)
		}
	case "float16":
		if s.DType != "float32" {
			return "", fmt.Errorf("tfjs: weight %q: float16 quantization of dtype %q (want float32)", s.Name, s.DType)
		}
	default:
		return "", fmt.Errorf("tfjs: weight %q has unsupported quantization dtype %q (want uint8, uint16 or float16)", s.Name, q.DType)
	}
	return q.DType, nil
}

// numElements returns the product of the spec's shape. A dimension of 0 makes it 0 whatever
// the others are; an overflowing product is reported as math.MaxInt, which no data can hold.
func numElements(s weightSpec) (int, error) {
	if s.Shape == nil {
		return 0, fmt.Errorf("tfjs: weight %q has no shape", s.Name)
	}
	n := 1
	for _, d := range s.Shape {
		if d < 0 {
			return 0, fmt.Errorf("tfjs: weight %q has a negative dimension in shape %v", s.Name, s.Shape)
		}
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range s.Shape {
		if n > math.MaxInt/d {
			return math.MaxInt, nil
		}
		n *= d
	}
	return n, nil
}

// decodeValues converts n little-endian elements of dtype stored to float32.
func decodeValues(s weightSpec, stored string, raw []byte, n int) []float32 {
	v := make([]float32, n)
	switch stored {
	case "float32":
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case "int32":
		for i := range v {
			v[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case "bool":
		for i, b := range raw {
			if b != 0 {
				v[i] = 1
			}
		}
	case "float16":
		for i := range v {
			v[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case "uint8", "uint16":
		q := s.Quantization
		for i := range v {
			var u uint16
			if stored == "uint8" {
				u = uint16(raw[i])
			} else {
				u = binary.LittleEndian.Uint16(raw[2*i:])
			}
			v[i] = dequantize(u, *q.Scale, *q.Min, s.DType == "int32")
		}
	}
	return v
}

// dequantize computes q*scale + min as tfjs-core does: in float64 (two roundings: the
// explicit conversion stops the compiler from fusing them into an FMA), stored as float32,
// or for int32 weights rounded first with JavaScript's Math.round (halves towards +Inf).
func dequantize(q uint16, scale, min float64, toInt bool) float32 {
	x := float64(float64(q)*scale) + min
	if toInt {
		r := math.Floor(x)
		if x-r >= 0.5 {
			r++
		}
		x = r
	}
	return float32(x)
}

// halfToFloat32 converts IEEE 754 binary16 bits to the float32 of the same value.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0: // zero or subnormal: mant * 2^-24, exact in float32
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f: // Inf or NaN (payload kept)
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
