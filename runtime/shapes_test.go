package runtime

import (
	"reflect"
	"testing"
)

func TestResolveShapes(t *testing.T) {
	// A seq2seq model: encoder input [N, T, 74], decoder input [N, T3, 101], output [N, T3, 101].
	in := [][]int{{-1, -2, 74}, {-1, -3, 101}}
	for _, c := range []struct {
		name   string
		batch  int
		inputs [][]float32
		shapes [][]int
		want   [][]int // nil: an error
	}{
		{"open lengths from each input", 2, [][]float32{make([]float32, 2*5*74), make([]float32, 2*7*101)},
			[][]int{{-1, -3, 101}, {-1, -2}}, [][]int{{2, 7, 101}, {2, 5}}},
		{"static shapes", 3, nil, [][]int{{-1, 10}, {-1, 4, 4}}, [][]int{{3, 10}, {3, 4, 4}}},
		{"an open length no input has", 1, [][]float32{make([]float32, 74)}, [][]int{{-1, -3, 101}}, nil},
		{"a size its static dimensions do not divide", 2, [][]float32{make([]float32, 75)}, [][]int{{-1, -2}}, nil},
	} {
		shapes := c.shapes
		before := [][]int{}
		for _, s := range shapes {
			before = append(before, append([]int{}, s...))
		}
		got, err := ResolveShapes(c.batch, in, c.inputs, shapes)
		if (err != nil) != (c.want == nil) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, %v, want %v", c.name, got, err, c.want)
		}
		if !reflect.DeepEqual(shapes, before) {
			t.Errorf("%s: shapes changed to %v", c.name, shapes)
		}
	}
}
