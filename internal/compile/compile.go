// Package compile runs the whole pipeline — frontend, lowering, passes, memory plan,
// codegen — and builds generated packages in a temporary module wired to this kerasgen
// checkout. The CLI (build, verify) and the end-to-end tests share it, so that the tests
// check exactly what users run.
package compile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kerasgen/kerasgen/codegen"
	"github.com/kerasgen/kerasgen/frontend"
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
	"github.com/kerasgen/kerasgen/runtime"
)

// Options tune Compile.
type Options struct {
	Load    frontend.Options
	Package string
	// LayerOutputs adds every layer's output as an extra output (for layer-by-layer checks).
	LayerOutputs bool
	// Dump, when set, receives the IR text after lowering ("lower") and after each pass.
	Dump func(stage string, g *ir.Graph)
	// Verify runs ir.Verify after lowering and after each pass.
	Verify bool
	// Stateful generates the streaming API (NewStream, Step): recurrent state carried across
	// calls. Models with stateful=True layers always get it.
	Stateful bool
	// Threads, when above 1, makes the package's New raise the runtime's thread count
	// (runtime.SetThreads, process-wide) to that many.
	Threads int
	// Precision is "fp32" (default) or "bf16" (see codegen.Options.Precision).
	Precision string
	// Direct runs every convolution directly, none with Winograd's algorithm (see
	// codegen.Options.Direct).
	Direct bool
}

// Result is a compiled model.
type Result struct {
	Model *frontend.Model
	Files codegen.Files
	// Outputs names the generated Run's outputs in order: the model's outputs, then the
	// layer_outputs keys when asked for.
	Outputs []string
	// NumModelOutputs is how many of Outputs are the model's own.
	NumModelOutputs int
	// Package is the generated package's name.
	Package string
	// FLOPs is the floating-point work of one batch row, from the ops' cost rules.
	FLOPs int64
	// Precision is the precision the package computes in: "fp32" or "bf16".
	Precision string
	// Direct is Options.Direct: no convolution runs with Winograd's algorithm.
	Direct bool
}

// Compile reads a model file and generates its Go package.
func Compile(path string, opt Options) (*Result, error) {
	if opt.Load.KnownClass == nil {
		opt.Load.KnownClass = frontend.KnownCustomClass
	}
	m, err := frontend.Load(path, opt.Load)
	if err != nil {
		return nil, err
	}
	return CompileModel(m, filepath.Base(path), opt)
}

// CompileModel generates the Go package of a loaded model.
func CompileModel(m *frontend.Model, source string, opt Options) (*Result, error) {
	stateful := opt.Stateful || hasStatefulLayer(m)
	lw, err := frontend.Lower(m, frontend.LowerOptions{LayerOutputs: opt.LayerOutputs, Stateful: stateful})
	if err != nil {
		return nil, err
	}
	g := lw.Graph
	check := func(stage string, g *ir.Graph) error {
		if opt.Dump != nil {
			opt.Dump(stage, g)
		}
		if opt.Verify {
			if err := ir.Verify(g); err != nil {
				return fmt.Errorf("IR invalid after %s: %w", stage, err)
			}
		}
		return nil
	}
	if err := check("lower", g); err != nil {
		return nil, err
	}
	if err := passes.Run(g, check); err != nil {
		return nil, err
	}
	plan := passes.PlanMemory(g)
	var flops int64
	for _, op := range g.Ops {
		flops += ir.Ops[op.Kind].Cost(op)
	}
	var outNames, docs []string
	for _, r := range m.Outputs {
		outNames = append(outNames, r.Layer)
	}
	n := len(outNames)
	for _, k := range lw.LayerOutputs {
		outNames = append(outNames, "layer "+k)
		docs = append(docs, "")
	}
	for i := range docs {
		docs[i] = fmt.Sprintf("the output of layer %q", lw.LayerOutputs[i])
	}
	var inNames []string
	for _, r := range m.Inputs {
		inNames = append(inNames, r.Layer)
	}
	pkg := opt.Package
	if pkg == "" {
		pkg = PackageName(m.Name)
	}
	writer := ""
	switch v := m.KerasVersion; {
	case strings.HasPrefix(v, "tfjs"):
		writer = "TF.js (" + v + ")"
	case v != "":
		writer = "Keras " + v
	}
	var states []codegen.State
	for _, st := range lw.States {
		states = append(states, codegen.State{Name: st.Name, Units: st.Units})
	}
	files, err := codegen.Generate(g, plan, codegen.Options{
		Package: pkg, Source: source, Writer: writer,
		InputNames: inNames, OutputNames: outNames, OutputDocs: append(make([]string, n), docs...),
		States: states, Threads: opt.Threads, Precision: opt.Precision, Direct: opt.Direct,
	})
	if err != nil {
		return nil, err
	}
	return &Result{Model: m, Files: files, Outputs: append(outNames[:n:n], lw.LayerOutputs...), NumModelOutputs: n, Package: pkg, FLOPs: flops, Precision: precisionName(opt.Precision), Direct: opt.Direct}, nil
}

// PackageName makes a Go package name from a model name: lower case letters and digits.
func PackageName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || (r >= '0' && r <= '9' && b.Len() > 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}

// AddTestVectors embeds reference inputs and expected outputs (.npy files, in model order)
// under testdata/ and adds the generated test that checks the package against them at the
// given tolerance, and checks that a warm call allocates nothing and concurrent calls agree.
func (r *Result) AddTestVectors(inputs, expected []string, atol, rtol float64) error {
	if len(inputs) != len(r.Model.Inputs) || len(expected) != r.NumModelOutputs {
		return fmt.Errorf("%d inputs and %d outputs given; the model has %d and %d", len(inputs), len(expected), len(r.Model.Inputs), r.NumModelOutputs)
	}
	tv := codegen.TestVectors{Atol: atol, Rtol: rtol}
	for i, f := range append(append([]string{}, inputs...), expected...) {
		a, err := runtime.ReadNPYFile(f)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("input_%d.npy", i)
		if i >= len(inputs) {
			name = fmt.Sprintf("expected_%d.npy", i-len(inputs))
			tv.Expected = append(tv.Expected, name)
		} else {
			tv.Inputs = append(tv.Inputs, name)
		}
		var buf bytes.Buffer
		if err := runtime.WriteNPY(&buf, a.Shape, a.Data); err != nil {
			return err
		}
		r.Files["testdata/"+name] = buf.Bytes()
	}
	r.Files["model_test.go"] = codegen.GenerateTest(r.Package, tv)
	return nil
}

// hasStatefulLayer reports whether a model has a layer with stateful=True.
func hasStatefulLayer(m *frontend.Model) bool {
	for _, l := range m.Layers {
		if l.Model != nil && hasStatefulLayer(l.Model) {
			return true
		}
		if l.Config.Bool("stateful", false) {
			return true
		}
		if _, inner, ok := l.Config.Object("layer"); ok && inner.Bool("stateful", false) {
			return true
		}
	}
	return false
}

// precisionName returns the name of a precision option ("" is fp32).
func precisionName(p string) string {
	if p == "" {
		return "fp32"
	}
	return p
}
