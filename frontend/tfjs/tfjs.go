// Package tfjs reads TF.js layers-model files: model.json and its weight shards.
//
// Read and ReadFile accept the model.json layouts seen in the wild:
//   - converter output ("format": "layers-model"): modelTopology is
//     {"keras_version", "backend", "model_config": {"class_name", "config"}, "training_config"};
//   - the same from older converters, without a "format" key;
//   - tfjs-layers model.save(): modelTopology is the model config itself,
//     {"class_name", "config", "keras_version", "backend"}, with an optional top-level
//     "trainingConfig".
//
// Weights come from "weightsManifest": a list of groups whose shard files (paths relative to
// model.json's directory) are concatenated in order and hold the group's weights back to
// back, little-endian. A top-level "weightSpecs" list with a base64 "weightData" string (TF.js
// ModelArtifacts, as tf.io's localStorage handler keeps them) is read as one group. Stored
// dtypes float32, int32 and bool become float32 values; quantized weights (uint8 and uint16
// affine, float16) are dequantized the way tfjs-core's io.decodeWeights does.
//
// The input is untrusted: a malformed file yields an error naming the offending object, never
// a panic, and no weight is allocated before its bytes are known to be present. Shard paths
// must stay inside model.json's directory. TF.js graph models are refused with an error that
// matches ErrGraphModel.
package tfjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
)

// File is the raw content of a TF.js layers model.
type File struct {
	Topology       json.RawMessage // the Keras model config: {"class_name": ..., "config": ...}
	KerasVersion   string          // "2.2.4", "tfjs-layers 4.22.0", ... ("" if none)
	Backend        string          // "tensorflow", "tensor_flow.js", ... ("" if none)
	TrainingConfig json.RawMessage // the Keras training config, or nil
	Weights        []Weight        // in manifest order
	Format         string          // "layers-model" or "" (absent)
}

// Weight is one weight tensor as named in the manifest.
type Weight struct {
	Name   string    // manifest name as written, e.g. "dense_1/kernel"
	Shape  []int     // dimensions; empty for a scalar
	DType  string    // stored dtype: "float32", "int32", "bool", or the quantized "uint8", "uint16", "float16"
	Values []float32 // dequantized / converted values, C order
}

// ErrGraphModel is matched (errors.Is) by the error returned for a TF.js graph model.
var ErrGraphModel = errors.New("tfjs: TF.js graph model")

// GraphModelError is returned for a TF.js graph model; it matches ErrGraphModel.
type GraphModelError struct {
	NoFormat bool // recognised by its modelTopology (node/library/versions), "format" absent
}

func (e *GraphModelError) Error() string {
	what := `model.json has "format": "graph-model" (a TensorFlow GraphDef converted from a SavedModel, modelTopology holds node/library/versions)`
	if e.NoFormat {
		what = `model.json is a TF.js graph model (no "format" key, but modelTopology holds node/library/versions: a TensorFlow GraphDef converted from a SavedModel)`
	}
	return "tfjs: " + what + ": only TF.js layers models and Keras .keras/.h5 files are supported; convert the original Keras model instead"
}

// Is reports whether target is ErrGraphModel.
func (e *GraphModelError) Is(target error) bool { return target == ErrGraphModel }

// ReadFile reads the model.json at path and the weight shards next to it. Shards are opened
// through an os.Root on model.json's directory, so neither a path nor a symlink can leave it.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	dir := filepath.Dir(path)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	defer root.Close()
	return Read(data, func(name string) ([]byte, error) {
		b, err := root.ReadFile(filepath.FromSlash(name))
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Op == "openat" {
			pe.Op, pe.Path = "open", filepath.Join(dir, filepath.FromSlash(name))
		}
		return b, err
	})
}

