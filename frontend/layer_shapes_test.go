package frontend

import (
	"encoding/json"
	"strings"
	"testing"
)

// ruleCase runs one class's shape rule on a config and input shapes. Expected shapes come
// from Keras 3's documented formulas:
//   - conv 'valid': floor((n - dilation*(k-1) - 1)/stride) + 1; 'same'/'causal': ceil(n/stride);
//   - pooling 'valid': floor((n - pool)/stride) + 1 (strides default to pool_size); 'same':
//     ceil(n/stride);
//   - transposed conv (compute_conv_transpose_output_shape), with k' = (k-1)*dilation + 1:
//     'valid': (n-1)*stride + k' + (output_padding, or max(k', stride) - k' when none);
//     'same': n*stride without output_padding, else (n-1)*stride + k'%2 + output_padding.
type ruleCase struct {
	name  string
	class string
	cfg   string // the layer config, a JSON object
	in    []Shape
	kw    map[string]any   // call kwargs; a TensorRef names an entry of refs
	refs  map[string]Shape // shapes of keyword tensors, by TensorRef.Layer
	want  []Shape
	err   string // a phrase the error must contain; "" for success
}

const unk = -1 // an unknown dimension (None)

func shp(dims ...int) Shape { return Shape(dims) }

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.class+"/"+tc.name, func(t *testing.T) {
			rule, ok := shapeRules[tc.class]
			if !ok {
				t.Fatalf("no shape rule for class %s", tc.class)
			}
			var cfg map[string]any
			if err := json.Unmarshal([]byte(tc.cfg), &cfg); err != nil {
				t.Fatalf("config: %v", err)
			}
			l := &Layer{Name: "l", Class: tc.class, Config: Config(cfg)}
			n := Node{Kwargs: map[string]any{}}
			for range tc.in {
				n.Inputs = append(n.Inputs, TensorRef{Layer: "x"})
			}
			for k, v := range tc.kw {
				n.Kwargs[k] = v
			}
			before := make([]Shape, len(tc.in))
			for i, s := range tc.in {
				before[i] = clone(s)
			}
			shapeOf := func(r TensorRef) Shape { return clone(tc.refs[r.Layer]) }
			got, err := rule(l, n, tc.in, shapeOf)
			for i := range tc.in {
				if !tc.in[i].Equal(before[i]) {
					t.Errorf("the rule modified input %d: %s, was %s", i, tc.in[i], before[i])
				}
			}
			if tc.err != "" {
				if err == nil {
					t.Fatalf("inputs %s: got %s, want an error saying %q", shapeList(tc.in), shapeList(got), tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q does not say %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("inputs %s: %v", shapeList(tc.in), err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("inputs %s: got %d outputs [%s], want %d [%s]", shapeList(tc.in), len(got), shapeList(got), len(tc.want), shapeList(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("inputs %s: output %d is %s, want %s", shapeList(tc.in), i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestShapeConv(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid", class: "Conv2D", cfg: `{"filters": 32, "kernel_size": [3, 3], "padding": "valid"}`,
			in: []Shape{shp(unk, 28, 28, 1)}, want: []Shape{shp(unk, 26, 26, 32)}},
		{name: "int kernel", class: "Conv2D", cfg: `{"filters": 4, "kernel_size": 3}`,
			in: []Shape{shp(unk, 9, 8, 3)}, want: []Shape{shp(unk, 7, 6, 4)}},
		{name: "valid strided", class: "Conv2D", cfg: `{"filters": 4, "kernel_size": 3, "strides": 2, "padding": "valid"}`,
			// floor((9-2-1)/2)+1 = 4, floor((8-2-1)/2)+1 = 3
			in: []Shape{shp(unk, 9, 8, 3)}, want: []Shape{shp(unk, 4, 3, 4)}},
		{name: "same strided", class: "Conv2D", cfg: `{"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}`,
			in: []Shape{shp(unk, 9, 8, 3)}, want: []Shape{shp(unk, 5, 4, 4)}},
		{name: "rect kernel strides", class: "Conv2D", cfg: `{"filters": 2, "kernel_size": [3, 5], "strides": [1, 3]}`,
			// floor((10-3)/1)+1 = 8, floor((12-5)/3)+1 = 3
			in: []Shape{shp(unk, 10, 12, 1)}, want: []Shape{shp(unk, 8, 3, 2)}},
		{name: "dilated", class: "Conv2D", cfg: `{"filters": 2, "kernel_size": 3, "dilation_rate": 2}`,
			// 10 - 2*2 - 1 = 5 -> 6
			in: []Shape{shp(unk, 10, 10, 1)}, want: []Shape{shp(unk, 6, 6, 2)}},
		{name: "unknown spatial", class: "Conv2D", cfg: `{"filters": 2, "kernel_size": 3}`,
			in: []Shape{shp(unk, unk, 5, 3)}, want: []Shape{shp(unk, unk, 3, 2)}},
		{name: "channels_first", class: "Conv2D", cfg: `{"filters": 8, "kernel_size": 5, "data_format": "channels_first"}`,
			in: []Shape{shp(unk, 3, 32, 30)}, want: []Shape{shp(unk, 8, 28, 26)}},
		{name: "groups", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 1, "groups": 2}`,
			in: []Shape{shp(unk, 4, 4, 4)}, want: []Shape{shp(unk, 4, 4, 6)}},
		{name: "bad groups", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 1, "groups": 3}`,
			in: []Shape{shp(unk, 4, 4, 4)}, err: "groups 3"},
		{name: "too small", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 5}`,
			in: []Shape{shp(unk, 4, 4, 4)}, err: "zero or negative"},
		{name: "wrong rank", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 3}`,
			in: []Shape{shp(unk, 10, 4)}, err: "input shape (None, 10, 4): want rank 4"},
		{name: "unknown channels", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 3}`,
			in: []Shape{shp(unk, 10, 10, unk)}, err: "channel dimension"},
		{name: "bad data_format", class: "Conv2D", cfg: `{"filters": 6, "kernel_size": 3, "data_format": "nhwc"}`,
			in: []Shape{shp(unk, 10, 10, 1)}, err: "data_format"},
		{name: "causal", class: "Conv1D", cfg: `{"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "causal"}`,
			in: []Shape{shp(unk, 10, 2)}, want: []Shape{shp(unk, 10, 5)}},
		{name: "causal strided", class: "Conv1D", cfg: `{"filters": 5, "kernel_size": [3], "strides": [2], "padding": "causal"}`,
			in: []Shape{shp(unk, 11, 2)}, want: []Shape{shp(unk, 6, 5)}},
		{name: "keras2 lists", class: "Conv1D", cfg: `{"filters": 4, "kernel_size": [5], "strides": [1], "dilation_rate": [1], "padding": "valid"}`,
			in: []Shape{shp(unk, 186, 1)}, want: []Shape{shp(unk, 182, 4)}},
		{name: "unknown length", class: "Conv1D", cfg: `{"filters": 4, "kernel_size": 5, "strides": 2}`,
			in: []Shape{shp(unk, unk, 1)}, want: []Shape{shp(unk, unk, 4)}},
		{name: "causal 2D", class: "Conv2D", cfg: `{"filters": 4, "kernel_size": 3, "padding": "causal"}`,
			in: []Shape{shp(unk, 8, 8, 1)}, err: "causal"},
		{name: "same 3D", class: "Conv3D", cfg: `{"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}`,
			in: []Shape{shp(unk, 8, 9, 10, 1)}, want: []Shape{shp(unk, 4, 5, 5, 3)}},
		{name: "valid 3D", class: "Conv3D", cfg: `{"filters": 3, "kernel_size": [1, 2, 3]}`,
			in: []Shape{shp(4, 8, 9, 10, 1)}, want: []Shape{shp(4, 8, 8, 8, 3)}},
	})
}

func TestShapeConvTranspose(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid", class: "Conv2DTranspose", cfg: `{"filters": 4, "kernel_size": 3, "strides": 2, "padding": "valid"}`,
			// (7-1)*2 + 3 + max(3,2)-3 = 15
			in: []Shape{shp(unk, 7, 7, 2)}, want: []Shape{shp(unk, 15, 15, 4)}},
		{name: "valid stride > kernel", class: "Conv2DTranspose", cfg: `{"filters": 4, "kernel_size": 2, "strides": 3}`,
			// (7-1)*3 + 2 + max(2,3)-2 = 21
			in: []Shape{shp(unk, 7, 5, 2)}, want: []Shape{shp(unk, 21, 15, 4)}},
		{name: "same", class: "Conv2DTranspose", cfg: `{"filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}`,
			in: []Shape{shp(unk, 7, 5, 2)}, want: []Shape{shp(unk, 14, 10, 8)}},
		{name: "same output_padding", class: "Conv2DTranspose", cfg: `{"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}`,
			// (7-1)*2 + 3%2 + 1 = 14
			in: []Shape{shp(unk, 7, 7, 2)}, want: []Shape{shp(unk, 14, 14, 8)}},
		{name: "same even kernel output_padding 0", class: "Conv2DTranspose", cfg: `{"filters": 8, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": [0, 0]}`,
			// (7-1)*2 + 0 + 0 = 12
			in: []Shape{shp(unk, 7, 7, 2)}, want: []Shape{shp(unk, 12, 12, 8)}},
		{name: "valid output_padding", class: "Conv2DTranspose", cfg: `{"filters": 1, "kernel_size": 3, "strides": 2, "output_padding": [1, 0]}`,
			// (7-1)*2 + 3 + 1 = 16, (7-1)*2 + 3 + 0 = 15
			in: []Shape{shp(unk, 7, 7, 2)}, want: []Shape{shp(unk, 16, 15, 1)}},
		{name: "dilated", class: "Conv2DTranspose", cfg: `{"filters": 1, "kernel_size": 3, "dilation_rate": 2}`,
			// k' = 5: (7-1)*1 + 5 + 0 = 11
			in: []Shape{shp(unk, 7, 7, 2)}, want: []Shape{shp(unk, 11, 11, 1)}},
		{name: "unknown", class: "Conv2DTranspose", cfg: `{"filters": 1, "kernel_size": 3, "strides": 2, "padding": "same"}`,
			in: []Shape{shp(unk, unk, 4, 2)}, want: []Shape{shp(unk, unk, 8, 1)}},
		{name: "channels_first", class: "Conv2DTranspose", cfg: `{"filters": 6, "kernel_size": 2, "strides": 2, "data_format": "channels_first"}`,
			in: []Shape{shp(unk, 3, 4, 5)}, want: []Shape{shp(unk, 6, 8, 10)}},
		{name: "1D", class: "Conv1DTranspose", cfg: `{"filters": 4, "kernel_size": 4, "strides": 3}`,
			// (5-1)*3 + 4 + 0 = 16
			in: []Shape{shp(unk, 5, 3)}, want: []Shape{shp(unk, 16, 4)}},
		{name: "causal", class: "Conv1DTranspose", cfg: `{"filters": 4, "kernel_size": 4, "padding": "causal"}`,
			in: []Shape{shp(unk, 5, 3)}, err: "causal"},
		{name: "3D", class: "Conv3DTranspose", cfg: `{"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}`,
			in: []Shape{shp(unk, 2, 3, 4, 1)}, want: []Shape{shp(unk, 4, 6, 8, 2)}},
	})
}

