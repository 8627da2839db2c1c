package frontend

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgen/kerasgen/frontend/tfjs"
	"github.com/kerasgen/kerasgen/hdf5"
)

// Options tune Load.
type Options struct {
	// Weights is the weights file for an architecture-only file (`model.to_json()` output):
	// a Keras 3 `.weights.h5` or a legacy Keras 2 weights `.h5`.
	Weights string
	// Config is the architecture (`model.to_json()` output) for a weights-only `.h5` file.
	Config string
	// KnownClass reports custom classes that have a registered Go lowering, so that they are
	// not refused as unknown.
	KnownClass func(class string) bool
}

// maxMemberBytes bounds what is read from one member of a `.keras` zip (a zip may declare
// any size; this refuses a bomb before inflating it).
const maxMemberBytes = 8 << 30

var (
	hdf5Magic = []byte("\x89HDF\r\n\x1a\n")
	zipMagic  = []byte("PK\x03\x04")
)

// Load reads a model file of any supported kind, recognized by content: a `.keras` zip, an
// HDF5 full model (or weights-only file with opt.Config), a `model.to_json()` JSON with
// opt.Weights, or a TF.js layers model.json with its shards. Every error is a *FormatError
// or an *UnsupportedError and says what is wrong and where.
func Load(path string, opt Options) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FormatError{File: path, Err: err}
	}
	var m *Model
	switch {
	case bytes.HasPrefix(data, zipMagic):
		m, err = loadKeras(data, opt)
	case bytes.HasPrefix(data, hdf5Magic):
		m, err = loadH5(data, opt)
	case looksLikeJSON(data):
		m, err = loadJSON(path, data, opt)
	default:
		err = errors.New("not a Keras model file: expected a .keras zip, an HDF5 .h5 file, a model.to_json() JSON or a TF.js model.json")
	}
	if err == nil {
		// Inferring every output shape also checks each weight's shape against its layer.
		_, err = m.OutputShapes()
	}
	if err != nil {
		return nil, wrapFile(path, err)
	}
	return m, nil
}

func wrapFile(path string, err error) error {
	var fe *FormatError
	var ue *UnsupportedError
	switch {
	case errors.As(err, &ue):
		return err
	case errors.As(err, &fe):
		if fe.File == "" {
			fe.File = path
		}
		return fe
	}
	return &FormatError{File: path, Err: err}
}

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}

// dialectOf decides Keras-2 or Keras-3 semantics from the writer's version string.
func dialectOf(version string) int {
	v := strings.TrimSpace(version)
	if strings.HasPrefix(v, "3.") || v == "3" {
		return 3
	}
	return 2
}

// ---- .keras ----

func loadKeras(data []byte, opt Options) (*Model, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("corrupt .keras zip: %w", err)
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		members[f.Name] = f
	}
	read := func(name string) ([]byte, error) {
		f, ok := members[name]
		if !ok {
			var have []string
			for _, f := range zr.File {
				have = append(have, f.Name)
			}
			return nil, &FormatError{Reason: fmt.Sprintf("the .keras zip has no %s (it holds %s)", name, strings.Join(have, ", "))}
		}
		return readMember(f)
	}
	cfgData, err := read("config.json")
	if err != nil {
		return nil, err
	}
	version, backend := "", ""
	if _, ok := members["metadata.json"]; ok {
		md, err := read("metadata.json")
		if err != nil {
			return nil, err
		}
		var meta struct {
			KerasVersion string `json:"keras_version"`
			Backend      string `json:"backend"`
		}
		if err := decodeJSON(md, &meta); err != nil {
			return nil, fmt.Errorf("metadata.json: %w", err)
		}
		version, backend = meta.KerasVersion, meta.Backend
	}
	if version == "" {
		version = "3" // a .keras without metadata: Keras 3 wrote it
	}
	m, err := ParseConfig(cfgData, dialectOf(version))
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	m.Format, m.KerasVersion, m.Dialect, m.Backend = FormatKeras, version, dialectOf(version), backend
	m.CompileConfig = compileConfigOf(cfgData)
	if err := checkModel(m, opt); err != nil {
		return nil, err
	}
	if _, ok := members["model.weights.h5"]; !ok && len(needsWeights(m)) == 0 {
		return m, nil
	}
	wdata, err := read("model.weights.h5")
	if err != nil {
		return nil, err
	}
	f, err := hdf5.Open(wdata)
	if err != nil {
		return nil, fmt.Errorf("model.weights.h5: %w", err)
	}
	if err := assignObjectGraph(m, f.Root()); err != nil {
		return nil, fmt.Errorf("model.weights.h5: %w", err)
	}
	return m, nil
}

