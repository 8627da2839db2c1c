package compile

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/runtime"
)

func TestZZTmpDebug(t *testing.T) {
	dir := "/tmp/bistatic"; indir := "../../testdata/tfjs_seq/bidirectional_gap"
	res, err := Compile(filepath.Join(dir, "model.json"), Options{LayerOutputs: true})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := runtime.ReadNPYFile(filepath.Join(indir, "input_len5.npy"))
	o, err := RunAll(t.TempDir(), []Job{{Result: res, Inputs: []*runtime.Array{in}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range res.Outputs {
		fmt.Println(k, o[0][i].Shape, o[0][i].Data[:min(len(o[0][i].Data), 30)])
	}
}