func TestShapeDepthwiseSeparable(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid", class: "DepthwiseConv2D", cfg: `{"kernel_size": 3, "depth_multiplier": 2}`,
			in: []Shape{shp(unk, 11, 11, 3)}, want: []Shape{shp(unk, 9, 9, 6)}},
		{name: "same strided", class: "DepthwiseConv2D", cfg: `{"kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}`,
			in: []Shape{shp(unk, 11, 11, 3)}, want: []Shape{shp(unk, 6, 6, 3)}},
		{name: "1D", class: "DepthwiseConv1D", cfg: `{"kernel_size": 3}`,
			in: []Shape{shp(unk, 10, 4)}, want: []Shape{shp(unk, 8, 4)}},
		{name: "same", class: "SeparableConv2D", cfg: `{"filters": 5, "kernel_size": 3, "padding": "same", "depth_multiplier": 3}`,
			in: []Shape{shp(unk, 11, 11, 3)}, want: []Shape{shp(unk, 11, 11, 5)}},
		{name: "1D strided", class: "SeparableConv1D", cfg: `{"filters": 7, "kernel_size": 3, "strides": 2}`,
			// floor((10-3)/2)+1 = 4
			in: []Shape{shp(unk, 10, 4)}, want: []Shape{shp(unk, 4, 7)}},
	})
}

