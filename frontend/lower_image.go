package frontend

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of padding, cropping, upsampling and resizing layers (channels last).

func init() {
	lowerings["ZeroPadding1D"] = lowerPadCrop
	lowerings["ZeroPadding2D"] = lowerPadCrop
	lowerings["Cropping1D"] = lowerPadCrop
	lowerings["Cropping2D"] = lowerPadCrop
	lowerings["UpSampling1D"] = lowerUpSampling
	lowerings["UpSampling2D"] = lowerUpSampling
	lowerings["Resizing"] = lowerResizing
	lowerings["CenterCrop"] = lowerCenterCrop
}

// pairs reads Keras' padding/cropping config for rank spatial axes: an int (same on every
// side), one int per axis (symmetric), or a (before, after) pair per axis.
func pairs(cfg Config, key string, rank int) ([][2]int, error) {
	out := make([][2]int, rank)
	switch v := cfg[key].(type) {
	case float64:
		for i := range out {
			out[i] = [2]int{int(v), int(v)}
		}
		return out, nil
	case []any:
		if rank == 1 && len(v) == 2 {
			a, err1 := toInt(key, v[0])
			b, err2 := toInt(key, v[1])
			out[0] = [2]int{a, b}
			return out, firstErr(err1, err2)
		}
		if len(v) != rank {
			return nil, fmt.Errorf("config %q: want %d entries, got %v", key, rank, v)
		}
		for i, e := range v {
			switch p := e.(type) {
			case float64:
				out[i] = [2]int{int(p), int(p)}
			case []any:
				if len(p) != 2 {
					return nil, fmt.Errorf("config %q: want pairs, got %v", key, v)
				}
				a, err1 := toInt(key, p[0])
				b, err2 := toInt(key, p[1])
				if err := firstErr(err1, err2); err != nil {
					return nil, err
				}
				out[i] = [2]int{a, b}
			default:
				return nil, fmt.Errorf("config %q: %v", key, v)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("config %q missing", key)
}

func lowerPadCrop(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if l.Config.String("data_format", "channels_last") != "channels_last" {
		return nil, unsupportedf("data_format %q", l.Config.String("data_format", ""))
	}
	rank := spatialRank(l.Class)
	s := in[0].Type.Shape
	if len(s) != rank+2 {
		return nil, fmt.Errorf("input %v has rank %d, want %d", s, len(s), rank+2)
	}
	crop := l.Class[:4] == "Crop"
	key := "padding"
	if crop {
		key = "cropping"
	}
	p, err := pairs(l.Config, key, rank)
	if err != nil {
		return nil, err
	}
	before, after := make([]int, len(s)), make([]int, len(s))
	for i := 0; i < rank; i++ {
		before[1+i], after[1+i] = p[i][0], p[i][1]
	}
	if !crop {
		return one(c.Op("Pad", in, ir.Attrs{"before": before, "after": after}))
	}
	size := make([]int, len(s))
	for i := range size {
		size[i] = -1
		if i > 0 && i <= rank {
			if !s[i].Static() {
				return nil, unsupportedf("cropping an unknown length")
			}
			size[i] = int(s[i]) - before[i] - after[i]
		}
	}
	return one(c.Op("Slice", in, ir.Attrs{"begin": before, "size": size}))
}

func lowerUpSampling(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	rank := spatialRank(l.Class)
	if l.Config.String("data_format", "channels_last") != "channels_last" {
		return nil, unsupportedf("data_format %q", l.Config.String("data_format", ""))
	}
	key := "size"
	if rank == 1 && !l.Config.Has("size") {
		key = "length"
	}
	size, err := l.Config.IntsN(key, rank, 2)
	if err != nil {
		return nil, err
	}
	s := in[0].Type.Shape
	if rank == 2 && l.Config.String("interpolation", "nearest") == "bilinear" {
		if !s[1].Static() || !s[2].Static() {
			return nil, unsupportedf("upsampling an unknown size")
		}
		return one(c.Op("Resize", in, ir.Attrs{"mode": "bilinear", "size": []int{int(s[1]) * size[0], int(s[2]) * size[1]}}))
	}
	if m := l.Config.String("interpolation", "nearest"); m != "nearest" {
		return nil, unsupportedf("interpolation %q", m)
	}
	if rank == 2 && s[1].Static() && s[2].Static() {
		// Nearest with whole factors is the half-pixel nearest resize (output o reads
		// floor((o + 0.5)/s) = o div s): one op that builds each output row once and
		// copies it for its repeats, where two Repeats wrote a row-doubled tensor first.
		return one(c.Op("Resize", in, ir.Attrs{"mode": "nearest", "size": []int{int(s[1]) * size[0], int(s[2]) * size[1]}}))
	}
	x := in[0]
	for i := 0; i < rank; i++ {
		if x, err = c.Op("Repeat", []*ir.Value{x}, ir.Attrs{"axis": 1 + i, "times": size[i]}); err != nil {
			return nil, err
		}
	}
	return []*ir.Value{x}, nil
}

func lowerResizing(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if l.Config.Bool("crop_to_aspect_ratio", false) || l.Config.Bool("pad_to_aspect_ratio", false) {
		return nil, unsupportedf("crop_to_aspect_ratio / pad_to_aspect_ratio")
	}
	h, err1 := l.Config.Int("height", 0)
	w, err2 := l.Config.Int("width", 0)
	if err := firstErr(err1, err2); err != nil {
		return nil, err
	}
	mode := l.Config.String("interpolation", "bilinear")
	if mode != "bilinear" && mode != "nearest" {
		return nil, unsupportedf("interpolation %q", mode)
	}
	if s := in[0].Type.Shape; len(s) == 4 && s[1].Static() && s[2].Static() && int(s[1]) == h && int(s[2]) == w {
		// Resizing to the size the input already has statically: tf.image.resize returns the
		// images themselves then, as Keras' Resizing does through it (a pipeline's Resizing(256,
		// 256) before a model fed 256×256 images, as corpus potato-keras has).
		return one(c.Op("Identity", in[:1], nil))
	}
	return one(c.Op("Resize", in, ir.Attrs{"mode": mode, "size": []int{h, w}}))
}

func lowerCenterCrop(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	h, err1 := l.Config.Int("height", 0)
	w, err2 := l.Config.Int("width", 0)
	if err := firstErr(err1, err2); err != nil {
		return nil, err
	}
	s := in[0].Type.Shape
	if len(s) != 4 || !s[1].Static() || !s[2].Static() || int(s[1]) < h || int(s[2]) < w {
		return nil, unsupportedf("CenterCrop to %dx%d of %v", h, w, s)
	}
	top, left := (int(s[1])-h)/2, (int(s[2])-w)/2
	return one(c.Op("Slice", in, ir.Attrs{"begin": []int{0, top, left, 0}, "size": []int{-1, h, w, -1}}))
}
