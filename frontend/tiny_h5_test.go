package frontend

import (
	"path/filepath"
	"testing"
)

// TestTinyH5 reads testdata/tiny_dense.h5 (made by gen_tiny_h5.py with h5py in Keras 2's
// legacy layout): a Keras 2 Sequential whose input is implicit, weights located through
// weight_names; the values follow the generator's formula.
func TestTinyH5(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny_dense.h5"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Dialect != 2 || m.KerasVersion != "2.15.0" || m.Format != FormatH5 {
		t.Errorf("dialect %d, version %q, format %s", m.Dialect, m.KerasVersion, m.Format)
	}
	if got := m.Layers[0]; got.Class != "InputLayer" || got.Name != "dense_input" {
		t.Errorf("implicit input %s (%s)", got.Name, got.Class)
	}
	d := m.Layer("dense")
	k, b := d.Weight("kernel"), d.Weight("bias")
	if k == nil || b == nil || !Shape(k.Shape).Equal(Shape{4, 3}) {
		t.Fatalf("weights %+v", d.Weights)
	}
	for i, v := range k.Values {
		if want := (float32(i) - 6) / 8; v != want {
			t.Errorf("kernel[%d] = %v, want %v", i, v, want)
		}
	}
	if b.Values[0] != 0.5 || b.Values[1] != -0.25 || b.Values[2] != 0.125 {
		t.Errorf("bias %v", b.Values)
	}
	if p := m.CountParams(); p.Total != 15 || p.Trainable != 15 {
		t.Errorf("params %+v", p)
	}
}