func TestShapePooling(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "default strides", class: "MaxPooling2D", cfg: `{"pool_size": [2, 2], "strides": null, "padding": "valid"}`,
			// floor((9-2)/2)+1 = 4, floor((8-2)/2)+1 = 4
			in: []Shape{shp(unk, 9, 8, 3)}, want: []Shape{shp(unk, 4, 4, 3)}},
		{name: "same", class: "MaxPooling2D", cfg: `{"pool_size": 2, "padding": "same"}`,
			in: []Shape{shp(unk, 9, 8, 3)}, want: []Shape{shp(unk, 5, 4, 3)}},
		{name: "stride 1", class: "AveragePooling2D", cfg: `{"pool_size": 3, "strides": 1}`,
			in: []Shape{shp(unk, 5, 6, 3)}, want: []Shape{shp(unk, 3, 4, 3)}},
		{name: "keras2", class: "MaxPooling2D", cfg: `{"pool_size": [3, 3], "strides": [2, 2], "padding": "valid"}`,
			// floor((64-3)/2)+1 = 31
			in: []Shape{shp(unk, 64, 63, 8)}, want: []Shape{shp(unk, 31, 31, 8)}},
		{name: "channels_first", class: "MaxPooling2D", cfg: `{"pool_size": 2, "data_format": "channels_first"}`,
			in: []Shape{shp(unk, 3, 8, 9)}, want: []Shape{shp(unk, 3, 4, 4)}},
		{name: "unknown", class: "MaxPooling2D", cfg: `{}`,
			in: []Shape{shp(unk, unk, 9, 3)}, want: []Shape{shp(unk, unk, 4, 3)}},
		{name: "too small", class: "MaxPooling2D", cfg: `{"pool_size": 4}`,
			in: []Shape{shp(unk, 3, 9, 3)}, err: "zero or negative"},
		{name: "1D same", class: "AveragePooling1D", cfg: `{"pool_size": 2, "strides": 1, "padding": "same"}`,
			in: []Shape{shp(unk, 7, 4)}, want: []Shape{shp(unk, 7, 4)}},
		{name: "1D", class: "MaxPooling1D", cfg: `{"pool_size": [2], "strides": [2]}`,
			in: []Shape{shp(unk, 9, 4)}, want: []Shape{shp(unk, 4, 4)}},
		{name: "3D", class: "MaxPooling3D", cfg: `{"pool_size": 2}`,
			in: []Shape{shp(unk, 4, 5, 6, 2)}, want: []Shape{shp(unk, 2, 2, 3, 2)}},
		{name: "3D same", class: "AveragePooling3D", cfg: `{"pool_size": [2, 2, 2], "padding": "same"}`,
			in: []Shape{shp(unk, 4, 5, 6, 2)}, want: []Shape{shp(unk, 2, 3, 3, 2)}},
		{name: "wrong rank", class: "MaxPooling2D", cfg: `{}`,
			in: []Shape{shp(unk, 4, 5)}, err: "want rank 4"},
		{name: "2D", class: "GlobalAveragePooling2D", cfg: `{}`,
			in: []Shape{shp(unk, 7, 9, 3)}, want: []Shape{shp(unk, 3)}},
		{name: "keepdims", class: "GlobalAveragePooling2D", cfg: `{"keepdims": true}`,
			in: []Shape{shp(unk, 7, 9, 3)}, want: []Shape{shp(unk, 1, 1, 3)}},
		{name: "channels_first", class: "GlobalMaxPooling2D", cfg: `{"data_format": "channels_first"}`,
			in: []Shape{shp(unk, 3, 7, 9)}, want: []Shape{shp(unk, 3)}},
		{name: "channels_first keepdims", class: "GlobalMaxPooling2D", cfg: `{"data_format": "channels_first", "keepdims": true}`,
			in: []Shape{shp(unk, 3, 7, 9)}, want: []Shape{shp(unk, 3, 1, 1)}},
		{name: "1D", class: "GlobalMaxPooling1D", cfg: `{}`,
			in: []Shape{shp(unk, unk, 4)}, want: []Shape{shp(unk, 4)}},
		{name: "1D", class: "GlobalAveragePooling1D", cfg: `{"keepdims": false}`,
			in: []Shape{shp(3, 186, 16)}, want: []Shape{shp(3, 16)}},
		{name: "3D keepdims", class: "GlobalAveragePooling3D", cfg: `{"keepdims": true}`,
			in: []Shape{shp(unk, 2, 3, 4, 5)}, want: []Shape{shp(unk, 1, 1, 1, 5)}},
		{name: "3D", class: "GlobalMaxPooling3D", cfg: `{}`,
			in: []Shape{shp(unk, 2, 3, 4, 5)}, want: []Shape{shp(unk, 5)}},
	})
}

