package compile

import (
	"fmt"
	"math"

	"github.com/kerasgen/kerasgen/runtime"
)

// Diff is the result of comparing an output with its expected value elementwise under
// |actual - expected| <= atol + rtol*|expected|.
type Diff struct {
	Worst    float64 // the largest |actual - expected|
	WorstAt  int     // its flat index
	Failures int     // how many elements are out of tolerance (NaN where a number is expected counts)
	Err      string  // a shape mismatch or similar, when the values cannot be compared
}

// OK reports whether everything was within tolerance.
func (d Diff) OK() bool { return d.Err == "" && d.Failures == 0 }

// Compare compares actual with expected. idx, when not nil, gives the flat indices of
// expected's values in actual (layer_samples.npz); otherwise the shapes must be equal.
func Compare(actual, expected *runtime.Array, idx []int64, atol, rtol float64) Diff {
	var d Diff
	if idx == nil && !sameShape(actual.Shape, expected.Shape) {
		d.Err = fmt.Sprintf("shape %v, want %v", actual.Shape, expected.Shape)
		return d
	}
	for i, e := range expected.Data {
		j := i
		if idx != nil {
			if i >= len(idx) || idx[i] < 0 || idx[i] >= int64(len(actual.Data)) {
				d.Err = fmt.Sprintf("sample index %d out of range", i)
				return d
			}
			j = int(idx[i])
		}
		a := float64(actual.Data[j])
		diff := math.Abs(a - float64(e))
		if math.IsNaN(diff) && !(math.IsNaN(a) && math.IsNaN(float64(e))) {
			d.Failures++
			d.Worst, d.WorstAt = math.Inf(1), j
			continue
		}
		if diff > d.Worst {
			d.Worst, d.WorstAt = diff, j
		}
		if diff > atol+rtol*math.Abs(float64(e)) {
			d.Failures++
		}
	}
	return d
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (d Diff) String() string {
	if d.Err != "" {
		return d.Err
	}
	s := fmt.Sprintf("worst |diff| %.3g at %d", d.Worst, d.WorstAt)
	if d.Failures > 0 {
		s += fmt.Sprintf(", %d values out of tolerance", d.Failures)
	}
	return s
}
