package tfjs

// Tests against the real TF.js files in the shared corpus and golden cases, which live
// read-only in ../../../shared (a sibling of the repository root) and are never copied here.

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// manifestFacts is what a test computes from model.json on its own, independently of Read.
type manifestFacts struct {
	names      []string
	shapes     [][]int
	elements   int
	groupBytes []int // bytes the manifest says each group holds (all weights are unquantized here)
	shardBytes []int // bytes of each group's shard files on disk
}

func readManifest(t *testing.T, path string) manifestFacts {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mj struct {
		WeightsManifest []struct {
			Paths   []string
			Weights []struct {
				Name  string
				Shape []int
				DType string
			}
		}
	}
	if err := json.Unmarshal(data, &mj); err != nil {
		t.Fatal(err)
	}
	size := map[string]int{"float32": 4, "int32": 4, "bool": 1}
	var m manifestFacts
	for _, g := range mj.WeightsManifest {
		gb, sb := 0, 0
		for _, w := range g.Weights {
			n := 1
			for _, d := range w.Shape {
				n *= d
			}
			m.names = append(m.names, w.Name)
			m.shapes = append(m.shapes, w.Shape)
			m.elements += n
			gb += n * size[w.DType]
		}
		for _, p := range g.Paths {
			fi, err := os.Stat(filepath.Join(filepath.Dir(path), p))
			if err != nil {
				t.Fatal(err)
			}
			sb += int(fi.Size())
		}
		m.groupBytes = append(m.groupBytes, gb)
		m.shardBytes = append(m.shardBytes, sb)
	}
	return m
}

// checkAgainstManifest checks f's weights against the manifest: names, shapes, counts.
func checkAgainstManifest(t *testing.T, f *File, m manifestFacts) {
	t.Helper()
	if len(f.Weights) != len(m.names) {
		t.Fatalf("%d weights, manifest has %d", len(f.Weights), len(m.names))
	}
	elements := 0
	for i, w := range f.Weights {
		elements += len(w.Values)
		if w.Name != m.names[i] || fmt.Sprint(w.Shape) != fmt.Sprint(m.shapes[i]) {
			t.Errorf("weight %d is %q %v, manifest has %q %v", i, w.Name, w.Shape, m.names[i], m.shapes[i])
		}
	}
	if elements != m.elements {
		t.Errorf("%d elements, manifest has %d", elements, m.elements)
	}
	if fmt.Sprint(m.groupBytes) != fmt.Sprint(m.shardBytes) {
		t.Errorf("manifest groups take %v bytes but the shards hold %v", m.groupBytes, m.shardBytes)
	}
}

func TestSharedCorpus(t *testing.T) {
	shared := sharedtest.Dir(t)
	tests := []struct {
		dir, format, class, version, backend string
		training                             bool
	}{
		{"tfjs-divorce-mlp", "layers-model", "Sequential", "2.7.0", "tensorflow", true},
		{"tfjs-teachable-image", "", "Sequential", "tfjs-layers 1.3.1", "tensor_flow.js", false},
		{"tfjs-textgen-lstm", "layers-model", "Sequential", "2.2.4", "tensorflow", true},
		{"tfjs-unet", "", "Model", "2.2.2", "tensorflow", true},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			path := filepath.Join(shared, "corpus", tt.dir, "model.json")
			f, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var topo struct {
				ClassName string          `json:"class_name"`
				Config    json.RawMessage `json:"config"`
			}
			if err := json.Unmarshal(f.Topology, &topo); err != nil || topo.ClassName != tt.class || len(topo.Config) == 0 {
				t.Errorf("Topology class %q (err %v), want %q", topo.ClassName, err, tt.class)
			}
			if f.Format != tt.format || f.KerasVersion != tt.version || f.Backend != tt.backend || (f.TrainingConfig != nil) != tt.training {
				t.Errorf("Format %q, KerasVersion %q, Backend %q, TrainingConfig %t; want %q, %q, %q, %t",
					f.Format, f.KerasVersion, f.Backend, f.TrainingConfig != nil, tt.format, tt.version, tt.backend, tt.training)
			}
			checkAgainstManifest(t, f, readManifest(t, path))
		})
	}
}

func TestSharedGraphModel(t *testing.T) {
	_, err := ReadFile(filepath.Join(sharedtest.Dir(t), "corpus", "tfjs-mnist-cnn", "model.json"))
	if !errors.Is(err, ErrGraphModel) {
		t.Fatalf("err = %v, want ErrGraphModel", err)
	}
}