func TestShapeReshaping(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "4D", class: "Flatten", cfg: `{}`, in: []Shape{shp(unk, 4, 4, 64)}, want: []Shape{shp(unk, 1024)}},
		{name: "unknown", class: "Flatten", cfg: `{}`, in: []Shape{shp(unk, unk, 3)}, want: []Shape{shp(unk, unk)}},
		{name: "rank 1", class: "Flatten", cfg: `{}`, in: []Shape{shp(unk)}, want: []Shape{shp(unk, 1)}},
		{name: "known", class: "Reshape", cfg: `{"target_shape": [3, 4]}`, in: []Shape{shp(unk, 12)}, want: []Shape{shp(unk, 3, 4)}},
		{name: "minus one", class: "Reshape", cfg: `{"target_shape": [-1, 4]}`, in: []Shape{shp(unk, 2, 6)}, want: []Shape{shp(unk, 3, 4)}},
		{name: "unknown input", class: "Reshape", cfg: `{"target_shape": [3, -1]}`, in: []Shape{shp(unk, unk, 4)}, want: []Shape{shp(unk, 3, unk)}},
		{name: "size mismatch", class: "Reshape", cfg: `{"target_shape": [5, 2]}`, in: []Shape{shp(unk, 12)}, err: "cannot be reshaped"},
		{name: "indivisible", class: "Reshape", cfg: `{"target_shape": [5, -1]}`, in: []Shape{shp(unk, 12)}, err: "cannot be reshaped"},
		{name: "two unknown", class: "Reshape", cfg: `{"target_shape": [-1, -1]}`, in: []Shape{shp(unk, 12)}, err: "more than one"},
		{name: "swap", class: "Permute", cfg: `{"dims": [2, 1]}`, in: []Shape{shp(unk, 10, 64)}, want: []Shape{shp(unk, 64, 10)}},
		{name: "3 axes", class: "Permute", cfg: `{"dims": [3, 1, 2]}`, in: []Shape{shp(unk, 2, 3, 4)}, want: []Shape{shp(unk, 4, 2, 3)}},
		{name: "not a permutation", class: "Permute", cfg: `{"dims": [1, 1]}`, in: []Shape{shp(unk, 2, 3)}, err: "permutation"},
		{name: "n", class: "RepeatVector", cfg: `{"n": 3}`, in: []Shape{shp(unk, 32)}, want: []Shape{shp(unk, 3, 32)}},
		{name: "default", class: "Cropping1D", cfg: `{}`, in: []Shape{shp(unk, 10, 3)}, want: []Shape{shp(unk, 8, 3)}},
		{name: "pair", class: "Cropping1D", cfg: `{"cropping": [2, 3]}`, in: []Shape{shp(unk, 10, 3)}, want: []Shape{shp(unk, 5, 3)}},
		{name: "too much", class: "Cropping1D", cfg: `{"cropping": [5, 5]}`, in: []Shape{shp(unk, 10, 3)}, err: "leaves nothing"},
		{name: "pairs", class: "Cropping2D", cfg: `{"cropping": [[2, 2], [4, 4]]}`, in: []Shape{shp(unk, 28, 28, 3)}, want: []Shape{shp(unk, 24, 20, 3)}},
		{name: "int", class: "Cropping2D", cfg: `{"cropping": 1}`, in: []Shape{shp(unk, 28, 28, 3)}, want: []Shape{shp(unk, 26, 26, 3)}},
		{name: "symmetric", class: "Cropping2D", cfg: `{"cropping": [1, 2]}`, in: []Shape{shp(unk, 28, unk, 3)}, want: []Shape{shp(unk, 26, unk, 3)}},
		{name: "channels_first", class: "Cropping2D", cfg: `{"cropping": [[1, 0], [0, 2]], "data_format": "channels_first"}`, in: []Shape{shp(unk, 3, 10, 10)}, want: []Shape{shp(unk, 3, 9, 8)}},
		{name: "3D", class: "Cropping3D", cfg: `{"cropping": [[1, 1], [0, 1], [2, 0]]}`, in: []Shape{shp(unk, 5, 5, 5, 1)}, want: []Shape{shp(unk, 3, 4, 3, 1)}},
		{name: "int", class: "ZeroPadding1D", cfg: `{"padding": 2}`, in: []Shape{shp(unk, 10, 3)}, want: []Shape{shp(unk, 14, 3)}},
		{name: "pair", class: "ZeroPadding1D", cfg: `{"padding": [1, 3]}`, in: []Shape{shp(unk, 10, 3)}, want: []Shape{shp(unk, 14, 3)}},
		{name: "default", class: "ZeroPadding2D", cfg: `{}`, in: []Shape{shp(unk, 224, 224, 3)}, want: []Shape{shp(unk, 226, 226, 3)}},
		{name: "pairs", class: "ZeroPadding2D", cfg: `{"padding": [[0, 1], [0, 1]]}`, in: []Shape{shp(unk, 224, 224, 3)}, want: []Shape{shp(unk, 225, 225, 3)}},
		{name: "mixed pairs", class: "ZeroPadding2D", cfg: `{"padding": [[1, 0], [2, 1]]}`, in: []Shape{shp(unk, 5, 5, 3)}, want: []Shape{shp(unk, 6, 8, 3)}},
		{name: "symmetric", class: "ZeroPadding2D", cfg: `{"padding": [1, 2]}`, in: []Shape{shp(unk, 5, 5, 3)}, want: []Shape{shp(unk, 7, 9, 3)}},
		{name: "channels_first", class: "ZeroPadding2D", cfg: `{"padding": 1, "data_format": "channels_first"}`, in: []Shape{shp(unk, 3, 5, 5)}, want: []Shape{shp(unk, 3, 7, 7)}},
		{name: "bad", class: "ZeroPadding2D", cfg: `{"padding": [1, 2, 3]}`, in: []Shape{shp(unk, 5, 5, 3)}, err: "want an int"},
		{name: "3D", class: "ZeroPadding3D", cfg: `{"padding": 1}`, in: []Shape{shp(unk, 2, 3, 4, 1)}, want: []Shape{shp(unk, 4, 5, 6, 1)}},
		{name: "1D", class: "UpSampling1D", cfg: `{"size": 2}`, in: []Shape{shp(unk, 5, 3)}, want: []Shape{shp(unk, 10, 3)}},
		{name: "2D", class: "UpSampling2D", cfg: `{"size": [2, 3], "interpolation": "nearest"}`, in: []Shape{shp(unk, 4, unk, 3)}, want: []Shape{shp(unk, 8, unk, 3)}},
		{name: "2D int", class: "UpSampling2D", cfg: `{"size": 2}`, in: []Shape{shp(unk, 4, 5, 3)}, want: []Shape{shp(unk, 8, 10, 3)}},
		{name: "channels_first", class: "UpSampling2D", cfg: `{"size": [2, 2], "data_format": "channels_first"}`, in: []Shape{shp(unk, 3, 4, 5)}, want: []Shape{shp(unk, 3, 8, 10)}},
		{name: "3D", class: "UpSampling3D", cfg: `{}`, in: []Shape{shp(unk, 1, 2, 3, 4)}, want: []Shape{shp(unk, 2, 4, 6, 4)}},
	})
}

