package passes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// A tiny float64 reference interpreter for the ops the pass tests use. It follows the op
// table's documentation (ir/ops.go) and runtime/conv.go's convolution contract, written
// independently of the passes and of the generated code.

// tensor is a dense C-order float64 array.
type tensor struct {
	shape []int
	data  []float64
}

func newTensor(shape ...int) tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor{append([]int{}, shape...), make([]float64, n)}
}

// concrete replaces the batch dimension by n; other symbols are not supported.
func concrete(s ir.Shape, n int) ([]int, error) {
	out := make([]int, len(s))
	for i, d := range s {
		switch {
		case d == ir.Batch:
			out[i] = n
		case d.Static():
			out[i] = int(d)
		default:
			return nil, fmt.Errorf("symbolic dim %v", d)
		}
	}
	return out, nil
}

// randomInputs makes uniform [-1, 1) inputs for g with batch n.
func randomInputs(t testing.TB, g *ir.Graph, n int, rng *rand.Rand) []tensor {
	t.Helper()
	var ins []tensor
	for _, x := range g.Inputs {
		s, err := concrete(x.Type.Shape, n)
		if err != nil {
			t.Fatal(err)
		}
		v := newTensor(s...)
		for i := range v.data {
			v.data[i] = 2*rng.Float64() - 1
		}
		ins = append(ins, v)
	}
	return ins
}

// eval runs g on inputs (one per g.Inputs) with batch n and returns its outputs.
func eval(g *ir.Graph, inputs []tensor, n int) ([]tensor, error) {
	env := map[*ir.Value]tensor{}
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("%d inputs for %d", len(inputs), len(g.Inputs))
	}
	for i, x := range g.Inputs {
		env[x] = inputs[i]
	}
	for _, c := range g.Consts {
		s, err := concrete(c.Type.Shape, n)
		if err != nil {
			return nil, err
		}
		v := newTensor(s...)
		for i, f := range c.Data {
			v.data[i] = float64(f)
		}
		env[c] = v
	}
	for _, op := range g.Ops {
		in := make([]tensor, len(op.In))
		for i, x := range op.In {
			v, ok := env[x]
			if !ok {
				return nil, fmt.Errorf("%s (layer %s): input %s not computed", op.Kind, op.Layer, x.Name)
			}
			in[i] = v
		}
		out, err := evalOp(op, in, n)
		if err != nil {
			return nil, fmt.Errorf("%s (layer %s): %w", op.Kind, op.Layer, err)
		}
		want, err := concrete(op.Out[0].Type.Shape, n)
		if err != nil {
			return nil, err
		}
		if fmt.Sprint(want) != fmt.Sprint(out.shape) {
			return nil, fmt.Errorf("%s (layer %s): interpreter gives shape %v, the IR says %v", op.Kind, op.Layer, out.shape, want)
		}
		env[op.Out[0]] = out
	}
	var outs []tensor
	for _, v := range g.Outputs {
		outs = append(outs, env[v])
	}
	return outs, nil
}

