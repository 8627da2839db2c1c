package frontend

import "strings"

// varSpec describes one variable a layer owns, in the layer's variable order (Keras'
// layer.weights order: the layer's own trainable variables, its own non-trainable ones,
// then its sub-layers'). Files either do not name variables (`.keras` stores vars/<i>) or name
// them differently across versions, so the names and the order come from this table.
type varSpec struct {
	// Name is the object-graph path: sub-layer attributes, then the variable name
	// ("kernel", "cell/recurrent_kernel", "forward_layer/cell/bias", "query_dense/kernel").
	Name      string
	Trainable bool
}

// variableSpecs returns the variables a layer of a known class owns given its config, and
// false for a class this table does not know.
func variableSpecs(class string, cfg Config) ([]varSpec, bool) {
	t := func(names ...string) []varSpec {
		out := make([]varSpec, len(names))
		for i, n := range names {
			out[i] = varSpec{Name: n, Trainable: true}
		}
		return out
	}
	bias := func(specs []varSpec, key string) []varSpec {
		if cfg.Bool(key, true) {
			specs = append(specs, varSpec{Name: "bias", Trainable: true})
		}
		return specs
	}
	switch class {
	case "InputLayer", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU",
		"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
		"GaussianNoise", "AlphaDropout", "ActivityRegularization", "Flatten", "Reshape", "Permute",
		"RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D",
		"ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
		"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
		"AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
		"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
		"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
		"Rescaling", "Resizing", "CenterCrop", "UnitNormalization", "Masking", "Lambda", "TFOpLambda",
		"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
		"RandomBrightness", "RandomCrop", "RandomHeight", "RandomWidth",
		"Identity":
		return nil, true
	case "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
		"Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D":
		// Keras 2 names the depthwise kernel depthwise_kernel; Keras 3 calls it kernel.
		if class == "EinsumDense" { // a bias exists when bias_axes names its axes
			if cfg.String("bias_axes", "") != "" {
				return t("kernel", "bias"), true
			}
			return t("kernel"), true
		}
		return bias(t("kernel"), "use_bias"), true
	case "SeparableConv1D", "SeparableConv2D":
		return bias(t("depthwise_kernel", "pointwise_kernel"), "use_bias"), true
	case "Embedding":
		return t("embeddings"), true
	case "PReLU":
		return t("alpha"), true
	case "BatchNormalization":
		var s []varSpec
		if cfg.Bool("scale", true) {
			s = append(s, varSpec{"gamma", true})
		}
		if cfg.Bool("center", true) {
			s = append(s, varSpec{"beta", true})
		}
		return append(s, varSpec{"moving_mean", false}, varSpec{"moving_variance", false}), true
	case "LayerNormalization", "GroupNormalization":
		var s []varSpec
		if cfg.Bool("scale", true) {
			s = append(s, varSpec{"gamma", true})
		}
		if cfg.Bool("center", true) && !cfg.Bool("rms_scaling", false) {
			s = append(s, varSpec{"beta", true})
		}
		return s, true
	case "Normalization":
		if cfg.Has("mean") { // adapted constants given in the config: no variables
			return nil, true
		}
		return []varSpec{{"mean", false}, {"variance", false}, {"count", false}}, true
	case "SimpleRNN", "LSTM", "GRU":
		return prefixSpecs("cell/", bias(t("kernel", "recurrent_kernel"), "use_bias")), true
	case "Bidirectional", "TimeDistributed":
		inner, icfg, ok := cfg.Object("layer")
		if !ok {
			return nil, false
		}
		fw, ok := variableSpecs(inner, icfg)
		if !ok {
			return nil, false
		}
		if class == "TimeDistributed" {
			return prefixSpecs("layer/", fw), true
		}
		bw := fw
		if bc, bcfg, ok := cfg.Object("backward_layer"); ok {
			if bw, ok = variableSpecs(bc, bcfg); !ok {
				return nil, false
			}
		}
		return append(prefixSpecs("forward_layer/", fw), prefixSpecs("backward_layer/", bw)...), true
	case "MultiHeadAttention":
		var s []varSpec
		for _, sub := range []string{"query_dense", "key_dense", "value_dense", "output_dense"} {
			s = append(s, prefixSpecs(sub+"/", bias(t("kernel"), "use_bias"))...)
		}
		return s, true
	case "Attention", "AdditiveAttention":
		var s []varSpec
		if cfg.Bool("use_scale", class == "AdditiveAttention") {
			s = append(s, varSpec{"scale", true})
		}
		if cfg.String("score_mode", "dot") == "concat" {
			s = append(s, varSpec{"concat_score_weight", true})
		}
		return s, true
	}
	return nil, false
}

func prefixSpecs(prefix string, specs []varSpec) []varSpec {
	out := make([]varSpec, len(specs))
	for i, s := range specs {
		out[i] = varSpec{Name: prefix + s.Name, Trainable: s.Trainable}
	}
	return out
}

// keras2Aliases lists other names files use for a variable's last path component.
var keras2Aliases = map[string][]string{
	"kernel": {"depthwise_kernel"},
}

// legacyAttrAliases lists other spellings of sub-layer attributes in object-graph paths
// (tf-keras writes private attribute names).
var legacyAttrAliases = map[string]string{
	"query_dense": "_query_dense", "key_dense": "_key_dense", "value_dense": "_value_dense",
	"output_dense": "_output_dense",
}

// objectPath splits a spec name into its sub-object path and variable name.
func objectPath(name string) (objs []string, variable string) {
	parts := strings.Split(name, "/")
	return parts[:len(parts)-1], parts[len(parts)-1]
}
