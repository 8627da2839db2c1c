package compile

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestInstrumentLayers checks which lines instrumentLayers times (one-line rt. calls inside
// the forward functions, nothing in New or in a call spread over lines), their labels, and
// that both files it returns parse.
func TestInstrumentLayers(t *testing.T) {
	src := `package demo

import (
	rt "github.com/kerasgen/kerasgen/runtime"
)

func New() *Model {
	rt.HugePages(all) // not timed: outside the forward pass
	return nil
}

func (m *Model) forward(n int, a []float32) {
	// dense_1: Dense + relu
	{
		rt.DensePanels(n, 4, 8, a, m.w, a, nil)
	}
	// probs: Softmax
	rt.Softmax(n, 8, a, a)
	rt.Gemm(n, 8, 8,
		a, 8, a, 8, a, 8, false)
}

func (m *Model) forwardTrunk(n int, a []float32) {
	// conv: Conv + relu
	rt.Conv2DGemmPanels(&p, a, m.w, a, nil, nil)
}
`
	model, table, n := instrumentLayers([]byte(src), "demo")
	if n != 3 {
		t.Fatalf("%d calls timed, want 3", n)
	}
	for _, want := range []string{`"dense_1 (DensePanels)"`, `"probs (Softmax)"`, `"conv (Conv2DGemmPanels)"`} {
		if !strings.Contains(string(table), want) {
			t.Errorf("no label %s in\n%s", want, table)
		}
	}
	if got := strings.Count(string(model), "kgtime.Since"); got != 3 {
		t.Errorf("%d timers in the model, want 3", got)
	}
	if !strings.Contains(string(model), "\trt.HugePages(all) // not timed") || strings.Contains(string(model), "kgLayerStart[3]") {
		t.Errorf("a call outside the forward functions or over several lines was timed:\n%s", model)
	}
	if !strings.Contains(string(model), "import (\n\tkgtime \"time\"\n") {
		t.Errorf("no time import:\n%s", model)
	}
	fset := token.NewFileSet()
	for name, f := range map[string][]byte{"model.go": model, "layers.go": table} {
		if _, err := parser.ParseFile(fset, name, f, 0); err != nil {
			t.Errorf("%s: %v\n%s", name, err, f)
		}
	}
	// No call to time: the model is left as it was (no unused import).
	plain := "package demo\n\nimport (\n\t\"math\"\n)\n\nfunc (m *Model) forward() {\n\tmath.Abs(1)\n}\n"
	if model, _, n := instrumentLayers([]byte(plain), "demo"); n != 0 || string(model) != plain {
		t.Errorf("no call: %d timed, model\n%s", n, model)
	}
}
