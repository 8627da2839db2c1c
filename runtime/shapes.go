// Shapes of a generated package's inputs and outputs with the open lengths filled in.

package runtime

import "fmt"

// ResolveShapes returns shapes (a generated package's OutputShapes, or InputShapes) for a
// call on batch rows with the given inputs: the first dimension set to batch, and each open
// length (-2, -3, … in the package's InputShapes and OutputShapes: the Keras shape's None
// other than the batch) to the length of the first input of inShapes that has it, read from
// its size. An open length no input has, or an input whose size its static dimensions do not
// divide, is an error. shapes itself is not changed.
func ResolveShapes(batch int, inShapes [][]int, inputs [][]float32, shapes [][]int) ([][]int, error) {
	lengths := map[int]int{}
	for i, s := range inShapes {
		if i >= len(inputs) {
			break
		}
		per, open := batch, 0
		for _, d := range s[1:] {
			if d < -1 {
				open = d
			} else {
				per *= d
			}
		}
		if _, seen := lengths[open]; open != 0 && !seen {
			if per <= 0 || len(inputs[i])%per != 0 {
				return nil, fmt.Errorf("input %d: %d values are not %d rows of %d values times a length", i, len(inputs[i]), batch, per/max(batch, 1))
			}
			lengths[open] = len(inputs[i]) / per
		}
	}
	out := make([][]int, len(shapes))
	for i, s := range shapes {
		out[i] = append([]int{batch}, s[1:]...)
		for k, d := range out[i][1:] {
			if d < -1 {
				n, ok := lengths[d]
				if !ok {
					return nil, fmt.Errorf("shape %d %v: no input has its open length %d", i, s, d)
				}
				out[i][k+1] = n
			}
		}
	}
	return out, nil
}