func TestShapeCore(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "2D", class: "Dense", cfg: `{"units": 5}`, in: []Shape{shp(unk, 10)}, want: []Shape{shp(unk, 5)}},
		{name: "3D", class: "Dense", cfg: `{"units": 3}`, in: []Shape{shp(unk, 10, 4)}, want: []Shape{shp(unk, 10, 3)}},
		{name: "4D", class: "Dense", cfg: `{"units": 3}`, in: []Shape{shp(2, unk, 7, 4)}, want: []Shape{shp(2, unk, 7, 3)}},
		{name: "rank 1", class: "Dense", cfg: `{"units": 3}`, in: []Shape{shp(unk)}, err: "want rank >= 2"},
		{name: "unknown last", class: "Dense", cfg: `{"units": 3}`, in: []Shape{shp(unk, 10, unk)}, err: "last dimension"},
		{name: "no units", class: "Dense", cfg: `{}`, in: []Shape{shp(unk, 10)}, err: "units"},
		{name: "two inputs", class: "Dense", cfg: `{"units": 3}`, in: []Shape{shp(unk, 10), shp(unk, 10)}, err: "2 positional"},
		{name: "plain", class: "EinsumDense", cfg: `{"equation": "ab,bc->ac", "output_shape": 64}`, in: []Shape{shp(unk, 32)}, want: []Shape{shp(unk, 64)}},
		{name: "partial", class: "EinsumDense", cfg: `{"equation": "abc,cd->abd", "output_shape": [null, 64], "bias_axes": "d"}`, in: []Shape{shp(unk, 10, 32)}, want: []Shape{shp(unk, 10, 64)}},
		{name: "heads", class: "EinsumDense", cfg: `{"equation": "abc,cde->abde", "output_shape": [null, 4, 8]}`, in: []Shape{shp(unk, 6, 16)}, want: []Shape{shp(unk, 6, 4, 8)}},
		{name: "left ellipsis", class: "EinsumDense", cfg: `{"equation": "...b,bc->...c", "output_shape": 16}`, in: []Shape{shp(unk, 5, 7, 8)}, want: []Shape{shp(unk, 5, 7, 16)}},
		{name: "right ellipsis", class: "EinsumDense", cfg: `{"equation": "ab...,bc->ac...", "output_shape": 4}`, in: []Shape{shp(unk, 3, 5)}, want: []Shape{shp(unk, 4, 5)}},
		{name: "shared axis mismatch", class: "EinsumDense", cfg: `{"equation": "abc,cd->abd", "output_shape": [7, 64]}`, in: []Shape{shp(unk, 10, 32)}, err: "differ at shared axis"},
		{name: "bad equation", class: "EinsumDense", cfg: `{"equation": "ab,bc,cd->ad", "output_shape": 4}`, in: []Shape{shp(unk, 3)}, err: "equation"},
		{name: "sequence", class: "Embedding", cfg: `{"input_dim": 100, "output_dim": 8}`, in: []Shape{shp(unk, 10)}, want: []Shape{shp(unk, 10, 8)}},
		{name: "rank 1", class: "Embedding", cfg: `{"input_dim": 100, "output_dim": 8, "input_length": 1}`, in: []Shape{shp(unk)}, want: []Shape{shp(unk, 8)}},
		{name: "output_shape", class: "Lambda", cfg: `{"function": "x", "output_shape": [5, null]}`, in: []Shape{shp(4, 10)}, want: []Shape{shp(4, 5, unk)}},
		{name: "several outputs", class: "Lambda", cfg: `{"output_shape": [[5], [2, 3]]}`, in: []Shape{shp(unk, 10)}, want: []Shape{shp(unk, 5), shp(unk, 2, 3)}},
		{name: "no output_shape", class: "Lambda", cfg: `{"function": ["code", null, null], "output_shape": null}`, in: []Shape{shp(unk, 64, 64, 3)}, want: []Shape{shp(unk, 64, 64, 3)}},
		{name: "function output_shape", class: "Lambda", cfg: `{"output_shape": {"class_name": "__lambda__"}}`, in: []Shape{shp(unk, 7)}, want: []Shape{shp(unk, 7)}},
		{name: "two inputs", class: "Lambda", cfg: `{}`, in: []Shape{shp(unk, 7), shp(unk, 7)}, err: "cannot tell"},
		{name: "kwarg y", class: "TFOpLambda", cfg: `{"function": "__operators__.add"}`, in: []Shape{shp(unk, 186, 1)},
			kw: map[string]any{"y": TensorRef{Layer: "y"}, "name": nil}, refs: map[string]Shape{"y": shp(unk, 186, 1)}, want: []Shape{shp(unk, 186, 1)}},
		{name: "broadcast", class: "TFOpLambda", cfg: `{"function": "math.multiply"}`, in: []Shape{shp(unk, 5, 1)},
			kw: map[string]any{"y": TensorRef{Layer: "y"}}, refs: map[string]Shape{"y": shp(1, 4)}, want: []Shape{shp(unk, 5, 4)}},
		{name: "number", class: "TFOpLambda", cfg: `{"function": "math.truediv"}`, in: []Shape{shp(unk, 5)},
			kw: map[string]any{"y": 255.0}, want: []Shape{shp(unk, 5)}},
		{name: "unary", class: "TFOpLambda", cfg: `{"function": "nn.relu"}`, in: []Shape{shp(unk, 5)}, want: []Shape{shp(unk, 5)}},
		{name: "mismatch", class: "TFOpLambda", cfg: `{"function": "__operators__.add"}`, in: []Shape{shp(unk, 5)},
			kw: map[string]any{"y": TensorRef{Layer: "y"}}, refs: map[string]Shape{"y": shp(unk, 4)}, err: "cannot be broadcast"},
		{name: "unknown function", class: "TFOpLambda", cfg: `{"function": "math.reduce_mean"}`, in: []Shape{shp(unk, 5)}, err: "math.reduce_mean"},
		{name: "one_hot", class: "CategoryEncoding", cfg: `{"num_tokens": 5, "output_mode": "one_hot"}`, in: []Shape{shp(unk)}, want: []Shape{shp(unk, 5)}},
		{name: "one_hot trailing 1", class: "CategoryEncoding", cfg: `{"num_tokens": 5, "output_mode": "one_hot"}`, in: []Shape{shp(unk, 1)}, want: []Shape{shp(unk, 5)}},
		{name: "one_hot sequence", class: "CategoryEncoding", cfg: `{"num_tokens": 5, "output_mode": "one_hot"}`, in: []Shape{shp(unk, 3)}, want: []Shape{shp(unk, 3, 5)}},
		{name: "multi_hot", class: "CategoryEncoding", cfg: `{"num_tokens": 5, "output_mode": "multi_hot"}`, in: []Shape{shp(unk, 3)}, want: []Shape{shp(unk, 5)}},
	})
	// Every shape-preserving class.
	var cases []ruleCase
	for _, c := range []string{"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
		"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
		"AlphaDropout", "ActivityRegularization", "Masking", "BatchNormalization", "LayerNormalization",
		"GroupNormalization", "UnitNormalization", "Rescaling", "Normalization", "Identity", "RandomFlip",
		"RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness"} {
		cases = append(cases, ruleCase{name: "identity", class: c, cfg: `{}`, in: []Shape{shp(unk, 6, 7, 3)}, want: []Shape{shp(unk, 6, 7, 3)}})
	}
	cases = append(cases, ruleCase{name: "two inputs", class: "Dropout", cfg: `{}`, in: []Shape{shp(unk, 3), shp(unk, 3)}, err: "want 1"})
	runRuleCases(t, cases)
}

