package runtime

import (
	"math"
	"math/rand"
	"testing"
)

// TestConv2DGemmMatchesConv2D compares the im2col path with the direct Conv2D on random
// geometries (strides, dilations, padding, 1-D and 2-D, odd sizes), with guard bands around
// the output and the epilogue applied.
func TestConv2DGemmMatchesConv2D(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 300; i++ {
		p := ConvParams{
			N: 1 + rng.Intn(2), H: 1 + rng.Intn(9), W: 1 + rng.Intn(9), C: 1 + rng.Intn(6), OC: 1 + rng.Intn(9),
			KH: 1 + rng.Intn(3), KW: 1 + rng.Intn(3), SH: 1 + rng.Intn(2), SW: 1 + rng.Intn(3),
			DH: 1 + rng.Intn(2), DW: 1 + rng.Intn(2), PadT: rng.Intn(3), PadL: rng.Intn(3), Groups: 1,
		}
		if i%5 == 0 { // 1-D
			p.H, p.KH, p.PadT, p.SH, p.DH = 1, 1, 0, 1, 1
		}
		p.OH = (p.H+2*p.PadT-(p.KH-1)*p.DH-1)/p.SH + 1
		p.OW = (p.W+2*p.PadL-(p.KW-1)*p.DW-1)/p.SW + 1
		if p.OH < 1 || p.OW < 1 {
			continue
		}
		x := make([]float32, p.N*p.H*p.W*p.C)
		w := make([]float32, p.KH*p.KW*p.C*p.OC)
		bias := make([]float32, p.OC)
		for _, s := range [][]float32{x, w, bias} {
			for j := range s {
				s[j] = rng.Float32()*2 - 1
			}
		}
		ep := &Epilogue{Bias: bias, Act: ActRelu}
		size := p.N * p.OH * p.OW * p.OC
		want := make([]float32, size)
		Conv2D(&p, x, w, want, ep)
		const guard = 8
		buf := make([]float32, size+2*guard)
		for j := range buf {
			buf[j] = 12345
		}
		got := buf[guard : guard+size]
		Conv2DGemm(&p, x, w, got, make([]float32, Conv2DGemmScratch(&p)), ep)
		for j := 0; j < guard; j++ {
			if buf[j] != 12345 || buf[guard+size+j] != 12345 {
				t.Fatalf("%+v: wrote outside the output", p)
			}
		}
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-5*(1+math.Abs(float64(want[j]))) {
				t.Fatalf("%+v: y[%d] = %v, Conv2D gives %v", p, j, got[j], want[j])
			}
		}
	}
}

func TestConv2DGemmAllocatesNothing(t *testing.T) {
	p := ConvParams{N: 2, H: 16, W: 16, C: 8, OH: 16, OW: 16, OC: 16, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
	x, w, y := make([]float32, 2*16*16*8), make([]float32, 9*8*16), make([]float32, 2*16*16*16)
	s := make([]float32, Conv2DGemmScratch(&p))
	if n := testing.AllocsPerRun(5, func() { Conv2DGemm(&p, x, w, y, s, nil) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func BenchmarkConv2DGemm(b *testing.B) {
	p := ConvParams{N: 1, H: 56, W: 56, C: 64, OH: 56, OW: 56, OC: 64, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
	x, w, y := make([]float32, 56*56*64), make([]float32, 9*64*64), make([]float32, 56*56*64)
	s := make([]float32, Conv2DGemmScratch(&p))
	for i := 0; i < b.N; i++ {
		Conv2DGemm(&p, x, w, y, s, nil)
	}
	b.ReportMetric(2*56*56*64*9*64*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
