// Command demo runs the example package generated from the bundled model (make demo): it
// predicts the bundled inputs and compares with the predictions TF.js made for them.
package main

import (
	"fmt"
	"math"
	"os"

	"github.com/kerasgen/kerasgen/examples/mlp"
	"github.com/kerasgen/kerasgen/runtime"
)

func main() {
	in, err := runtime.ReadNPYFile("examples/models/mlp/input.npy")
	check(err)
	want, err := runtime.ReadNPYFile("examples/models/mlp/expected.npy")
	check(err)
	model, err := mlp.New()
	check(err)
	batch := in.Shape[0]
	probs := make([]float32, batch*3)
	check(model.Predict(batch, in.Data, probs))
	worst := 0.0
	for i := 0; i < batch; i++ {
		fmt.Printf("row %d: probabilities %.4f\n", i, probs[3*i:3*i+3])
		for j := 0; j < 3; j++ {
			worst = math.Max(worst, math.Abs(float64(probs[3*i+j]-want.Data[3*i+j])))
		}
	}
	fmt.Printf("largest difference from TF.js' prediction: %.2g\n", worst)
	if worst > 1e-5 {
		fmt.Println("MISMATCH")
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
