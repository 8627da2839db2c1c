package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const seqConfig = `{"name":"m","layers":[{"class_name":"Dense","config":{"units":2}}]}`

// modelWith returns a model.json with a small Sequential topology and the given weightsManifest.
func modelWith(manifest string) []byte {
	return []byte(`{"format":"layers-model","modelTopology":{"class_name":"Sequential","config":` +
		seqConfig + `},"weightsManifest":` + manifest + `}`)
}

// shards serves shard files from memory and records which names were opened.
type shards struct {
	files  map[string][]byte
	opened []string
}

func (s *shards) open(name string) ([]byte, error) {
	s.opened = append(s.opened, name)
	b, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return b, nil
}

func serve(files map[string][]byte) func(string) ([]byte, error) {
	return (&shards{files: files}).open
}

func f32le(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func mustRead(t *testing.T, modelJSON []byte, open func(string) ([]byte, error)) *File {
	t.Helper()
	f, err := Read(modelJSON, open)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, want string, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

func TestReadLayouts(t *testing.T) {
	topoSave := `{"class_name":"Sequential","config":` + seqConfig + `,"keras_version":"tfjs-layers 4.22.0","backend":"tensor_flow.js"}`
	topoConv := `{"keras_version":"2.2.4","backend":"tensorflow","model_config":{"class_name":"Sequential","config":` + seqConfig + `},"training_config":{"loss":"mse"}}`
	manifest := `[{"paths":["w.bin"],"weights":[{"name":"dense/kernel","shape":[2],"dtype":"float32"}]}]`
	data := f32le(1.5, -2)
	tests := []struct {
		name                               string
		json                               string
		format, version, backend, trainCfg string
	}{
		{"converter", `{"format":"layers-model","generatedBy":"keras v2.2.4","convertedBy":"TensorFlow.js Converter v1.3.1","modelTopology":` + topoConv + `,"weightsManifest":` + manifest + `}`,
			"layers-model", "2.2.4", "tensorflow", `{"loss":"mse"}`},
		{"converter without format", `{"modelTopology":` + topoConv + `,"weightsManifest":` + manifest + `}`,
			"", "2.2.4", "tensorflow", `{"loss":"mse"}`},
		{"model.save", `{"format":"layers-model","generatedBy":"TensorFlow.js tfjs-layers v4.22.0","convertedBy":null,"modelTopology":` + topoSave + `,"weightsManifest":` + manifest + `}`,
			"layers-model", "tfjs-layers 4.22.0", "tensor_flow.js", ""},
		{"model.save with trainingConfig", `{"modelTopology":` + topoSave + `,"trainingConfig":{"loss":"mse"},"weightsManifest":` + manifest + `}`,
			"", "tfjs-layers 4.22.0", "tensor_flow.js", `{"loss":"mse"}`},
		{"version from generatedBy (keras)", `{"generatedBy":"keras v2.7.0","modelTopology":{"model_config":{"class_name":"Sequential","config":` + seqConfig + `}},"weightsManifest":` + manifest + `}`,
			"", "2.7.0", "", ""},
		{"version from generatedBy (tfjs-layers)", `{"generatedBy":"TensorFlow.js tfjs-layers v3.1.0","modelTopology":{"class_name":"Sequential","config":` + seqConfig + `},"weightsManifest":` + manifest + `}`,
			"", "tfjs-layers 3.1.0", "", ""},
		{"version inside model_config", `{"modelTopology":{"model_config":{"class_name":"Sequential","config":` + seqConfig + `,"keras_version":"2.1.6","backend":"tensorflow"}},"weightsManifest":` + manifest + `}`,
			"", "2.1.6", "tensorflow", ""},
		{"weightSpecs and base64 weightData", `{"modelTopology":` + topoSave + `,"weightSpecs":[{"name":"dense/kernel","shape":[2],"dtype":"float32"}],"weightData":"` + base64.StdEncoding.EncodeToString(data) + `"}`,
			"", "tfjs-layers 4.22.0", "tensor_flow.js", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustRead(t, []byte(tt.json), serve(map[string][]byte{"w.bin": data}))
			jsonEqual(t, `{"class_name":"Sequential","config":`+seqConfig+`}`, f.Topology)
			if f.Format != tt.format || f.KerasVersion != tt.version || f.Backend != tt.backend {
				t.Errorf("Format, KerasVersion, Backend = %q, %q, %q; want %q, %q, %q",
					f.Format, f.KerasVersion, f.Backend, tt.format, tt.version, tt.backend)
			}
			if tt.trainCfg == "" {
				if f.TrainingConfig != nil {
					t.Errorf("TrainingConfig = %s, want nil", f.TrainingConfig)
				}
			} else {
				jsonEqual(t, tt.trainCfg, f.TrainingConfig)
			}
			want := []Weight{{Name: "dense/kernel", Shape: []int{2}, DType: "float32", Values: []float32{1.5, -2}}}
			if !reflect.DeepEqual(f.Weights, want) {
				t.Errorf("Weights = %+v, want %+v", f.Weights, want)
			}
		})
	}
}

func TestReadDTypesAndShards(t *testing.T) {
	// Two groups; group 0 has two shards that split a float32 in the middle.
	g0 := append(f32le(1, 2, 3), 0xf9, 0xff, 0xff, 0xff) // int32 -7
	g0 = append(g0, 1, 0, 5)                             // bool
	g0 = append(g0, f32le(42)...)                        // scalar
	g0 = append(g0, 0xAA, 0xBB)                          // trailing bytes are ignored, as in TF.js
	s := &shards{files: map[string][]byte{
		"group1-shard1of2.bin": g0[:6], "group1-shard2of2.bin": g0[6:],
		"sub/group2-shard1of1.bin": f32le(-0.25, 8),
	}}
	manifest := `[{"paths":["group1-shard1of2.bin","./group1-shard2of2.bin"],"weights":[
		{"name":"a/kernel","shape":[3,1],"dtype":"float32"},
		{"name":"a/steps","shape":[1],"dtype":"int32"},
		{"name":"a/mask","shape":[3],"dtype":"bool"},
		{"name":"a/scalar","shape":[],"dtype":"float32"},
		{"name":"a/empty","shape":[0,1000000],"dtype":"float32"}]},
		{"paths":["sub/group2-shard1of1.bin"],"weights":[{"name":"b/bias","shape":[2],"dtype":"float32","group":"model"}]}]`
	f := mustRead(t, modelWith(manifest), s.open)
	if want := []string{"group1-shard1of2.bin", "group1-shard2of2.bin", "sub/group2-shard1of1.bin"}; !reflect.DeepEqual(s.opened, want) {
		t.Errorf("opened %q, want %q", s.opened, want)
	}
	want := []Weight{
		{"a/kernel", []int{3, 1}, "float32", []float32{1, 2, 3}},
		{"a/steps", []int{1}, "int32", []float32{-7}},
		{"a/mask", []int{3}, "bool", []float32{1, 0, 1}},
		{"a/scalar", []int{}, "float32", []float32{42}},
		{"a/empty", []int{0, 1000000}, "float32", []float32{}},
		{"b/bias", []int{2}, "float32", []float32{-0.25, 8}},
	}
	if !reflect.DeepEqual(f.Weights, want) {
		t.Errorf("Weights =\n%+v\nwant\n%+v", f.Weights, want)
	}
}

func TestNoWeights(t *testing.T) {
	for _, m := range []string{
		`{"modelTopology":{"class_name":"Sequential","config":{}}}`,
		`{"modelTopology":{"class_name":"Sequential","config":{}},"weightsManifest":[]}`,
		`{"modelTopology":{"class_name":"Sequential","config":{}},"weightsManifest":[{"paths":[],"weights":[]}]}`,
	} {
		if f := mustRead(t, []byte(m), nil); len(f.Weights) != 0 {
			t.Errorf("%s: got %d weights", m, len(f.Weights))
		}
	}
}

// quantize quantizes vals affinely into 2^bits-1 steps between their min and max, as the
// TF.js converter does.
func quantize(vals []float32, bits int) (q []uint16, scale, min float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	scale = (hi - lo) / float64(int(1)<<bits-1)
	for _, v := range vals {
		q = append(q, uint16(math.Round((float64(v)-lo)/scale)))
	}
	return q, scale, lo
}

func TestQuantizedAffine(t *testing.T) {
	orig := []float32{-1.5, -0.3, 0, 0.25, 0.7, 1.2, 3.9, 0.123456}
	for _, tt := range []struct {
		dtype string
		bits  int
	}{{"uint8", 8}, {"uint16", 16}} {
		t.Run(tt.dtype, func(t *testing.T) {
			q, scale, min := quantize(orig, tt.bits)
			var data []byte
			for _, v := range q {
				if tt.bits == 8 {
					data = append(data, byte(v))
				} else {
					data = binary.LittleEndian.AppendUint16(data, v)
				}
			}
			manifest := fmt.Sprintf(`[{"paths":["w"],"weights":[{"name":"d/kernel","shape":[2,4],"dtype":"float32",
				"quantization":{"dtype":%q,"scale":%s,"min":%s,"original_dtype":"float32"}}]}]`,
				tt.dtype, strconv.FormatFloat(scale, 'g', -1, 64), strconv.FormatFloat(min, 'g', -1, 64))
			w := mustRead(t, modelWith(manifest), serve(map[string][]byte{"w": data})).Weights[0]
			if w.DType != tt.dtype || !reflect.DeepEqual(w.Shape, []int{2, 4}) || len(w.Values) != len(orig) {
				t.Fatalf("got %s %v with %d values", w.DType, w.Shape, len(w.Values))
			}
			for i, v := range w.Values {
				// tfjs-core: Float32Array element = q*scale + min evaluated in float64.
				want := float32(float64(float64(q[i])*scale) + min)
				if math.Float32bits(v) != math.Float32bits(want) {
					t.Errorf("value %d = %v, want exactly %v", i, v, want)
				}
				if d := math.Abs(float64(v) - float64(orig[i])); d > scale/2+1e-6 {
					t.Errorf("value %d = %v is %g from the original %v, more than scale/2 = %g", i, v, d, orig[i], scale/2)
				}
			}
		})
	}
}

func TestQuantizedInt32(t *testing.T) {
	// Math.round rounds halves towards +Inf: -2.5 -> -2, -1.5 -> -1, 0.5 -> 1.
	manifest := `[{"paths":["w"],"weights":[{"name":"e/ids","shape":[4],"dtype":"int32","quantization":{"dtype":"uint8","scale":0.5,"min":-3}}]}]`
	w := mustRead(t, modelWith(manifest), serve(map[string][]byte{"w": {1, 3, 7, 10}})).Weights[0]
	if want := []float32{-2, -1, 1, 2}; !reflect.DeepEqual(w.Values, want) || w.DType != "uint8" {
		t.Errorf("got %s %v, want uint8 %v", w.DType, w.Values, want)
	}
}

func TestQuantizedFloat16(t *testing.T) {
	cases := []struct {
		bits uint16
		want float32
	}{
		{0x3800, 0.5},
		{0xc000, -2},
		{0x7bff, 65504},
		{0x3c01, 1.0009765625},
		{0x0001, float32(math.Ldexp(1, -24))},    // smallest subnormal
		{0x03ff, float32(math.Ldexp(1023, -24))}, // largest subnormal
		{0x0400, float32(math.Ldexp(1, -14))},    // smallest normal
		{0x8000, float32(math.Copysign(0, -1))},  // -0
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
	}
	var data []byte
	for _, c := range cases {
		data = binary.LittleEndian.AppendUint16(data, c.bits)
	}
	data = binary.LittleEndian.AppendUint16(data, 0x7e00) // NaN
	manifest := fmt.Sprintf(`[{"paths":["w"],"weights":[{"name":"d/kernel","shape":[%d],"dtype":"float32","quantization":{"dtype":"float16","original_dtype":"float32"}}]}]`, len(cases)+1)
	w := mustRead(t, modelWith(manifest), serve(map[string][]byte{"w": data})).Weights[0]
	if w.DType != "float16" {
		t.Errorf("DType = %q, want float16", w.DType)
	}
	for i, c := range cases {
		if math.Float32bits(w.Values[i]) != math.Float32bits(c.want) {
			t.Errorf("half %#04x = %v, want %v", c.bits, w.Values[i], c.want)
		}
	}
	if v := w.Values[len(cases)]; !math.IsNaN(float64(v)) {
		t.Errorf("half 0x7e00 = %v, want NaN", v)
	}
}

func TestHalfToFloat32AllValues(t *testing.T) {
	// Every finite half converts exactly: compare with the value computed in float64.
	for h := 0; h < 1<<16; h++ {
		e, m := h>>10&0x1f, float64(h&0x3ff)
		if e == 0x1f {
			continue
		}
		want := math.Ldexp(m, -24)
		if e > 0 {
			want = math.Ldexp(1024+m, e-25)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if got := halfToFloat32(uint16(h)); float64(got) != want || math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Fatalf("half %#04x: got %v, want %v", h, got, want)
		}
	}
}

func TestGraphModel(t *testing.T) {
	for _, m := range []string{
		`{"format":"graph-model","modelTopology":{"node":[],"library":{},"versions":{}},"weightsManifest":[]}`,
		`{"modelTopology":{"node":[{"name":"x","op":"Const"}],"library":{},"versions":{"producer":1}},"weightsManifest":[]}`,
	} {
		_, err := Read([]byte(m), nil)
		if !errors.Is(err, ErrGraphModel) {
			t.Fatalf("%s: err = %v, want ErrGraphModel", m, err)
		}
		if !strings.Contains(err.Error(), "only TF.js layers models and Keras .keras/.h5 files are supported; convert the original Keras model instead") {
			t.Errorf("message %q does not say what to do", err)
		}
	}
	_, err := Read([]byte(`{"format":"graph-model","modelTopology":{}}`), nil)
	want := `tfjs: model.json has "format": "graph-model" (a TensorFlow GraphDef converted from a SavedModel, modelTopology holds node/library/versions): only TF.js layers models and Keras .keras/.h5 files are supported; convert the original Keras model instead`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v,\nwant %s", err, want)
	}
}