func evalOp(op *ir.Op, in []tensor, n int) (tensor, error) {
	a := op.Attrs
	var out tensor
	switch op.Kind {
	case "Identity", "Dropout":
		return tensor{in[0].shape, append([]float64{}, in[0].data...)}, nil
	case "Reshape":
		var s []int
		for _, d := range a.Ints("shape") {
			if d == int(ir.Batch) {
				d = n
			}
			s = append(s, d)
		}
		return tensor{s, append([]float64{}, in[0].data...)}, nil
	case "MatMul":
		x, w := in[0], in[1]
		k, m := w.shape[0], w.shape[1]
		rows := len(x.data) / k
		out = newTensor(append(append([]int{}, x.shape[:len(x.shape)-1]...), m)...)
		for r := 0; r < rows; r++ {
			for j := 0; j < m; j++ {
				s := 0.0
				for i := 0; i < k; i++ {
					s += x.data[r*k+i] * w.data[i*m+j]
				}
				if op.Bias() != nil {
					s += in[2].data[j]
				}
				out.data[r*m+j] = s
			}
		}
		return out, withResidual(op, out, in)
	case "Resize":
		if a.String("mode", "") != "nearest" {
			return out, fmt.Errorf("Resize mode %q: the interpreter has only nearest", a.String("mode", ""))
		}
		size := a.Ints("size")
		return resizeNearest(in[0], size[0], size[1]), nil
	case "Conv", "DepthwiseConv":
		x := in[0]
		if a.Ints("upsample") != nil {
			x = resizeNearest(x, 2*x.shape[1], 2*x.shape[2])
		}
		out = conv(op.Kind, x, in[1], a)
		if op.Bias() != nil {
			addBias(out, in[2])
		}
		mp := a.Ints("maxpool")
		if err := withResidual(op, out, in); err != nil || mp == nil {
			return out, err
		}
		return pool(out, "max", mp, mp, []int{0, 0, 0, 0}), nil
	case "Pool":
		return pool(in[0], a.String("mode", ""), a.Ints("window"), a.Ints("strides"), a.Ints("pads")), nil
	case "ConvTranspose":
		out = convTranspose(in[0], in[1], a)
		if len(in) == 3 {
			addBias(out, in[2])
		}
	case "BatchNorm":
		x := in[0]
		c := x.shape[len(x.shape)-1]
		eps := a.Float("eps", 0)
		next := 3
		var gamma, beta []float64
		if a.Bool("has_gamma", false) {
			gamma, next = in[next].data, next+1
		}
		if a.Bool("has_beta", false) {
			beta = in[next].data
		}
		out = newTensor(x.shape...)
		for i, v := range x.data {
			ch := i % c
			y := (v - in[1].data[ch]) / math.Sqrt(in[2].data[ch]+eps)
			if gamma != nil {
				y *= gamma[ch]
			}
			if beta != nil {
				y += beta[ch]
			}
			out.data[i] = y
		}
		return out, nil
	case "Affine":
		x := in[0]
		c := x.shape[len(x.shape)-1]
		param := func(p tensor, i int) float64 {
			if len(p.data) == 1 {
				return p.data[0]
			}
			return p.data[i%c]
		}
		out = newTensor(x.shape...)
		for i, v := range x.data {
			y := v * param(in[1], i)
			if len(in) == 3 {
				y += param(in[2], i)
			}
			out.data[i] = y
		}
		return out, nil
	case "Pad":
		return pad(in[0], a.Ints("before"), a.Ints("after"), a.Float("value", 0)), nil
	case "Unary":
		out = tensor{in[0].shape, append([]float64{}, in[0].data...)}
		return out, activate(out, a.String("fn", ""), a)
	case "Binary":
		return binary(a.String("fn", ""), in[0], in[1])
	case "Softmax":
		x := in[0]
		if a.Int("axis", -1) != -1 && a.Int("axis", -1) != len(x.shape)-1 {
			return out, fmt.Errorf("softmax over axis %d", a.Int("axis", -1))
		}
		c := x.shape[len(x.shape)-1]
		out = newTensor(x.shape...)
		for r := 0; r < len(x.data)/c; r++ {
			row := x.data[r*c : (r+1)*c]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			s := 0.0
			for i, v := range row {
				out.data[r*c+i] = math.Exp(v - m)
				s += out.data[r*c+i]
			}
			for i := range row {
				out.data[r*c+i] /= s
			}
		}
		return out, nil
	case "Transpose":
		return transpose(in[0], a.Ints("perm")), nil
	case "BatchMatMul":
		return batchMatMul(in[0], in[1], a), nil
	default:
		return out, fmt.Errorf("the test interpreter does not support %s", op.Kind)
	}
	// The ops with a fused activation.
	return out, activate(out, a.String("act", "linear"), a)
}

// transpose returns x with its axes permuted: axis i of the result is axis perm[i] of x.
func transpose(x tensor, perm []int) tensor {
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = x.shape[p]
	}
	out := newTensor(shape...)
	strides := make([]int, len(x.shape)) // x's
	for i, st := len(x.shape)-1, 1; i >= 0; i-- {
		strides[i], st = st, st*x.shape[i]
	}
	idx := make([]int, len(shape))
	for k := range out.data {
		rem, xi := k, 0
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i] = rem % shape[i]
			rem /= shape[i]
		}
		for i, p := range perm {
			xi += idx[i] * strides[p]
		}
		out.data[k] = x.data[xi]
	}
	return out
}

