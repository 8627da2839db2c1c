package compile

import (
	"fmt"
	"os"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

func TestZZTmpDump(t *testing.T) {
	var last *ir.Graph
	res, err := Compile("../../testdata/tfjs_seq/bidirectional_gap/model.json", Options{Dump: func(s string, g *ir.Graph) { last = g; if s == "lower" { fmt.Println(ir.Print(g)) } }})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("=== final"); fmt.Println(ir.Print(last))
	os.WriteFile("/tmp/bi_model.go", res.Files["model.go"], 0o644)
}