// TestSharedGolden checks every weight of the golden TF.js files bit for bit against the
// case's weights.npz, written by Keras from the same model.
func TestSharedGolden(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(sharedtest.Dir(t), "golden", "*", "tfjs", "model.json"))
	if len(paths) == 0 {
		t.Fatal("no golden/*/tfjs/model.json under the shared directory")
	}
	for _, path := range paths {
		caseDir := filepath.Dir(filepath.Dir(path))
		t.Run(filepath.Base(caseDir), func(t *testing.T) {
			f, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != "layers-model" || f.KerasVersion != "tfjs-layers 4.22.0" {
				t.Errorf("Format %q, KerasVersion %q", f.Format, f.KerasVersion)
			}
			checkAgainstManifest(t, f, readManifest(t, path))
			npz := readNPZ(t, filepath.Join(caseDir, "weights.npz"))
			var meta struct {
				LayerWeights map[string][]string `json:"layer_weights"`
			}
			if b, err := os.ReadFile(filepath.Join(caseDir, "meta.json")); err != nil || json.Unmarshal(b, &meta) != nil {
				t.Fatalf("meta.json: %v", err)
			}
			byLayer := map[string]int{} // weights of each layer seen so far
			used := map[string]bool{}
			for _, w := range f.Weights {
				layer, _, _ := strings.Cut(w.Name, "/")
				key := npzKey(w.Name, npz, meta.LayerWeights[layer], byLayer[layer])
				byLayer[layer]++
				want, ok := npz[key]
				if !ok {
					t.Errorf("%s: no array in weights.npz", w.Name)
					continue
				}
				used[key] = true
				if fmt.Sprint(want.shape) != fmt.Sprint(w.Shape) || len(want.data) != len(w.Values) {
					t.Errorf("%s: shape %v, weights.npz %s has %v", w.Name, w.Shape, key, want.shape)
					continue
				}
				for i, v := range w.Values {
					if math.Float32bits(v) != math.Float32bits(want.data[i]) {
						t.Errorf("%s[%d] = %v, weights.npz %s has %v", w.Name, i, v, key, want.data[i])
						break
					}
				}
			}
			if len(used) != len(npz) {
				t.Errorf("matched %d of the %d arrays in weights.npz", len(used), len(npz))
			}
		})
	}
}

// npzKey finds the weights.npz key (a Keras 3 variable path) of a TF.js weight name: the key
// equal to name or ending in "/"+name. TF.js names some variables differently (LSTM/GRU
// "lstm/kernel" vs "lstm/lstm_cell/kernel", Bidirectional "forward_forward_lstm", Depthwise
// "depthwise_kernel" vs "kernel"); those fall back to the i-th variable of the layer named by
// the first path element (meta.json layer_weights), i counting that layer's manifest weights.
func npzKey(name string, npz map[string]npyArray, layerVars []string, i int) string {
	var found []string
	for k := range npz {
		if k == name || strings.HasSuffix(k, "/"+name) {
			found = append(found, k)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	if i < len(layerVars) {
		return layerVars[i]
	}
	return ""
}

// npyArray is a float32 array read from a .npy file.
type npyArray struct {
	shape []int
	data  []float32
}

// readNPZ reads a .npz (a zip of .npy files) holding little-endian float32 arrays, keyed by
// member name without ".npy".
func readNPZ(t *testing.T, path string) map[string]npyArray {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	out := map[string]npyArray{}
	for _, zf := range z.File {
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		a, err := parseNPY(b)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, zf.Name, err)
		}
		out[strings.TrimSuffix(zf.Name, ".npy")] = a
	}
	return out
}

var (
	npyDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// parseNPY parses a version 1, 2 or 3 .npy file of a C-order '<f4' array.
func parseNPY(b []byte) (npyArray, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return npyArray{}, errors.New("not a .npy file")
	}
	hlen, start := int(binary.LittleEndian.Uint16(b[8:])), 10
	if b[6] >= 2 {
		if len(b) < 12 {
			return npyArray{}, errors.New("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if start+hlen > len(b) {
		return npyArray{}, errors.New("truncated header")
	}
	header := string(b[start : start+hlen])
	descr, fortran, shape := npyDescr.FindStringSubmatch(header), npyFortran.FindStringSubmatch(header), npyShape.FindStringSubmatch(header)
	if descr == nil || fortran == nil || shape == nil || descr[1] != "<f4" || fortran[1] != "False" {
		return npyArray{}, fmt.Errorf("unsupported header %q", header)
	}
	a := npyArray{shape: []int{}}
	n := 1
	for _, s := range strings.Split(shape[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			d, err := strconv.Atoi(s)
			if err != nil {
				return npyArray{}, fmt.Errorf("bad shape %q", shape[1])
			}
			a.shape = append(a.shape, d)
			n *= d
		}
	}
	body := b[start+hlen:]
	if len(body) != 4*n {
		return npyArray{}, fmt.Errorf("%d data bytes for shape %v", len(body), a.shape)
	}
	a.data = make([]float32, n)
	for i := range a.data {
		a.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return a, nil
}