// batchMatMul is BatchMatMul by its definition (ir/ops.go): each operand is first brought to
// the layout the product works on (heads swapped back where swap_a / swap_b say, its last two
// axes exchanged where transpose_a / transpose_b say), the matrices multiplied, and the
// result's heads swapped where swap_y says.
func batchMatMul(x, y tensor, a ir.Attrs) tensor {
	axes := func(r int, swap ...int) []int {
		perm := make([]int, r)
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i+1 < len(swap); i += 2 {
			perm[swap[i]], perm[swap[i+1]] = perm[swap[i+1]], perm[swap[i]]
		}
		return perm
	}
	r := len(x.shape)
	if a.Bool("swap_a", false) {
		x = transpose(x, axes(r, r-3, r-2))
	}
	if a.Bool("swap_b", false) {
		y = transpose(y, axes(r, r-3, r-2))
	}
	if a.Bool("transpose_a", false) {
		x = transpose(x, axes(r, r-2, r-1))
	}
	if a.Bool("transpose_b", false) {
		y = transpose(y, axes(r, r-2, r-1))
	}
	m, k, n := x.shape[r-2], x.shape[r-1], y.shape[r-1]
	out := newTensor(append(append([]int{}, x.shape[:r-2]...), m, n)...)
	for b := 0; b < len(out.data)/(m*n); b++ {
		xs, ys, os := x.data[b*m*k:], y.data[b*k*n:], out.data[b*m*n:]
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for l := 0; l < k; l++ {
					s += xs[i*k+l] * ys[l*n+j]
				}
				os[i*n+j] = s
			}
		}
	}
	if a.Bool("swap_y", false) {
		out = transpose(out, axes(r, r-3, r-2))
	}
	return out
}