func TestShapeMerging(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "same", class: "Add", cfg: `{}`, in: []Shape{shp(unk, 3), shp(unk, 3)}, want: []Shape{shp(unk, 3)}},
		{name: "three", class: "Add", cfg: `{}`, in: []Shape{shp(unk, 4, 3), shp(unk, 4, 3), shp(unk, 4, 3)}, want: []Shape{shp(unk, 4, 3)}},
		{name: "broadcast 1", class: "Multiply", cfg: `{}`, in: []Shape{shp(unk, 4, 3), shp(unk, 1, 3)}, want: []Shape{shp(unk, 4, 3)}},
		{name: "lower rank", class: "Multiply", cfg: `{}`, in: []Shape{shp(unk, 5, 3), shp(unk, 3)}, want: []Shape{shp(unk, 5, 3)}},
		{name: "unknown vs known", class: "Maximum", cfg: `{}`, in: []Shape{shp(unk, unk, 3), shp(unk, 4, 3)}, want: []Shape{shp(unk, 4, 3)}},
		{name: "known batch", class: "Average", cfg: `{}`, in: []Shape{shp(2, 3), shp(unk, 3)}, want: []Shape{shp(2, 3)}},
		{name: "different batch", class: "Average", cfg: `{}`, in: []Shape{shp(2, 3), shp(4, 3)}, err: "batch"},
		{name: "mismatch", class: "Add", cfg: `{}`, in: []Shape{shp(unk, 3), shp(unk, 4)}, err: "(None, 3), (None, 4)"},
		{name: "two", class: "Subtract", cfg: `{}`, in: []Shape{shp(unk, 3), shp(unk, 3)}, want: []Shape{shp(unk, 3)}},
		{name: "three", class: "Subtract", cfg: `{}`, in: []Shape{shp(unk, 3), shp(unk, 3), shp(unk, 3)}, err: "exactly 2"},
		{name: "min", class: "Minimum", cfg: `{}`, in: []Shape{shp(unk, 3, 1), shp(unk, 1, 5)}, want: []Shape{shp(unk, 3, 5)}},
		{name: "last", class: "Concatenate", cfg: `{"axis": -1}`, in: []Shape{shp(unk, 3), shp(unk, 4)}, want: []Shape{shp(unk, 7)}},
		{name: "axis 1", class: "Concatenate", cfg: `{"axis": 1}`, in: []Shape{shp(unk, 2, 5), shp(unk, 3, 5)}, want: []Shape{shp(unk, 5, 5)}},
		{name: "unknown axis dim", class: "Concatenate", cfg: `{}`, in: []Shape{shp(unk, 4, unk), shp(unk, 4, 5)}, want: []Shape{shp(unk, 4, unk)}},
		{name: "unknown other dim", class: "Concatenate", cfg: `{}`, in: []Shape{shp(unk, unk, 2), shp(unk, 4, 5)}, want: []Shape{shp(unk, 4, 7)}},
		{name: "mismatch", class: "Concatenate", cfg: `{"axis": -1}`, in: []Shape{shp(unk, 3, 5), shp(unk, 4, 5)}, err: "differ outside"},
		{name: "rank", class: "Concatenate", cfg: `{}`, in: []Shape{shp(unk, 3, 5), shp(unk, 5)}, err: "different ranks"},
		{name: "batch axis", class: "Concatenate", cfg: `{"axis": 0}`, in: []Shape{shp(unk, 3), shp(unk, 3)}, err: "batch axis"},
		{name: "vectors", class: "Dot", cfg: `{"axes": 1, "normalize": true}`, in: []Shape{shp(unk, 5), shp(unk, 5)}, want: []Shape{shp(unk, 1)}},
		{name: "matrices", class: "Dot", cfg: `{"axes": [2, 2]}`, in: []Shape{shp(unk, 3, 4), shp(unk, 5, 4)}, want: []Shape{shp(unk, 3, 5)}},
		{name: "mixed axes", class: "Dot", cfg: `{"axes": [1, 2]}`, in: []Shape{shp(unk, 4, 3), shp(unk, 5, 4)}, want: []Shape{shp(unk, 3, 5)}},
		{name: "negative", class: "Dot", cfg: `{"axes": -1}`, in: []Shape{shp(unk, 3, 4), shp(unk, 5, 4)}, want: []Shape{shp(unk, 3, 5)}},
		{name: "mismatch", class: "Dot", cfg: `{"axes": -1}`, in: []Shape{shp(unk, 3, 4), shp(unk, 5, 6)}, err: "differ"},
	})
}

