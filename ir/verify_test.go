package ir

import (
	"sort"
	"strings"
	"testing"
)

func TestVerifyValid(t *testing.T) {
	passthrough := NewGraph("passthrough")
	x := passthrough.AddInput("x", Type{I64, Shape{Batch}})
	passthrough.Outputs = []*Value{x, x}

	dead := mlpGraph(t)
	dead.Outputs = dead.Ops[1].Out
	dead.RemoveDead()

	for name, g := range map[string]*Graph{
		"mlp": mlpGraph(t), "cnn": cnnGraph(t), "all ops": allOpsGraph(t),
		"empty": NewGraph("empty"), "passthrough": passthrough, "after RemoveDead": dead,
	} {
		if err := Verify(g); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestAllOpsCoverage makes sure allOpsGraph (used by the Verify and round-trip tests)
// covers the whole op table; a new op kind must be added there.
func TestAllOpsCoverage(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range allOpsGraph(t).Ops {
		seen[op.Kind] = true
	}
	var missing []string
	for k := range Ops {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("allOpsGraph does not use %v", missing)
	}
}

// TestVerifyBroken breaks one invariant of the MLP per case; the error must name the
// culprit. The MLP's ops are #0 MatMul dense_1, #1 Dropout, #2 MatMul dense_2, #3 Softmax.
func TestVerifyBroken(t *testing.T) {
	ghost := func() *Value { return &Value{ID: 999, Name: "ghost", Type: Type{F32, Shape{Batch, 32}}} }
	cases := []struct {
		name   string
		break_ func(g *Graph)
		want   []string
	}{
		// Nil pointers.
		{"nil input", func(g *Graph) { g.Inputs = append(g.Inputs, nil) }, []string{"graph input 1 is nil"}},
		{"nil constant", func(g *Graph) { g.Consts[2] = nil }, []string{"constant 2 is nil"}},
		{"nil op", func(g *Graph) { g.Ops = append(g.Ops, nil) }, []string{"op #4 is nil"}},
		{"nil op input", func(g *Graph) { g.Ops[2].In[1] = nil }, []string{"op #2 MatMul (layer dense_2)", "input 1 is nil"}},
		{"nil op output", func(g *Graph) { g.Ops[1].Out[0] = nil }, []string{"op #1 Dropout", "output 0 is nil"}},
		{"nil graph output", func(g *Graph) { g.Outputs = append(g.Outputs, nil) }, []string{"graph output 1 is nil"}},

		// Op kinds, arity, attributes.
		{"unknown kind", func(g *Graph) { g.Ops[1].Kind = "Frobnicate" }, []string{"op #1 Frobnicate", "unknown op kind"}},
		{"too many inputs", func(g *Graph) { g.Ops[3].In = append(g.Ops[3].In, g.Inputs[0]) }, []string{"op #3 Softmax", "got 2"}},
		{"too few inputs", func(g *Graph) { g.Ops[0].In = g.Ops[0].In[:1] }, []string{"op #0 MatMul", "got 1"}},
		{"unknown attribute", func(g *Graph) { g.Ops[3].Attrs["bogus"] = 1 }, []string{"op #3 Softmax", `"bogus"`}},
		{"attribute type", func(g *Graph) { g.Ops[3].Attrs["axis"] = 1.5 }, []string{"op #3 Softmax", `"axis"`, "float64"}},
		{"missing attribute", func(g *Graph) { delete(g.Ops[3].Attrs, "axis") }, []string{"op #3 Softmax", `missing attribute "axis"`}},
		{"bad attribute value", func(g *Graph) { g.Ops[0].Attrs["act"] = "nope" }, []string{"op #0 MatMul", "shape rule", "nope"}},

		// Output types.
		{"output shape", func(g *Graph) { g.Ops[3].Out[0].Type.Shape = Shape{Batch, 11} }, []string{"op #3 Softmax", "%probs", "f32[N,11]", "f32[N,10]"}},
		{"output dtype", func(g *Graph) { g.Ops[1].Out[0].Type.DType = I32 }, []string{"op #1 Dropout", "%dropout", "i32[N,32]"}},
		{"extra output", func(g *Graph) {
			op := g.Ops[3]
			op.Out = append(op.Out, &Value{ID: 100, Name: "extra", Type: op.Out[0].Type, Def: op})
		}, []string{"op #3 Softmax", "2 outputs"}},
		{"no output", func(g *Graph) { g.Ops[2].Out = nil }, []string{"op #2 MatMul", "0 outputs"}},

		// Order and definitions.
		{"use before definition", func(g *Graph) { g.Ops[1], g.Ops[2] = g.Ops[2], g.Ops[1] }, []string{"op #1 MatMul (layer dense_2)", "%dropout", "before its definition"}},
		{"self cycle", func(g *Graph) { g.Ops[1].In[0] = g.Ops[1].Out[0] }, []string{"op #1 Dropout", "%dropout", "before its definition"}},
		{"two-op cycle", func(g *Graph) { g.Ops[0].In[0] = g.Ops[1].Out[0] }, []string{"op #0 MatMul", "%dropout", "before its definition"}},
		{"foreign input", func(g *Graph) { g.Ops[1].In[0] = ghost() }, []string{"op #1 Dropout", "%ghost", "not defined in the graph"}},
		{"constant listed twice", func(g *Graph) { g.Consts = append(g.Consts, g.Consts[0]) }, []string{"%dense_1.kernel", "defined twice"}},
		{"op listed twice", func(g *Graph) { g.Ops = append(g.Ops, g.Ops[3]) }, []string{"%probs", "defined twice", "op #4"}},
		{"op output as input", func(g *Graph) { g.Inputs = append(g.Inputs, g.Ops[0].Out[0]) }, []string{"graph input %dense_1", "Def"}},
		{"shared ID", func(g *Graph) { g.Consts[1].ID = g.Consts[0].ID }, []string{"%dense_1.kernel", "%dense_1.bias", "share ID"}},
		{"shared name", func(g *Graph) { g.Ops[1].Out[0].Name = "x" }, []string{"graph input 0", "op #1 Dropout", "share the name %x"}},
		{"empty name", func(g *Graph) { g.Consts[3].Name = "" }, []string{"constant 3", "empty name"}},
		{"unknown dtype", func(g *Graph) { g.Inputs[0].Type.DType = 9 }, []string{"%x", "dtype(9)"}},

		// Inputs and constants.
		{"input with data", func(g *Graph) { g.Inputs[0].Data = []float32{} }, []string{"graph input %x", "Data"}},
		{"constant data length", func(g *Graph) { g.Consts[1].Data = g.Consts[1].Data[:5] }, []string{"%dense_1.bias", "[32]", "5 elements"}},
		{"constant symbolic shape", func(g *Graph) { g.Consts[3].Type.Shape = Shape{Batch} }, []string{"%dense_2.bias", "symbolic"}},
		{"constant without data", func(g *Graph) { g.Consts[3].Data = nil }, []string{"%dense_2.bias", "no Data"}},
		{"constant with Def", func(g *Graph) { g.Consts[0].Def = g.Ops[0] }, []string{"%dense_1.kernel", "Def"}},
		{"output Def", func(g *Graph) { g.Ops[1].Out[0].Def = g.Ops[0] }, []string{"op #1 Dropout", "%dropout", "point back"}},
		{"output with data", func(g *Graph) { g.Ops[1].Out[0].Data = []float32{1} }, []string{"op #1 Dropout", "%dropout", "Data"}},

		// Graph outputs.
		{"undefined output", func(g *Graph) { g.Outputs[0] = ghost() }, []string{"graph output 0 %ghost", "not defined"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mlpGraph(t)
			c.break_(g)
			err := Verify(g)
			if err == nil {
				t.Fatal("Verify passed")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if err := Verify(nil); err == nil || !strings.Contains(err.Error(), "nil graph") {
		t.Errorf("Verify(nil) = %v", err)
	}
}

// TestVerifyNoMutation checks that Verify leaves the graph as it was.
func TestVerifyNoMutation(t *testing.T) {
	g := allOpsGraph(t)
	before := Print(g)
	if err := Verify(g); err != nil {
		t.Fatal(err)
	}
	if after := Print(g); after != before {
		t.Errorf("Verify changed the graph:\n%s", after)
	}
}