// readMember reads one zip member. It refuses, before inflating anything, a declared size
// past maxMemberBytes or one that the compressed data cannot hold (deflate expands at most
// about 1032 times), and checks the size it got against the declared one.
func readMember(f *zip.File) ([]byte, error) {
	declared, packed := f.UncompressedSize64, f.CompressedSize64
	if declared > maxMemberBytes || declared > packed*1100+1024 || (f.Method == zip.Store && declared != packed) {
		return nil, &FormatError{Reason: fmt.Sprintf("zip member %s declares %d bytes from %d compressed bytes: refused as corrupt", f.Name, declared, packed)}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip member %s: %w", f.Name, err)
	}
	defer rc.Close()
	var w bytes.Buffer
	w.Grow(int(min(declared, 64<<20)))
	if _, err := io.Copy(&w, io.LimitReader(rc, int64(declared)+1)); err != nil {
		return nil, fmt.Errorf("zip member %s: %w", f.Name, err)
	}
	if uint64(w.Len()) != declared {
		return nil, fmt.Errorf("zip member %s: %d bytes, but the directory says %d", f.Name, w.Len(), declared)
	}
	return w.Bytes(), nil
}

func compileConfigOf(cfg []byte) map[string]any {
	var top struct {
		CompileConfig map[string]any `json:"compile_config"`
	}
	if json.Unmarshal(cfg, &top) != nil || len(top.CompileConfig) == 0 {
		return nil
	}
	return top.CompileConfig
}

// ---- .h5 ----

func loadH5(data []byte, opt Options) (*Model, error) {
	f, err := hdf5.Open(data)
	if err != nil {
		return nil, err
	}
	root := f.Root()
	version := attrString(root, "keras_version")
	backend := attrString(root, "backend")
	cfgText := attrString(root, "model_config")
	var m *Model
	switch {
	case cfgText != "":
		if m, err = ParseConfig([]byte(cfgText), dialectOf(version)); err != nil {
			return nil, fmt.Errorf("model_config attribute: %w", err)
		}
		m.Format = FormatH5
	case opt.Config != "":
		if m, version, err = configFile(opt.Config, version); err != nil {
			return nil, err
		}
		m.Format = FormatJSON
	default:
		return nil, weightsOnlyError(root, version)
	}
	m.KerasVersion, m.Dialect, m.Backend = version, dialectOf(version), backend
	if tc := attrString(root, "training_config"); tc != "" {
		var c map[string]any
		if json.Unmarshal([]byte(tc), &c) == nil {
			m.CompileConfig = c
		}
	}
	if err := checkModel(m, opt); err != nil {
		return nil, err
	}
	if err := assignWeightsFile(m, root); err != nil {
		return nil, err
	}
	return m, nil
}

// weightsOnlyError explains a file that has weights but no architecture.
func weightsOnlyError(root *hdf5.Group, version string) error {
	var attrs []string
	if as, err := root.Attrs(); err == nil {
		for _, a := range as {
			attrs = append(attrs, a.Name)
		}
	}
	writer := ""
	if version != "" {
		writer = ", Keras " + version
	}
	what := "the HDF5 root has no model_config attribute"
	if len(attrs) > 0 {
		what = fmt.Sprintf("the HDF5 root has %s attributes but no model_config", strings.Join(attrs, "/"))
	} else if root.Has("layers") {
		what = "the HDF5 file holds Keras 3 object-graph weights (layers/...) but no model_config"
	}
	return &FormatError{Reason: fmt.Sprintf("no model architecture: %s (a save_weights() file%s); a full model file (.keras, or .h5 from model.save) is required, or pass the architecture with --config model.json", what, writer)}
}

// assignWeightsFile reads weights from an HDF5 root in whichever layout it has.
func assignWeightsFile(m *Model, root *hdf5.Group) error {
	switch {
	case root.Has("model_weights"):
		g, err := root.Group("model_weights")
		if err != nil {
			return err
		}
		return assignLegacy(m, g)
	case hasAttr(root, "layer_names") || hasAttr(root, "layer_names0"):
		return assignLegacy(m, root)
	case root.Has("layers") || root.Has("vars"):
		return assignObjectGraph(m, root)
	}
	if len(needsWeights(m)) == 0 {
		return nil
	}
	return &FormatError{Reason: "the HDF5 file holds no Keras weights (no model_weights group, no layer_names attribute, no layers group)"}
}

// ---- JSON: model.to_json() or TF.js ----

