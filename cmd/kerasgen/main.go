// Command kerasgen compiles Keras models into dependency-free Go packages.
//
//	kerasgen inspect MODEL [--weights W] [--config C] [--json]
//	kerasgen build MODEL [--weights W] [-pkg NAME] [-o DIR] [--dump=STAGE] [--test-vectors in.npy,...:out.npy,...]
//	kerasgen verify MODEL [--weights W] --input a.npy[,...] --expect y.npy[,...] [--atol A] [--rtol R]
//
// Exit status: 0 on success, 1 when a check fails, 2 when the model cannot be read or
// compiled (the message says why).
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `kerasgen compiles Keras models into dependency-free Go packages.

Usage:
  kerasgen inspect MODEL [--weights W] [--config C] [--json]
      Print a Keras-style summary: every layer with its class, output shape and
      parameter count, and the totals. MODEL is a .keras zip, an .h5 file, a
      model.to_json() file (give its weights with --weights) or a TF.js model.json.
      --config gives the architecture for a weights-only .h5.

  kerasgen build MODEL [--weights W] [-pkg NAME] [-o DIR] [--dump=STAGE]
                 [--test-vectors in.npy[,...]:out.npy[,...] [--atol A] [--rtol R]]
      Compile MODEL into a Go package in DIR (default "."; the package name
      defaults to $GOPACKAGE under go generate). --dump prints the IR after a
      stage (lower, a pass name, or all). --test-vectors embeds reference
      vectors and generates a test that checks the package against them.
      -stateful adds a streaming API to a recurrent model: NewStream, Step and
      Reset carry the recurrent state from one chunk of steps to the next.

  kerasgen verify MODEL [--weights W] --input a.npy[,b.npy...]
                  --expect y.npy[,z.npy...] [--atol 1e-5] [--rtol 1e-4]
      Compile MODEL, run the generated package on the inputs and compare with
      the expected outputs, |a-e| <= atol + rtol*|e|; print the worst error
      per output. Exit 0 on a match, 1 on a mismatch.

  kerasgen bench MODEL [--batch N] [--input x.npy] [--json]
  kerasgen bench --gemm 256,512,1024,2048 [--json]
      Time Predict one call at a time (warm-up, then 3 s or 500 calls) and print
      the median, min and max ms, samples/s and GFLOP/s; or time the sgemm kernel.

Exit status: 0 ok, 1 a check failed, 2 the model cannot be read or compiled.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "inspect":
		return cmdInspect(args[1:], stdout, stderr)
	case "build":
		return cmdBuild(args[1:], stdout, stderr)
	case "verify":
		return cmdVerify(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kerasgen: unknown command %q\n\n%s", args[0], usage)
	return 2
}
