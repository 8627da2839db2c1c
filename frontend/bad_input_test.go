package frontend

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// zipOf builds a zip archive holding the given members, in order.
func zipOf(t testing.TB, members ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(m[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readShared(t *testing.T, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedtest.Dir(t), filepath.Join(parts...)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// membersOf returns the members of a zip file as name/content pairs.
func membersOf(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		b, err := readMember(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

// TestBadFiles feeds broken files to Load: each must fail with a FormatError (or an
// UnsupportedError) whose message names what is wrong, and never panic.
func TestBadFiles(t *testing.T) {
	mlp := readShared(t, "golden", "mlp_relu_softmax", "model.keras")
	acts := membersOf(t, readShared(t, "golden", "activations", "model.keras"))
	mlpm := membersOf(t, mlp)

	cases := []struct {
		name    string
		file    string
		data    []byte
		opt     Options
		phrases []string
	}{
		{"truncated .keras", "m.keras", mlp[:len(mlp)/2], Options{}, []string{"corrupt .keras zip"}},
		{"no config.json", "m.keras", zipOf(t, [2]string{"metadata.json", mlpm["metadata.json"]}), Options{},
			[]string{"no config.json", "metadata.json"}},
		{"no weights in .keras", "m.keras", zipOf(t, [2]string{"config.json", mlpm["config.json"]}), Options{},
			[]string{"no model.weights.h5"}},
		{"weights of another model", "m.keras", zipOf(t,
			[2]string{"config.json", mlpm["config.json"]}, [2]string{"model.weights.h5", acts["model.weights.h5"]}), Options{},
			[]string{"layer 'dense_1' (class Dense)"}},
		{"truncated weights", "m.keras", zipOf(t,
			[2]string{"config.json", mlpm["config.json"]}, [2]string{"model.weights.h5", mlpm["model.weights.h5"][:3000]}), Options{},
			[]string{"model.weights.h5"}},
		{"config syntax error", "m.keras", zipOf(t, [2]string{"config.json", `{"class_name": "Sequential", "config": {`}), Options{},
			[]string{"config.json", "invalid JSON"}},
		{"not a model", "m.bin", []byte("hello"), Options{}, []string{"not a Keras model file"}},
		{"architecture without weights", "model.json", readShared(t, "golden", "mlp_relu_softmax", "model.json"), Options{},
			[]string{"architecture without weights", "--weights"}},
		{"keras 3 weights-only file", "model.weights.h5", readShared(t, "golden", "mlp_relu_softmax", "model.weights.h5"), Options{},
			[]string{"no model architecture", "--config"}},
		{"subclassed model", "m.keras", zipOf(t, [2]string{"config.json", `{"class_name": "MyModel", "config": {}}`}), Options{},
			[]string{`"MyModel" is not a Sequential or Functional model`}},
		{"cycle", "model.json", []byte(cycleConfig), Options{}, []string{"cycle through"}},
		{"dangling reference", "model.json", []byte(strings.Replace(cycleConfig, `["b", 0, 0, {}]`, `["nope", 0, 0, {}]`, 1)), Options{},
			[]string{"does not name a layer"}},
		{"custom classes", "model.json", []byte(customConfig), Options{},
			[]string{"unknown layer classes Blur (x2), Sharpen", "layer 'blur_1'", "registered_name \"my>Sharpen\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeTemp(t, c.file, c.data), c.opt)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Errorf("error %T is neither a FormatError nor an UnsupportedError: %v", err, err)
			}
			for _, p := range c.phrases {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not say %q:\n%v", p, err)
				}
			}
		})
	}
}

// TestWeightsOnlyWithConfig reads a weights-only file with its architecture given apart.
func TestWeightsOnlyWithConfig(t *testing.T) {
	dir := sharedtest.Dir(t, "golden", "mlp_relu_softmax")
	m, err := Load(filepath.Join(dir, "model.weights.h5"), Options{Config: filepath.Join(dir, "model.json")})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.CountParams().Total; got != 20*32+32+32*16+16+16*10+10 {
		t.Errorf("params %d", got)
	}
}

// TestZipBomb refuses a .keras member whose declared size is absurd before inflating it.
func TestZipBomb(t *testing.T) {
	data := zipOf(t, [2]string{"config.json", strings.Repeat(" ", 100)})
	// Patch the central directory's uncompressed size (offset 24 in the header) to ~4 GiB.
	i := bytes.LastIndex(data, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(data[i+24:], 0xFFFFFFF0)
	_, err := Load(writeTemp(t, "bomb.keras", data), Options{})
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("want a refusal naming config.json, got %v", err)
	}
}

const cycleConfig = `{"class_name": "Functional", "config": {"name": "cyc", "layers": [
 {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 4]}, "inbound_nodes": []},
 {"class_name": "Activation", "name": "a", "config": {"name": "a", "activation": "relu"}, "inbound_nodes": [[["b", 0, 0, {}]]]},
 {"class_name": "Activation", "name": "b", "config": {"name": "b", "activation": "relu"}, "inbound_nodes": [[["a", 0, 0, {}]]]}],
 "input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}, "keras_version": "2.15.0"}`

const customConfig = `{"class_name": "Sequential", "config": {"name": "c", "layers": [
 {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 4]}},
 {"module": null, "class_name": "Blur", "registered_name": "Blur", "config": {"name": "blur_1"}},
 {"module": null, "class_name": "Blur", "registered_name": "Blur", "config": {"name": "blur_2"}},
 {"module": "my", "class_name": "Sharpen", "registered_name": "my>Sharpen", "config": {"name": "sharpen"}}]}}`