func TestShapePreprocessing(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "resize", class: "Resizing", cfg: `{"height": 64, "width": 32}`, in: []Shape{shp(unk, 256, 256, 3)}, want: []Shape{shp(unk, 64, 32, 3)}},
		{name: "unknown", class: "Resizing", cfg: `{"height": 64, "width": 32}`, in: []Shape{shp(unk, unk, unk, 3)}, want: []Shape{shp(unk, 64, 32, 3)}},
		{name: "channels_first", class: "Resizing", cfg: `{"height": 8, "width": 9, "data_format": "channels_first"}`, in: []Shape{shp(unk, 3, 20, 20)}, want: []Shape{shp(unk, 3, 8, 9)}},
		{name: "crop", class: "CenterCrop", cfg: `{"height": 20, "width": 10}`, in: []Shape{shp(unk, 32, 32, 3)}, want: []Shape{shp(unk, 20, 10, 3)}},
		{name: "crop", class: "RandomCrop", cfg: `{"height": 20, "width": 10}`, in: []Shape{shp(unk, 32, 32, 3)}, want: []Shape{shp(unk, 20, 10, 3)}},
		{name: "no height", class: "Resizing", cfg: `{"width": 10}`, in: []Shape{shp(unk, 32, 32, 3)}, err: "height"},
	})
}

func lstmObj(cfg string) string { return `{"class_name": "LSTM", "config": ` + cfg + `}` }