// pad pads x with value: before[i] and after[i] entries on axis i.
func pad(x tensor, before, after []int, value float64) tensor {
	shape := make([]int, len(x.shape))
	for i, d := range x.shape {
		shape[i] = d + before[i] + after[i]
	}
	out := newTensor(shape...)
	for i := range out.data {
		out.data[i] = value
	}
	idx := make([]int, len(x.shape))
	for _, v := range x.data {
		o := 0
		for i, d := range idx {
			o = o*shape[i] + d + before[i]
		}
		out.data[o] = v
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < x.shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// withResidual applies op's activation to out, adding op's residual input (the last of in)
// before or after it as its residual attribute says.
func withResidual(op *ir.Op, out tensor, in []tensor) error {
	a := op.Attrs
	res := op.Residual() != nil
	add := func() {
		for i := range out.data {
			out.data[i] += in[len(in)-1].data[i]
		}
	}
	if res && a.String("residual", "") == "before_act" {
		add()
	}
	if err := activate(out, a.String("act", "linear"), a); err != nil {
		return err
	}
	if res && a.String("residual", "") == "after_act" {
		add()
	}
	return nil
}

// activate applies an activation (or a Unary math function) in place.
func activate(x tensor, fn string, a ir.Attrs) error {
	var f func(float64) float64
	switch fn {
	case "linear":
		return nil
	case "relu":
		f = func(v float64) float64 { return math.Max(v, 0) }
	case "leaky_relu":
		alpha := a.Float("alpha", 0.2)
		f = func(v float64) float64 {
			if v < 0 {
				return alpha * v
			}
			return v
		}
	case "tanh":
		f = math.Tanh
	case "sigmoid":
		f = func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	case "exp":
		f = math.Exp
	case "relu_full": // Keras ReLU(max_value, negative_slope=alpha, threshold)
		alpha, thr, mx := a.Float("alpha", 0), a.Float("threshold", 0), a.Float("max_value", math.Inf(1))
		f = func(v float64) float64 {
			switch {
			case v >= mx:
				return mx
			case v >= thr:
				return v
			}
			return alpha * (v - thr)
		}
	default:
		return fmt.Errorf("the test interpreter does not support function %q", fn)
	}
	for i, v := range x.data {
		x.data[i] = f(v)
	}
	return nil
}

// binary applies fn with numpy broadcasting.
func binary(fn string, x, y tensor) (tensor, error) {
	var f func(a, b float64) float64
	switch fn {
	case "add":
		f = func(a, b float64) float64 { return a + b }
	case "mul":
		f = func(a, b float64) float64 { return a * b }
	default:
		return tensor{}, fmt.Errorf("the test interpreter does not support Binary %q", fn)
	}
	r := max(len(x.shape), len(y.shape))
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	xs, ys := pad(x.shape), pad(y.shape)
	shape := make([]int, r)
	for i := range shape {
		switch {
		case xs[i] == ys[i], ys[i] == 1:
			shape[i] = xs[i]
		case xs[i] == 1:
			shape[i] = ys[i]
		default:
			return tensor{}, fmt.Errorf("shapes %v and %v do not broadcast", x.shape, y.shape)
		}
	}
	out := newTensor(shape...)
	idx := make([]int, r)
	for k := range out.data {
		rem := k
		for i := r - 1; i >= 0; i-- {
			idx[i] = rem % shape[i]
			rem /= shape[i]
		}
		xi, yi := 0, 0
		for i := 0; i < r; i++ {
			xi = xi*xs[i] + idx[i]%xs[i]
			yi = yi*ys[i] + idx[i]%ys[i]
		}
		out.data[k] = f(x.data[xi], y.data[yi])
	}
	return out, nil
}

func addBias(x, b tensor) {
	c := len(b.data)
	for i := range x.data {
		x.data[i] += b.data[i%c]
	}
}

// conv computes a Conv (groups allowed) or DepthwiseConv: output pixel (oh, ow) reads input
// pixel (oh*SH + kh*DH - padTop, ow*SW + kw*DW - padLeft); outside reads zero.
// resizeNearest is tf.image.resize's nearest neighbour with half-pixel centers (as
// runtime.ResizeNearest): output row i reads row floor((i + 0.5)·h/oh), columns likewise.
func resizeNearest(x tensor, oh, ow int) tensor {
	n, h, w, c := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	out := newTensor(n, oh, ow, c)
	for b := 0; b < n; b++ {
		for i := 0; i < oh; i++ {
			si := min(int((float64(i)+0.5)*float64(h)/float64(oh)), h-1)
			for j := 0; j < ow; j++ {
				sj := min(int((float64(j)+0.5)*float64(w)/float64(ow)), w-1)
				copy(out.data[((b*oh+i)*ow+j)*c:][:c], x.data[((b*h+si)*w+sj)*c:][:c])
			}
		}
	}
	return out
}

func conv(kind string, x, w tensor, a ir.Attrs) tensor {
	st, dl, pd := a.Ints("strides"), a.Ints("dilations"), a.Ints("pads")
	n, h, wd, c := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw, wc, wm := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	oh := (h+pd[0]+pd[1]-((kh-1)*dl[0]+1))/st[0] + 1
	ow := (wd+pd[2]+pd[3]-((kw-1)*dl[1]+1))/st[1] + 1
	oc := wm
	if kind == "DepthwiseConv" {
		oc = c * wm
	}
	groups := a.Int("groups", 1)
	out := newTensor(n, oh, ow, oc)
	for b := 0; b < n; b++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				for o := 0; o < oc; o++ {
					s := 0.0
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							iy, ix := y*st[0]+i*dl[0]-pd[0], xx*st[1]+j*dl[1]-pd[2]
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							px := x.data[((b*h+iy)*wd+ix)*c:]
							if kind == "DepthwiseConv" {
								ch, m := o/wm, o%wm
								s += px[ch] * w.data[((i*kw+j)*wc+ch)*wm+m]
								continue
							}
							g := o / (oc / groups)
							for ci := 0; ci < wc; ci++ {
								s += px[g*wc+ci] * w.data[((i*kw+j)*wc+ci)*wm+o]
							}
						}
					}
					out.data[((b*oh+y)*ow+xx)*oc+o] = s
				}
			}
		}
	}
	return out
}

// pool is an NHWC pooling: output pixel (oh, ow) takes the maximum (mode max) or the mean
// (avg) of the input pixels (oh*SH + kh - padTop, ow*SW + kw - padLeft) inside the input.
func pool(x tensor, mode string, win, st, pd []int) tensor {
	n, h, wd, c := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh := (h+pd[0]+pd[1]-win[0])/st[0] + 1
	ow := (wd+pd[2]+pd[3]-win[1])/st[1] + 1
	out := newTensor(n, oh, ow, c)
	if mode == "max" {
		for i := range out.data {
			out.data[i] = math.Inf(-1)
		}
	}
	for b := 0; b < n; b++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				o := out.data[((b*oh+y)*ow+xx)*c:][:c]
				taps := 0.0
				for i := 0; i < win[0]; i++ {
					for j := 0; j < win[1]; j++ {
						iy, ix := y*st[0]+i-pd[0], xx*st[1]+j-pd[2]
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							continue
						}
						taps++
						for ch, v := range x.data[((b*h+iy)*wd+ix)*c:][:c] {
							if mode == "max" {
								o[ch] = math.Max(o[ch], v)
							} else {
								o[ch] += v
							}
						}
					}
				}
				if mode == "avg" {
					for ch := range o {
						o[ch] /= taps
					}
				}
			}
		}
	}
	return out
}

