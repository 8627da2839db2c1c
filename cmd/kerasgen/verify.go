package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kerasgen/kerasgen/internal/compile"
	"github.com/kerasgen/kerasgen/runtime"
)

// cmdVerify compiles a model, runs the generated package on inputs and compares its outputs
// with expected ones: exit 0 on a match, 1 on a mismatch, 2 when the model cannot be compiled.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("verify", stderr)
	lf := addLoadFlags(fs)
	inputs := fs.String("input", "", "input .npy files, comma-separated, in model input order")
	expect := fs.String("expect", "", "expected output .npy files, comma-separated, in model output order")
	atol := fs.Float64("atol", 1e-5, "absolute tolerance")
	rtol := fs.Float64("rtol", 1e-4, "relative tolerance")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *inputs == "" || *expect == "" {
		fmt.Fprintln(stderr, "usage: kerasgen verify MODEL [--weights W] --input a.npy[,b.npy...] --expect y.npy[,z.npy...] [--atol 1e-5] [--rtol 1e-4]")
		return 2
	}
	res, err := compile.Compile(pos[0], compile.Options{Load: lf.options()})
	if err != nil {
		return fail(stderr, pos[0], err)
	}
	var ins, want []*runtime.Array
	for _, f := range strings.Split(*inputs, ",") {
		a, err := runtime.ReadNPYFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "kerasgen: %v\n", err)
			return 2
		}
		ins = append(ins, a)
	}
	for _, f := range strings.Split(*expect, ",") {
		a, err := runtime.ReadNPYFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "kerasgen: %v\n", err)
			return 2
		}
		want = append(want, a)
	}
	if len(ins) != len(res.Model.Inputs) || len(want) != res.NumModelOutputs {
		fmt.Fprintf(stderr, "kerasgen: %d inputs and %d expected outputs given; the model has %d inputs and %d outputs\n",
			len(ins), len(want), len(res.Model.Inputs), res.NumModelOutputs)
		return 2
	}
	work, err := os.MkdirTemp("", "kerasgen-verify-")
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	defer os.RemoveAll(work)
	outs, err := compile.RunAll(work, []compile.Job{{Result: res, Inputs: ins}})
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	status := 0
	for i, w := range want {
		d := compile.Compare(outs[0][i], w, nil, *atol, *rtol)
		verdict := "ok"
		if !d.OK() {
			verdict, status = "MISMATCH", 1
		}
		fmt.Fprintf(stdout, "output %d (%s): %s: %s (atol %g, rtol %g)\n", i, res.Outputs[i], verdict, d, *atol, *rtol)
	}
	return status
}
