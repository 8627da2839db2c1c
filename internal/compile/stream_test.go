package compile

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

// TestStreaming builds recurrent models with the streaming API (Options.Stateful) and runs a
// test inside each generated package: feeding the sequence one chunk at a time (1 step, 2
// steps, then the rest) through Step gives Keras' whole-sequence prediction; Reset starts
// over; a warm Step allocates nothing.
func TestStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on generated packages; skipped with -short")
	}
	cases := []struct{ name, model, input, expected string }{
		{"lstm", "golden/embedding_lstm/model.keras", "golden/embedding_lstm/input.npy", "golden/embedding_lstm/expected.npy"},
		{"gru", "golden/gru/model.keras", "golden/gru/input.npy", "golden/gru/expected.npy"},
		{"gru_reset_before", "golden/gru_reset_before/model.h5", "golden/gru_reset_before/input.npy", "golden/gru_reset_before/expected.npy"},
		{"simple_rnn", "corpus/simplernn-imdb/simple_rnn_imdb.h5", "corpus/simplernn-imdb/input.npy", "corpus/simplernn-imdb/expected.npy"},
	}
	root := sharedtest.Dir(t)
	var results []*Result
	for _, c := range cases {
		r, err := Compile(filepath.Join(root, c.model), Options{Stateful: true, Package: c.name, Verify: true})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for name, src := range map[string]string{"input.npy": c.input, "expected.npy": c.expected} {
			a, err := runtime.ReadNPYFile(filepath.Join(root, src))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := runtime.WriteNPY(&buf, a.Shape, a.Data); err != nil {
				t.Fatal(err)
			}
			r.Files["testdata/"+name] = buf.Bytes()
		}
		var test bytes.Buffer
		if err := streamTest.Execute(&test, c.name); err != nil {
			t.Fatal(err)
		}
		r.Files["stream_test.go"] = test.Bytes()
		results = append(results, r)
	}
	mod, _, err := WriteModule(t.TempDir(), results)
	if err != nil {
		t.Fatal(err)
	}
	out, err := goCommand(mod, "test", "-count=1", "-v", "./models/...").CombinedOutput()
	if err != nil {
		t.Errorf("streaming tests fail: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "--- PASS: TestStreamEqualsWholeSequence"); n != len(cases) {
		t.Errorf("%d streaming tests passed, want %d:\n%s", n, len(cases), out)
	}
}

var streamTest = template.Must(template.New("stream").Delims("<<", ">>").Parse(`package <<.>>

import (
	"math"
	"path/filepath"
	"testing"

	rt "github.com/kerasgen/kerasgen/runtime"
)

// chunk copies steps [t0, t1) of every row of a [batch, steps, ...] array.
func chunk(a *rt.Array, t0, t1 int) []float32 {
	per := 1
	for _, d := range a.Shape[2:] {
		per *= d
	}
	var out []float32
	for b := 0; b < a.Shape[0]; b++ {
		row := a.Data[b*a.Shape[1]*per:]
		out = append(out, row[t0*per:t1*per]...)
	}
	return out
}

func TestStreamEqualsWholeSequence(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	x, err := rt.ReadNPYFile(filepath.Join("testdata", "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := rt.ReadNPYFile(filepath.Join("testdata", "expected.npy"))
	if err != nil {
		t.Fatal(err)
	}
	batch, steps := x.Shape[0], x.Shape[1]
	s := m.NewStream(batch)
	out := make([]float32, len(want.Data))
	for pass := 0; pass < 2; pass++ { // the second pass checks Reset
		s.Reset()
		for _, c := range [][2]int{{0, 1}, {1, 3}, {3, steps}} {
			if err := m.Step(s, [][]float32{chunk(x, c[0], c[1])}, [][]float32{out}); err != nil {
				t.Fatal(err)
			}
		}
		for i, e := range want.Data {
			if d := math.Abs(float64(out[i] - e)); d > 1e-5+1e-4*math.Abs(float64(e)) {
				t.Fatalf("pass %d: output[%d] = %v after streaming, Keras gives %v for the whole sequence", pass, i, out[i], e)
			}
		}
	}
	one := chunk(x, 0, 1)
	if n := testing.AllocsPerRun(10, func() { _ = m.Step(s, [][]float32{one}, [][]float32{out}) }); n != 0 {
		t.Errorf("a warm Step allocates %v times", n)
	}
}
`))