// convTranspose: input pixel (ih, iw) adds x·w[kh,kw] (w is [KH,KW,OC,C]) to output pixel
// (ih*SH + kh*DH - cropTop, iw*SW + kw*DW - cropLeft) when inside the out_size output.
func convTranspose(x, w tensor, a ir.Attrs) tensor {
	st, dl, sz, crop := a.Ints("strides"), a.Ints("dilations"), a.Ints("out_size"), a.Ints("crop")
	n, h, wd, c := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw, oc := w.shape[0], w.shape[1], w.shape[2]
	out := newTensor(n, sz[0], sz[1], oc)
	for b := 0; b < n; b++ {
		for iy := 0; iy < h; iy++ {
			for ix := 0; ix < wd; ix++ {
				for i := 0; i < kh; i++ {
					for j := 0; j < kw; j++ {
						y, xx := iy*st[0]+i*dl[0]-crop[0], ix*st[1]+j*dl[1]-crop[1]
						if y < 0 || y >= sz[0] || xx < 0 || xx >= sz[1] {
							continue
						}
						for o := 0; o < oc; o++ {
							s := 0.0
							for ci := 0; ci < c; ci++ {
								s += x.data[((b*h+iy)*wd+ix)*c+ci] * w.data[((i*kw+j)*oc+o)*c+ci]
							}
							out.data[((b*sz[0]+y)*sz[1]+xx)*oc+o] += s
						}
					}
				}
			}
		}
	}
	return out
}

// compareOutputs checks that got agrees with want to tol relative to each element's
// magnitude, with a floor of 1 (or 1e-2 of the largest magnitude in the tensor, if
// larger): |got-want| ≤ tol·max(|got|, |want|, floor). Folded weights and biases are
// rounded to float32 (relative error ~6e-8 each), and an element whose O(1) terms cancel
// to nearly zero keeps that error on the scale of its terms, not of its value; through a
// few folded layers it grows to ~1e-6. A wrong rewrite gives errors of order 0.1 to 1.
func compareOutputs(t testing.TB, want, got []tensor, tol float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d outputs, want %d", len(got), len(want))
	}
	for k := range want {
		w, g := want[k], got[k]
		if fmt.Sprint(w.shape) != fmt.Sprint(g.shape) {
			t.Errorf("output %d: shape %v, want %v", k, g.shape, w.shape)
			continue
		}
		scale := 0.0
		for _, v := range w.data {
			scale = math.Max(scale, math.Abs(v))
		}
		floor := math.Max(1e-2*scale, 1)
		bad := 0
		for i := range w.data {
			d := math.Abs(w.data[i] - g.data[i])
			if d > tol*math.Max(floor, math.Max(math.Abs(w.data[i]), math.Abs(g.data[i]))) || math.IsNaN(g.data[i]) {
				if bad < 5 {
					t.Errorf("output %d element %d: got %.9g, want %.9g", k, i, g.data[i], w.data[i])
				}
				bad++
			}
		}
		if bad > 5 {
			t.Errorf("output %d: %d elements differ in all", k, bad)
		}
	}
}