func TestReadErrors(t *testing.T) {
	topo := `"modelTopology":{"class_name":"Sequential","config":{}}`
	w := func(specs string) string {
		return `{` + topo + `,"weightsManifest":[{"paths":["w.bin"],"weights":[` + specs + `]}]}`
	}
	paths := func(p string) string { return `{` + topo + `,"weightsManifest":[{"paths":[` + p + `],"weights":[]}]}` }
	tests := []struct {
		name, json, want string
	}{
		{"syntax", `{"modelTopology": {"class_name": "Sequential",}}`, "JSON syntax error at byte offset 47"},
		{"empty input", ``, "JSON syntax error at byte offset 0"},
		{"not an object", `[1, 2]`, "a JSON array at byte offset 1, want an object"},
		{"manifest type", `{` + topo + `,"weightsManifest":[{"paths":"w.bin"}]}`, "weightsManifest.paths is a JSON string at byte offset 92"},
		{"fractional dim", w(`{"name":"a","shape":[1.5],"dtype":"float32"}`), "weightsManifest.weights.shape is a JSON number 1.5"},
		{"huge dim literal", w(`{"name":"a","shape":[1e30],"dtype":"float32"}`), "weightsManifest.weights.shape is a JSON number 1e30"},
		{"no topology", `{"weightsManifest":[]}`, "model.json has no modelTopology"},
		{"null topology", `{"modelTopology":null}`, "model.json has no modelTopology"},
		{"topology not object", `{"modelTopology":"x"}`, "modelTopology is a JSON string at byte offset 20, want an object"},
		{"model_config not object", `{"modelTopology":{"model_config":[]}}`, "modelTopology.model_config is a JSON array at byte offset 34, want an object"},
		{"empty topology", `{"modelTopology":{"keras_version":"2.2.4"}}`, "modelTopology has neither model_config nor class_name/config"},
		{"class_name not string", `{"modelTopology":{"class_name":3,"config":{}}}`, "class_name is 3, want a class name string"},
		{"no config", `{"modelTopology":{"model_config":{"class_name":"Sequential"}}}`, `model config "Sequential": config is missing, want an object`},
		{"config not object", `{"modelTopology":{"class_name":"Sequential","config":[]}}`, `config is [], want an object`},
		{"unknown format", `{"format":"tfjs-graph",` + topo + `}`, `"format": "tfjs-graph"; only "layers-model" is supported`},
		{"short shard", w(`{"name":"dense/bias","shape":[2],"dtype":"float32"},{"name":"dense/kernel","shape":[784,512],"dtype":"float32"}`),
			`tfjs: weight "dense/kernel" [784 512] float32 needs 1605632 bytes at offset 8 but group 0 has only 16 bytes`},
		{"short quantized", w(`{"name":"q","shape":[9],"dtype":"float32","quantization":{"dtype":"uint16","scale":1,"min":0}}`),
			`weight "q" [9] uint16 needs 18 bytes at offset 0 but group 0 has only 16 bytes`},
		{"absurd shape", w(`{"name":"a","shape":[1000000000],"dtype":"int32"}`), `needs 4000000000 bytes at offset 0`},
		{"overflowing shape", w(`{"name":"a","shape":[4611686018427387904,4611686018427387904,3],"dtype":"float32"}`), `needs more than 9223372036854775807 bytes`},
		{"overflowing bytes", w(`{"name":"a","shape":[4611686018427387904],"dtype":"float32"}`), `needs more than 9223372036854775807 bytes`},
		{"negative dim", w(`{"name":"a","shape":[2,-1],"dtype":"float32"}`), `weight "a" has a negative dimension in shape [2 -1]`},
		{"no shape", w(`{"name":"a","dtype":"float32"}`), `weight "a" has no shape`},
		{"no name", w(`{"shape":[1],"dtype":"float32"}`), `weights group 0: weight 0 has no name`},
		{"duplicate name", `{` + topo + `,"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"d/kernel","shape":[1],"dtype":"float32"}]},{"paths":[],"weights":[{"name":"d/kernel","shape":[1],"dtype":"float32"}]}]}`,
			`duplicate weight name "d/kernel" (in weights group 0 and weights group 1)`},
		{"unknown dtype", w(`{"name":"a","shape":[1],"dtype":"float64"}`), `weight "a" has unsupported dtype "float64"`},
		{"complex dtype", w(`{"name":"a","shape":[1],"dtype":"complex64"}`), `weight "a" has unsupported dtype "complex64"`},
		{"string dtype", w(`{"name":"vocab","shape":[1],"dtype":"string"}`), `weight "vocab" has dtype string: string weights are not supported`},
		{"unknown quantization", w(`{"name":"a","shape":[1],"dtype":"float32","quantization":{"dtype":"int8"}}`), `unsupported quantization dtype "int8"`},
		{"affine without scale", w(`{"name":"a","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","min":0}}`), `uint8 quantization needs both scale and min`},
		{"float16 of int32", w(`{"name":"a","shape":[1],"dtype":"int32","quantization":{"dtype":"float16"}}`), `float16 quantization of dtype "int32"`},
		{"uint8 of bool", w(`{"name":"a","shape":[1],"dtype":"bool","quantization":{"dtype":"uint8","scale":1,"min":0}}`), `uint8 quantization of dtype "bool"`},
		{"missing shard", paths(`"w.bin","group1-shard2of2.bin"`), `tfjs: weights group 0: shard "group1-shard2of2.bin": open group1-shard2of2.bin: file does not exist`},
		{"absolute path", paths(`"/etc/passwd"`), `shard "/etc/passwd": absolute shard path`},
		{"dotdot", paths(`"../secret.bin"`), `shard "../secret.bin": ".." in shard path`},
		{"inner dotdot", paths(`"a/../../secret.bin"`), `".." in shard path`},
		{"backslash", paths(`"..\\secret.bin"`), `backslash`},
		{"url", paths(`"https://example.com/w.bin"`), `a URL is not a shard path`},
		{"empty path", paths(`""`), `empty shard path`},
		{"directory path", paths(`"./"`), `shard path names a directory`},
		{"repeated shard", `{` + topo + `,"weightsManifest":[{"paths":["w.bin"],"weights":[]},{"paths":["./w.bin"],"weights":[]}]}`, `weights group 1: shard "./w.bin": listed twice in weightsManifest`},
		{"weightSpecs without data", `{` + topo + `,"weightSpecs":[]}`, `"weightSpecs" but no base64 "weightData" string`},
		{"bad base64", `{` + topo + `,"weightSpecs":[],"weightData":"@@@"}`, `weightData: illegal base64 data`},
		{"weightData short", `{` + topo + `,"weightSpecs":[{"name":"a","shape":[2],"dtype":"float32"}],"weightData":"AAAA"}`,
			`weight "a" [2] float32 needs 8 bytes at offset 0 but weightData has only 3 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &shards{files: map[string][]byte{"w.bin": make([]byte, 16)}}
			f, err := Read([]byte(tt.json), s.open)
			if err == nil {
				t.Fatalf("no error; got %+v", f)
			}
			if f != nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tfjs: ") {
				t.Errorf("err = %v\nwant it to contain %s", err, tt.want)
			}
			for _, name := range s.opened {
				if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
					t.Errorf("opened %q", name)
				}
			}
		})
	}
}

func TestNilOpener(t *testing.T) {
	_, err := Read(modelWith(`[{"paths":["w.bin"],"weights":[]}]`), nil)
	if err == nil || !strings.Contains(err.Error(), `shard "w.bin": no shard reader given`) {
		t.Errorf("err = %v", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	model := modelWith(`[{"paths":["group1-shard1of2.bin","group1-shard2of2.bin"],"weights":[{"name":"d/kernel","shape":[3],"dtype":"float32"}]}]`)
	data := f32le(1, 2, 3)
	for name, b := range map[string][]byte{"model.json": model, "group1-shard1of2.bin": data[:8], "group1-shard2of2.bin": data[8:]} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Weights[0].Values, []float32{1, 2, 3}) {
		t.Errorf("values %v", f.Weights[0].Values)
	}

	if err := os.Remove(filepath.Join(dir, "group1-shard2of2.bin")); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(filepath.Join(dir, "model.json"))
	want := `tfjs: weights group 0: shard "group1-shard2of2.bin": open ` + filepath.Join(dir, "group1-shard2of2.bin") + ": no such file"
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant %s...", err, want)
	}

	if _, err := ReadFile(filepath.Join(dir, "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing model.json: err = %v", err)
	}

	// A symlink inside the directory must not lead out of it.
	outside := filepath.Join(t.TempDir(), "secret.bin")
	if err := os.WriteFile(outside, data[8:], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "group1-shard2of2.bin")); err != nil {
		t.Skipf("cannot create symlinks here: %v", err)
	}
	_, err = ReadFile(filepath.Join(dir, "model.json"))
	if err == nil || !strings.Contains(err.Error(), `shard "group1-shard2of2.bin": open `) {
		t.Errorf("symlink out of the directory: err = %v", err)
	}
}