func TestShapeRecurrent(t *testing.T) {
	in := []Shape{shp(unk, 5, 3)}
	runRuleCases(t, []ruleCase{
		{name: "last", class: "LSTM", cfg: `{"units": 8}`, in: in, want: []Shape{shp(unk, 8)}},
		{name: "sequences", class: "LSTM", cfg: `{"units": 8, "return_sequences": true}`, in: in, want: []Shape{shp(unk, 5, 8)}},
		{name: "states", class: "LSTM", cfg: `{"units": 8, "return_state": true}`, in: in, want: []Shape{shp(unk, 8), shp(unk, 8), shp(unk, 8)}},
		{name: "unknown time", class: "LSTM", cfg: `{"units": 8, "return_sequences": true, "return_state": true}`, in: []Shape{shp(unk, unk, 74)},
			want: []Shape{shp(unk, unk, 8), shp(unk, 8), shp(unk, 8)}},
		{name: "states", class: "GRU", cfg: `{"units": 4, "return_sequences": true, "return_state": true}`, in: in, want: []Shape{shp(unk, 5, 4), shp(unk, 4)}},
		{name: "last", class: "GRU", cfg: `{"units": 4, "reset_after": true}`, in: in, want: []Shape{shp(unk, 4)}},
		{name: "states", class: "SimpleRNN", cfg: `{"units": 2, "return_state": true}`, in: in, want: []Shape{shp(unk, 2), shp(unk, 2)}},
		{name: "rank 2", class: "SimpleRNN", cfg: `{"units": 2}`, in: []Shape{shp(unk, 5)}, err: "want rank 3"},
		{name: "concat", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4, "return_sequences": true}`) + `, "merge_mode": "concat"}`,
			in: in, want: []Shape{shp(unk, 5, 8)}},
		{name: "default concat", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4}`) + `}`,
			in: in, want: []Shape{shp(unk, 8)}},
		{name: "sum", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4, "return_sequences": true}`) + `, "merge_mode": "sum"}`,
			in: in, want: []Shape{shp(unk, 5, 4)}},
		{name: "ave", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4}`) + `, "merge_mode": "ave"}`,
			in: in, want: []Shape{shp(unk, 4)}},
		{name: "mul", class: "Bidirectional", cfg: `{"layer": {"class_name": "GRU", "config": {"units": 4}}, "merge_mode": "mul"}`,
			in: in, want: []Shape{shp(unk, 4)}},
		{name: "none", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4}`) + `, "merge_mode": null}`,
			in: in, want: []Shape{shp(unk, 4), shp(unk, 4)}},
		{name: "states", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4, "return_state": true}`) + `, "merge_mode": "concat"}`,
			in: in, want: []Shape{shp(unk, 8), shp(unk, 4), shp(unk, 4), shp(unk, 4), shp(unk, 4)}},
		{name: "none states", class: "Bidirectional", cfg: `{"layer": {"class_name": "GRU", "config": {"units": 4, "return_state": true, "return_sequences": true}}, "merge_mode": null}`,
			in: in, want: []Shape{shp(unk, 5, 4), shp(unk, 5, 4), shp(unk, 4), shp(unk, 4)}},
		{name: "backward layer", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4}`) + `, "backward_layer": ` + lstmObj(`{"units": 6, "go_backwards": true}`) + `}`,
			in: in, want: []Shape{shp(unk, 10)}},
		{name: "bad mode", class: "Bidirectional", cfg: `{"layer": ` + lstmObj(`{"units": 4}`) + `, "merge_mode": "max"}`, in: in, err: "merge_mode"},
		{name: "dense", class: "TimeDistributed", cfg: `{"layer": {"class_name": "Dense", "config": {"units": 4}}}`,
			in: in, want: []Shape{shp(unk, 5, 4)}},
		{name: "conv", class: "TimeDistributed", cfg: `{"layer": {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3}}}`,
			in: []Shape{shp(unk, 5, 8, 8, 1)}, want: []Shape{shp(unk, 5, 6, 6, 2)}},
		{name: "flatten", class: "TimeDistributed", cfg: `{"layer": {"class_name": "Flatten", "config": {}}}`,
			in: []Shape{shp(unk, unk, 4, 4)}, want: []Shape{shp(unk, unk, 16)}},
		{name: "unknown inner", class: "TimeDistributed", cfg: `{"layer": {"class_name": "Mystery", "config": {}}}`,
			in: in, err: "Mystery"},
	})
}

func TestShapeAttention(t *testing.T) {
	q := shp(unk, 6, 16)
	runRuleCases(t, []ruleCase{
		{name: "self", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8}`, in: []Shape{q, q}, want: []Shape{shp(unk, 6, 16)}},
		{name: "output_shape", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8, "output_shape": 10}`, in: []Shape{q, q}, want: []Shape{shp(unk, 6, 10)}},
		{name: "output_shape list", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8, "output_shape": [2, 5]}`, in: []Shape{q, q}, want: []Shape{shp(unk, 6, 2, 5)}},
		{name: "value kwarg scores", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8}`, in: []Shape{q},
			kw:   map[string]any{"value": TensorRef{Layer: "v"}, "return_attention_scores": true},
			refs: map[string]Shape{"v": shp(unk, 9, 4)}, want: []Shape{shp(unk, 6, 16), shp(unk, 2, 6, 9)}},
		{name: "key", class: "MultiHeadAttention", cfg: `{"num_heads": 3, "key_dim": 8}`, in: []Shape{q, shp(unk, 9, 4), shp(unk, 9, 5)},
			kw: map[string]any{"return_attention_scores": true}, want: []Shape{shp(unk, 6, 16), shp(unk, 3, 6, 9)}},
		{name: "key mismatch", class: "MultiHeadAttention", cfg: `{"num_heads": 3, "key_dim": 8}`, in: []Shape{q, shp(unk, 9, 4), shp(unk, 8, 4)}, err: "differ"},
		{name: "4D axes", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8, "attention_axes": [2]}`, in: []Shape{shp(unk, 5, 6, 16), shp(unk, 5, 7, 16)},
			kw: map[string]any{"return_attention_scores": true}, want: []Shape{shp(unk, 5, 6, 16), shp(unk, 5, 2, 6, 7)}},
		{name: "4D default axes", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8}`, in: []Shape{shp(unk, 5, 6, 16), shp(unk, 3, 7, 16)},
			kw: map[string]any{"return_attention_scores": true}, want: []Shape{shp(unk, 5, 6, 16), shp(unk, 2, 5, 6, 3, 7)}},
		{name: "no value", class: "MultiHeadAttention", cfg: `{"num_heads": 2, "key_dim": 8}`, in: []Shape{q}, err: "value"},
		{name: "dot", class: "Attention", cfg: `{}`, in: []Shape{shp(unk, 4, 8), shp(unk, 6, 8)}, want: []Shape{shp(unk, 4, 8)}},
		{name: "value dim", class: "Attention", cfg: `{"score_mode": "dot"}`, in: []Shape{shp(unk, 4, 8), shp(unk, 6, 5), shp(unk, 6, 8)}, want: []Shape{shp(unk, 4, 5)}},
		{name: "scores", class: "AdditiveAttention", cfg: `{}`, in: []Shape{shp(unk, 4, 8), shp(unk, 6, 8)},
			kw: map[string]any{"return_attention_scores": true}, want: []Shape{shp(unk, 4, 8), shp(unk, 4, 6)}},
		{name: "one input", class: "Attention", cfg: `{}`, in: []Shape{shp(unk, 4, 8)}, err: "want [query, value]"},
	})
}

// TestShapeRuleCoverage checks that every built-in class the frontend reads (the classes of
// variableSpecs, plus CategoryEncoding) has a shape rule.
func TestShapeRuleCoverage(t *testing.T) {
	classes := []string{
		"InputLayer", "Dense", "EinsumDense", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
		"ThresholdedReLU", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
		"GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Masking",
		"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "Rescaling",
		"Normalization", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
		"RandomBrightness", "RandomCrop", "RandomHeight", "RandomWidth", "Identity", "Lambda", "TFOpLambda",
		"Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
		"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
		"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
		"DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
		"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
		"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
		"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
		"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
		"Resizing", "CenterCrop", "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed",
		"MultiHeadAttention", "Attention", "AdditiveAttention", "CategoryEncoding",
	}
	for _, c := range classes {
		_, rule := shapeRules[c]
		if c == "InputLayer" {
			rule = true // handled by the traversal
		}
		if !rule {
			t.Errorf("class %s has no shape rule", c)
		}
	}
}

// TestShapeRulesNoPanic runs every rule on hostile configs and shapes: a rule may fail, but
// never panic.
func TestShapeRulesNoPanic(t *testing.T) {
	values := []any{nil, -3.0, 0.0, 1.0, 2.5, 3.0, "same", "x", true, []any{}, []any{2.0}, []any{2.0, 3.0},
		[]any{[]any{1.0}, 2.0}, []any{[]any{1.0, 2.0}, []any{0.0, 1.0}}, []any{nil, 4.0}, []any{-1.0, -1.0},
		map[string]any{"class_name": "LSTM", "config": map[string]any{"units": 2.0}},
		map[string]any{"class_name": "TimeDistributed", "config": map[string]any{}}}
	keys := []string{"units", "filters", "kernel_size", "strides", "padding", "dilation_rate", "pool_size",
		"axis", "axes", "dims", "target_shape", "output_shape", "equation", "cropping", "size", "n",
		"layer", "backward_layer", "merge_mode", "height", "width", "num_heads", "attention_axes",
		"output_dim", "num_tokens", "output_padding", "depth_multiplier", "groups", "data_format", "function"}
	shapes := []Shape{{}, {unk, 0}, {unk, unk, 7}, {2, 7, 7, 3}, {unk, 1, 0, 3, 2}, {unk, 3, 4, 5, 6, 7}}
	for class, rule := range shapeRules {
		for ki, key := range keys {
			for vi, v := range values {
				cfg := Config{key: v, keys[(ki+vi)%len(keys)]: values[(ki*7+vi)%len(values)], "units": 3.0, "filters": 2.0, "kernel_size": 1.0}
				for si := range shapes {
					in := [][]Shape{{shapes[si]}, {shapes[si], shapes[(si+1)%len(shapes)]}}
					if si == 0 {
						in = append(in, nil)
					}
					for _, ins := range in {
						n := Node{Kwargs: map[string]any{"return_attention_scores": true, "y": 2.0}}
						for range ins {
							n.Inputs = append(n.Inputs, TensorRef{Layer: "x"})
						}
						func() {
							defer func() {
								if r := recover(); r != nil {
									t.Errorf("%s with %s=%v, inputs %s: panic %v", class, key, v, shapeList(ins), r)
								}
							}()
							_, _ = rule(&Layer{Name: "l", Class: class, Config: cfg}, n, ins, func(TensorRef) Shape { return shapes[si] })
						}()
					}
				}
			}
		}
	}
}