// Read parses model.json and reads the weight shards through open, which is called with each
// shard path after it has been checked (relative, no "..", no backslash) and cleaned
// ("./weights.bin" becomes "weights.bin"). open may be nil for a model without shards.
func Read(modelJSON []byte, open func(name string) ([]byte, error)) (*File, error) {
	var mj modelFile
	if err := json.Unmarshal(modelJSON, &mj); err != nil {
		return nil, jsonError(err)
	}
	switch mj.Format {
	case "", "layers-model":
	case "graph-model":
		return nil, &GraphModelError{}
	default:
		return nil, fmt.Errorf(`tfjs: model.json has "format": %q; only "layers-model" is supported`, mj.Format)
	}
	f, err := readTopology(&mj)
	if err != nil {
		return nil, err
	}
	if f.Weights, err = readWeights(&mj, open); err != nil {
		return nil, err
	}
	return f, nil
}

// modelFile is the part of model.json this package reads.
type modelFile struct {
	Format          string          `json:"format"`
	GeneratedBy     string          `json:"generatedBy"`
	ModelTopology   *topology       `json:"modelTopology"`
	TrainingConfig  json.RawMessage `json:"trainingConfig"`
	WeightsManifest []group         `json:"weightsManifest"`
	WeightSpecs     []weightSpec    `json:"weightSpecs"`
	WeightData      *string         `json:"weightData"`
}

// topology is modelTopology (both layouts) and, nested, a converter's model_config.
type topology struct {
	ClassName      json.RawMessage `json:"class_name"`
	Config         json.RawMessage `json:"config"`
	ModelConfig    *topology       `json:"model_config"`
	KerasVersion   string          `json:"keras_version"`
	Backend        string          `json:"backend"`
	TrainingConfig json.RawMessage `json:"training_config"`
	Node           json.RawMessage `json:"node"`
	Library        json.RawMessage `json:"library"`
	Versions       json.RawMessage `json:"versions"`
}

type group struct {
	Paths   []string     `json:"paths"`
	Weights []weightSpec `json:"weights"`
}

type weightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	DType string   `json:"dtype"`
	Scale *float64 `json:"scale"`
	Min   *float64 `json:"min"`
}

func readTopology(mj *modelFile) (*File, error) {
	t := mj.ModelTopology
	if t == nil {
		return nil, errors.New("tfjs: model.json has no modelTopology (a weights-only file?)")
	}
	m := t // model.save() layout
	switch {
	case t.ModelConfig != nil: // converter layout
		m = t.ModelConfig
	case !isNull(t.ClassName) || !isNull(t.Config):
	case !isNull(t.Node) || !isNull(t.Library) || !isNull(t.Versions):
		return nil, &GraphModelError{NoFormat: true}
	default:
		return nil, errors.New("tfjs: modelTopology has neither model_config nor class_name/config")
	}
	var class string
	if err := json.Unmarshal(m.ClassName, &class); err != nil || class == "" {
		return nil, fmt.Errorf("tfjs: model config: class_name is %s, want a class name string", describe(m.ClassName))
	}
	if c := bytes.TrimSpace(m.Config); len(c) == 0 || c[0] != '{' {
		return nil, fmt.Errorf("tfjs: model config %q: config is %s, want an object", class, describe(m.Config))
	}
	topo, err := json.Marshal(struct {
		ClassName json.RawMessage `json:"class_name"`
		Config    json.RawMessage `json:"config"`
	}{m.ClassName, m.Config})
	if err != nil {
		return nil, fmt.Errorf("tfjs: model config: %v", err)
	}
	return &File{
		Topology:       topo,
		KerasVersion:   firstNonEmpty(t.KerasVersion, m.KerasVersion, versionFromGeneratedBy(mj.GeneratedBy)),
		Backend:        firstNonEmpty(t.Backend, m.Backend),
		TrainingConfig: firstNonNull(t.TrainingConfig, m.TrainingConfig, mj.TrainingConfig),
		Format:         mj.Format,
	}, nil
}

// versionFromGeneratedBy turns "keras v2.2.4" into "2.2.4" and
// "TensorFlow.js tfjs-layers v4.22.0" into "tfjs-layers 4.22.0".
func versionFromGeneratedBy(s string) string {
	if v, ok := strings.CutPrefix(s, "keras v"); ok {
		return v
	}
	if v, ok := strings.CutPrefix(s, "TensorFlow.js tfjs-layers v"); ok {
		return "tfjs-layers " + v
	}
	return ""
}