// TestInterpreter checks the reference interpreter itself on hand-computed cases, so that
// the equivalence tests rest on a known-good evaluator.
func TestInterpreter(t *testing.T) {
	ones := func(shape ...int) tensor {
		v := newTensor(shape...)
		for i := range v.data {
			v.data[i] = 1
		}
		return v
	}
	// A 3x3 all-ones kernel over a 3x3 all-ones image with 'same' padding counts each
	// pixel's in-image neighbours: 4 at corners, 6 at edges, 9 in the middle.
	y := conv("Conv", ones(1, 3, 3, 1), ones(3, 3, 1, 1), convAttrs(pad1))
	if want := []float64{4, 6, 4, 6, 9, 6, 4, 6, 4}; fmt.Sprint(y.data) != fmt.Sprint(want) {
		t.Errorf("conv 3x3 same: %v, want %v", y.data, want)
	}
	// 1x1 conv mixing 2 channels into 3: out[o] = sum_c x[c]*w[c,o].
	x := tensor{[]int{1, 1, 1, 2}, []float64{1, 2}}
	w := tensor{[]int{1, 1, 2, 3}, []float64{1, 2, 3, 4, 5, 6}}
	if y := conv("Conv", x, w, convAttrs(pad0)); fmt.Sprint(y.data) != "[9 12 15]" {
		t.Errorf("conv 1x1: %v, want [9 12 15]", y.data)
	}
	// Depthwise: channel c*M+m = x[c]*w[c,m].
	w = tensor{[]int{1, 1, 2, 2}, []float64{1, 2, 3, 4}}
	if y := conv("DepthwiseConv", x, w, convAttrs(pad0)); fmt.Sprint(y.data) != "[1 2 6 8]" {
		t.Errorf("depthwise: %v, want [1 2 6 8]", y.data)
	}
	// Transposed 2x2 stride 2 over one pixel spreads it over a 2x2 block; w [2,2,OC=1,C=2].
	w = tensor{[]int{2, 2, 1, 2}, []float64{1, 0, 0, 1, 1, 1, 2, 0}}
	tr := ir.Attrs{"strides": []int{2, 2}, "dilations": one2, "out_size": []int{2, 2}, "crop": []int{0, 0}}
	if y := convTranspose(x, w, tr); fmt.Sprint(y.data) != "[1 2 3 2]" {
		t.Errorf("conv transpose: %v, want [1 2 3 2]", y.data)
	}
	// Broadcast add of [2,1] and [3].
	s, err := binary("add", tensor{[]int{2, 1}, []float64{10, 20}}, tensor{[]int{3}, []float64{1, 2, 3}})
	if err != nil || fmt.Sprint(s.data) != "[11 12 13 21 22 23]" {
		t.Errorf("broadcast add: %v %v", s.data, err)
	}
	// [1, 2, 3] transposed to [3, 2, 1]: element (i, j, 0) is x (0, j, i).
	x = tensor{[]int{1, 2, 3}, []float64{1, 2, 3, 4, 5, 6}}
	if y := transpose(x, []int{2, 1, 0}); fmt.Sprint(y.shape, y.data) != "[3 2 1] [1 4 2 5 3 6]" {
		t.Errorf("transpose: %v %v", y.shape, y.data)
	}
	// Two 1×2 · 2×1 products: [1 2]·[3 4]ᵀ = 11, [5 6]·[7 8]ᵀ = 83; with transpose_b the
	// second operand is given as 1×2 rows.
	p := tensor{[]int{2, 1, 2}, []float64{1, 2, 5, 6}}
	q := tensor{[]int{2, 1, 2}, []float64{3, 4, 7, 8}}
	if y := batchMatMul(p, q, ir.Attrs{"transpose_b": true}); fmt.Sprint(y.shape, y.data) != "[2 1 1] [11 83]" {
		t.Errorf("batch matmul: %v %v", y.shape, y.data)
	}
	// Heads swapped: a [1, T=2, H=2, D=1] operand is the [1, H, T, D] one transposed, so
	// head 0 is (1, 3) and head 1 (2, 4); times q [1, H, K=1, N=1], 10 and 100 by head.
	p = tensor{[]int{1, 2, 2, 1}, []float64{1, 2, 3, 4}}
	q = tensor{[]int{1, 2, 1, 1}, []float64{10, 100}}
	if y := batchMatMul(p, q, ir.Attrs{"swap_a": true}); fmt.Sprint(y.shape, y.data) != "[1 2 2 1] [10 30 200 400]" {
		t.Errorf("batch matmul, swap_a: %v %v", y.shape, y.data)
	}
	if y := batchMatMul(p, q, ir.Attrs{"swap_a": true, "swap_y": true}); fmt.Sprint(y.shape, y.data) != "[1 2 2 1] [10 200 30 400]" {
		t.Errorf("batch matmul, swap_a and swap_y: %v %v", y.shape, y.data)
	}
}