func loadJSON(path string, data []byte, opt Options) (*Model, error) {
	var top map[string]json.RawMessage
	if err := decodeJSON(data, &top); err != nil {
		return nil, err
	}
	if _, ok := top["modelTopology"]; ok {
		return loadTFJS(path)
	}
	if _, ok := top["weightsManifest"]; ok {
		return loadTFJS(path)
	}
	m, version, err := configBytes(data, "")
	if err != nil {
		return nil, err
	}
	m.Format = FormatJSON
	if err := checkModel(m, opt); err != nil {
		return nil, err
	}
	if opt.Weights == "" {
		if len(needsWeights(m)) == 0 {
			return m, nil
		}
		return nil, &FormatError{Reason: fmt.Sprintf("%s is an architecture without weights (model.to_json() output, Keras %s): pass the weights file with --weights model.weights.h5", filepath.Base(path), version)}
	}
	wf, err := hdf5.OpenFile(opt.Weights)
	if err != nil {
		return nil, &FormatError{File: opt.Weights, Err: err}
	}
	if err := assignWeightsFile(m, wf.Root()); err != nil {
		return nil, &FormatError{File: opt.Weights, Err: err}
	}
	return m, nil
}

// configFile reads a model.to_json() file given with --config.
func configFile(path, fallbackVersion string) (*Model, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &FormatError{File: path, Err: err}
	}
	m, v, err := configBytes(data, fallbackVersion)
	if err != nil {
		return nil, "", &FormatError{File: path, Err: err}
	}
	return m, v, nil
}

// configBytes parses model.to_json() output, deciding the dialect from its keras_version
// (Keras 2 writes one) or, failing that, from Keras 3 markers.
func configBytes(data []byte, fallbackVersion string) (*Model, string, error) {
	var top struct {
		KerasVersion string `json:"keras_version"`
		Backend      string `json:"backend"`
	}
	_ = json.Unmarshal(data, &top)
	version := top.KerasVersion
	if version == "" {
		version = fallbackVersion
	}
	if version == "" {
		version = "2"
		if bytes.Contains(data, []byte(`"batch_shape"`)) || bytes.Contains(data, []byte(`"__keras_tensor__"`)) ||
			bytes.Contains(data, []byte(`"DTypePolicy"`)) {
			version = "3"
		}
	}
	m, err := ParseConfig(data, dialectOf(version))
	if err != nil {
		return nil, "", err
	}
	m.KerasVersion, m.Dialect, m.Backend = version, dialectOf(version), top.Backend
	m.CompileConfig = compileConfigOf(data)
	return m, version, nil
}

func loadTFJS(path string) (*Model, error) {
	f, err := tfjs.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseConfig(f.Topology, 2)
	if err != nil {
		return nil, fmt.Errorf("modelTopology: %w", err)
	}
	m.Format, m.KerasVersion, m.Dialect, m.Backend = FormatTFJS, f.KerasVersion, 2, f.Backend
	if len(f.TrainingConfig) > 0 {
		var c map[string]any
		if json.Unmarshal(f.TrainingConfig, &c) == nil {
			m.CompileConfig = c
		}
	}
	if err := checkModel(m, Options{}); err != nil {
		return nil, err
	}
	ws := make([]namedWeight, len(f.Weights))
	for i, w := range f.Weights {
		ws[i] = namedWeight{Name: w.Name, Shape: w.Shape, DType: w.DType, Values: w.Values}
	}
	if err := assignByName(m, ws); err != nil {
		return nil, fmt.Errorf("weights manifest: %w", err)
	}
	return m, nil
}

// ---- shared ----

// checkModel validates a parsed model before weights are read: every class known, the
// graph well formed.
func checkModel(m *Model, opt Options) error {
	if err := checkClasses(m, opt.KnownClass); err != nil {
		return err
	}
	return checkGraph(m)
}

// needsWeights lists the leaf layers that own variables.
func needsWeights(m *Model) []*Layer {
	var out []*Layer
	for _, l := range m.Layers {
		if l.Model != nil {
			out = append(out, needsWeights(l.Model)...)
			continue
		}
		if specs, _ := variableSpecs(l.Class, l.Config); len(specs) > 0 {
			out = append(out, l)
		}
	}
	return out
}

func attrString(g *hdf5.Group, name string) string {
	a, err := g.Attr(name)
	if err != nil || a.IsEmpty() {
		return ""
	}
	s, err := a.String()
	if err != nil {
		return ""
	}
	return s
}

func hasAttr(g *hdf5.Group, name string) bool {
	_, err := g.Attr(name)
	return err == nil
}
