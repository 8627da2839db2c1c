package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgen/kerasgen/codegen"
	"github.com/kerasgen/kerasgen/frontend"
	"github.com/kerasgen/kerasgen/internal/compile"
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
)

// loadFlags are the flags every command that reads a model takes.
type loadFlags struct{ weights, config *string }

func addLoadFlags(fs *flag.FlagSet) loadFlags {
	return loadFlags{
		weights: fs.String("weights", "", "weights file for a model.to_json() architecture"),
		config:  fs.String("config", "", "architecture (model.to_json() output) for a weights-only .h5"),
	}
}

func (l loadFlags) options() frontend.Options {
	return frontend.Options{Weights: *l.weights, Config: *l.config, KnownClass: frontend.KnownCustomClass}
}

// cmdBuild compiles a model into a Go package.
func cmdBuild(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("build", stderr)
	lf := addLoadFlags(fs)
	pkg := fs.String("pkg", os.Getenv("GOPACKAGE"), "package name (default: $GOPACKAGE under go generate, else from the model name)")
	out := fs.String("o", ".", "output directory")
	dump := fs.String("dump", "", "print the IR after a stage: lower, "+strings.Join(passes.Names(), ", ")+", or all")
	vectors := fs.String("test-vectors", "", "in.npy[,in2.npy...]:out.npy[,out2.npy...]: embed reference vectors and generate a test")
	atol := fs.Float64("atol", 1e-5, "absolute tolerance of the generated test")
	rtol := fs.Float64("rtol", 1e-4, "relative tolerance of the generated test")
	stateful := fs.Bool("stateful", false, "generate the streaming API (NewStream, Step) for a recurrent model")
	threads := fs.Int("threads", 1, "threads the generated package's New lets the kernels use (process-wide; KERASGEN_THREADS overrides at run time)")
	precision := fs.String("precision", "fp32", "fp32, or bf16: Dense and convolution kernels stored and multiplied in bf16 (fp32 accumulation)")
	winograd := fs.Bool("winograd", true, "run 3×3 stride-1 convolutions of 12 or more channels with Winograd's F(4×4, 3×3) or F(2×2, 3×3) (false: all convolutions direct)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: kerasgen build MODEL [--weights W] [-pkg NAME] [-o DIR] [-stateful] [-threads T] [--precision fp32|bf16] [--dump=STAGE] [--test-vectors in.npy,...:out.npy,...]")
		return 2
	}
	if *dump != "" && *dump != "all" && *dump != "lower" && !contains(passes.Names(), *dump) {
		fmt.Fprintf(stderr, "kerasgen: --dump=%s: no such stage (lower, %s, all)\n", *dump, strings.Join(passes.Names(), ", "))
		return 2
	}
	opt := compile.Options{Load: lf.options(), Package: *pkg, Stateful: *stateful, Threads: *threads, Precision: *precision, Direct: !*winograd}
	if *dump != "" {
		opt.Dump = func(stage string, g *ir.Graph) {
			if *dump == "all" || *dump == stage {
				fmt.Fprintf(stdout, "# after %s\n%s\n", stage, ir.Print(g))
			}
		}
	}
	res, err := compile.Compile(pos[0], opt)
	if err != nil {
		return fail(stderr, pos[0], err)
	}
	if *vectors != "" {
		ins, outs, ok := strings.Cut(*vectors, ":")
		if !ok {
			fmt.Fprintf(stderr, "kerasgen: --test-vectors: want in.npy[,...]:out.npy[,...], got %q\n", *vectors)
			return 2
		}
		if err := res.AddTestVectors(strings.Split(ins, ","), strings.Split(outs, ","), *atol, *rtol); err != nil {
			fmt.Fprintf(stderr, "kerasgen: --test-vectors: %v\n", err)
			return 2
		}
	}
	if err := writeFiles(*out, res.Files); err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	if *dump == "" {
		fmt.Fprintf(stdout, "kerasgen: wrote package %s (%d files) to %s\n", res.Package, len(res.Files), *out)
	}
	return 0
}

// fail prints why a model cannot be compiled and returns exit status 2.
func fail(stderr io.Writer, path string, err error) int {
	var ue *frontend.UnsupportedError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "kerasgen: %s: %v\n", path, err)
		return 2
	}
	fmt.Fprintf(stderr, "kerasgen: %v\n", err)
	return 2
}

func writeFiles(dir string, files codegen.Files) error {
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}