func readWeights(mj *modelFile, open func(string) ([]byte, error)) ([]Weight, error) {
	seen := map[string]string{} // weight name -> where it was first declared
	check := func(where string, specs []weightSpec) error {
		for i, s := range specs {
			if s.Name == "" {
				return fmt.Errorf("tfjs: %s: weight %d has no name", where, i)
			}
			if prev, dup := seen[s.Name]; dup {
				return fmt.Errorf("tfjs: duplicate weight name %q (in %s and %s)", s.Name, prev, where)
			}
			seen[s.Name] = where
		}
		return nil
	}
	var out []Weight
	shardSeen := map[string]bool{}
	for gi, g := range mj.WeightsManifest {
		where := fmt.Sprintf("weights group %d", gi)
		if err := check(where, g.Weights); err != nil {
			return nil, err
		}
		var data []byte
		for _, p := range g.Paths {
			b, err := readShard(p, shardSeen, open)
			if err != nil {
				return nil, fmt.Errorf("tfjs: %s: shard %q: %w", where, p, err)
			}
			if data == nil {
				data = b[:len(b):len(b)] // a later append must copy, not write into b
			} else {
				data = append(data, b...)
			}
		}
		ws, err := decodeGroup(fmt.Sprintf("group %d", gi), g.Weights, data)
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
	}
	if mj.WeightsManifest == nil && mj.WeightSpecs != nil {
		if mj.WeightData == nil {
			return nil, errors.New(`tfjs: model.json has "weightSpecs" but no base64 "weightData" string`)
		}
		data, err := base64.StdEncoding.DecodeString(*mj.WeightData)
		if err != nil {
			return nil, fmt.Errorf("tfjs: weightData: %v", err)
		}
		if err := check("weightSpecs", mj.WeightSpecs); err != nil {
			return nil, err
		}
		return decodeGroup("weightData", mj.WeightSpecs, data)
	}
	return out, nil
}

// readShard checks a manifest path and reads it through open. A shard listed twice is an
// error: reading it again could multiply the memory a small model.json makes us use.
func readShard(p string, seen map[string]bool, open func(string) ([]byte, error)) ([]byte, error) {
	name, err := shardName(p)
	switch {
	case err != nil:
		return nil, err
	case seen[name]:
		return nil, errors.New("listed twice in weightsManifest")
	case open == nil:
		return nil, errors.New("no shard reader given")
	}
	seen[name] = true
	return open(name)
}

// shardName checks a manifest path and returns it cleaned.
func shardName(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("empty shard path")
	case strings.Contains(p, "://"):
		return "", errors.New("a URL is not a shard path; download the shard next to model.json")
	case strings.ContainsAny(p, "\\\x00"):
		return "", errors.New("shard path contains a backslash or NUL")
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || filepath.VolumeName(p) != "":
		return "", errors.New("absolute shard path: shards must lie in model.json's directory")
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return "", errors.New(`".." in shard path: shards must lie in model.json's directory`)
		}
	}
	name := path.Clean(p)
	if name == "." {
		return "", errors.New("shard path names a directory")
	}
	return name, nil
}

// jsonError makes a decoding error name its byte offset in model.json.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("tfjs: model.json: JSON syntax error at byte offset %d: %v", se.Offset, err)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("tfjs: model.json: a JSON %s at byte offset %d, want an object", te.Value, te.Offset)
	case errors.As(err, &te):
		want := te.Type.String()
		if te.Type.Kind() == reflect.Struct {
			want = "an object"
		}
		return fmt.Errorf("tfjs: model.json: %s is a JSON %s at byte offset %d, want %s", te.Field, te.Value, te.Offset, want)
	}
	return fmt.Errorf("tfjs: model.json: %v", err)
}

func isNull(raw json.RawMessage) bool {
	r := bytes.TrimSpace(raw)
	return len(r) == 0 || string(r) == "null"
}

// describe names a JSON value for an error message, shortening long ones.
func describe(raw json.RawMessage) string {
	if isNull(raw) {
		return "missing"
	}
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "..."
	}
	return s
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstNonNull(r ...json.RawMessage) json.RawMessage {
	for _, v := range r {
		if !isNull(v) {
			return v
		}
	}
	return nil
}
