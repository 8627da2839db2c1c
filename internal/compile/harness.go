package compile

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"text/template"

	"github.com/kerasgen/kerasgen/runtime"
)

// Job is one compiled model to run on fixed inputs.
type Job struct {
	Result *Result
	Inputs []*runtime.Array
}

// RootDir finds the kerasgen checkout this code belongs to (its go.mod), so that generated
// packages build against this very runtime: the source directory recorded at build time,
// else `go list -m` from the current directory, else $KERASGEN_ROOT.
func RootDir() (string, error) {
	if env := os.Getenv("KERASGEN_ROOT"); env != "" {
		return env, nil
	}
	_, file, _, ok := goruntime.Caller(0)
	if ok {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if isKerasgenRoot(root) {
			return filepath.Abs(root)
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/kerasgen/kerasgen").Output()
	if err == nil {
		if dir := strings.TrimSpace(string(out)); isKerasgenRoot(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cannot find the kerasgen module (its runtime is needed to build generated code): run from a kerasgen checkout or set KERASGEN_ROOT")
}

func isKerasgenRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && bytes.Contains(data, []byte("module github.com/kerasgen/kerasgen\n"))
}

// RunAll writes every job's package into one temporary module under work, with a driver
// that runs each package on its inputs; it builds the module once, runs it, and returns
// each job's outputs in order.
func RunAll(work string, jobs []Job) ([][]*runtime.Array, error) {
	var results []*Result
	for _, j := range jobs {
		results = append(results, j.Result)
	}
	mod, names, err := WriteModule(work, results)
	if err != nil {
		return nil, err
	}
	for i, j := range jobs {
		data := filepath.Join(work, "data", names[i])
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		for k, in := range j.Inputs {
			if err := runtime.WriteNPYFile(filepath.Join(data, fmt.Sprintf("in_%d.npy", k)), in.Shape, in.Data); err != nil {
				return nil, err
			}
		}
	}
	bin := filepath.Join(work, "run")
	if out, err := goCommand(mod, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the generated code: %v\n%s", err, out)
	}
	run := exec.Command(bin, filepath.Join(work, "data"))
	if out, err := run.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("running the generated code: %v\n%s", err, out)
	}
	outs := make([][]*runtime.Array, len(jobs))
	for i, j := range jobs {
		for k := range j.Result.Outputs {
			a, err := runtime.ReadNPYFile(filepath.Join(work, "data", names[i], fmt.Sprintf("out_%d.npy", k)))
			if err != nil {
				return nil, err
			}
			outs[i] = append(outs[i], a)
		}
	}
	return outs, nil
}

// goCommand runs the go tool in a generated module. -trimpath keeps the temporary directory
// out of the build's cache keys: without it every bench, verify or test build of a model
// added its package (weights embedded, 13 MB for MobileNetV2) to the Go build cache again,
// which a session's benchmark runs grew to 76 GB; with it a repeated build is a cache hit.
func goCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	// The caller's GOFLAGS carry over (GOFLAGS=-tags=purego builds the generated code on the
	// pure-Go kernels too), with the module mode and paths this harness needs.
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod -trimpath"))
	return cmd
}

// Vet runs go vet on the generated packages of a module written by WriteModule.
func Vet(mod string) error {
	if out, err := goCommand(mod, "vet", "./...").CombinedOutput(); err != nil {
		return fmt.Errorf("go vet: %v\n%s", err, out)
	}
	return nil
}

// WriteModule writes the generated packages into one module under work (models/m0, ...)
// with a driver main that runs each on .npy inputs, wired to this kerasgen checkout. It
// returns the module directory and the packages' names.
func WriteModule(work string, results []*Result) (string, []string, error) {
	root, err := RootDir()
	if err != nil {
		return "", nil, err
	}
	mod := filepath.Join(work, "module")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", nil, err
	}
	gomod := fmt.Sprintf("module kerasgenrun\n\ngo 1.26\n\nrequire github.com/kerasgen/kerasgen v0.0.0\n\nreplace github.com/kerasgen/kerasgen => %s\n", root)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", nil, err
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
			return "", nil, err
		}
	}
	var names []string
	for i, r := range results {
		name := fmt.Sprintf("m%d", i)
		names = append(names, name)
		dir := filepath.Join(mod, "models", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, err
		}
		for f, data := range r.Files {
			p := filepath.Join(dir, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return "", nil, err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return "", nil, err
			}
		}
	}
	var main bytes.Buffer
	if err := driver.Execute(&main, names); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(mod, "main.go"), main.Bytes(), 0o644); err != nil {
		return "", nil, err
	}
	return mod, names, nil
}

// driver is the main package that runs every generated package on its inputs.
var driver = template.Must(template.New("driver").Parse(`// Code generated by kerasgen. DO NOT EDIT.

// Command kerasgenrun runs generated packages on .npy inputs and writes their outputs.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	rt "github.com/kerasgen/kerasgen/runtime"
{{range .}}	{{.}} "kerasgenrun/models/{{.}}"
{{end}})

type model interface {
	Run(batch int, inputs, outputs [][]float32) error
}

type job struct {
	name      string
	load      func() (model, error)
	inShapes  [][]int
	outShapes [][]int
}

func main() {
	dir := os.Args[1]
	jobs := []job{
{{range .}}		{"{{.}}", func() (model, error) { m, err := {{.}}.New(); return m, err }, {{.}}.InputShapes, {{.}}.OutputShapes},
{{end}}	}
	for _, j := range jobs {
		if err := runJob(filepath.Join(dir, j.name), j); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", j.name, err)
			os.Exit(1)
		}
	}
}

func runJob(dir string, j job) error {
	m, err := j.load()
	if err != nil {
		return err
	}
	var inputs [][]float32
	batch := 0
	for i := range j.inShapes {
		a, err := rt.ReadNPYFile(filepath.Join(dir, fmt.Sprintf("in_%d.npy", i)))
		if err != nil {
			return err
		}
		batch = a.Shape[0]
		inputs = append(inputs, a.Data)
	}
	shapes, err := rt.ResolveShapes(batch, j.inShapes, inputs, j.outShapes)
	if err != nil {
		return err
	}
	var outputs [][]float32
	for _, shape := range shapes {
		n := 1
		for _, d := range shape {
			n *= d
		}
		outputs = append(outputs, make([]float32, n))
	}
	if err := m.Run(batch, inputs, outputs); err != nil {
		return err
	}
	for i, o := range outputs {
		if err := rt.WriteNPYFile(filepath.Join(dir, fmt.Sprintf("out_%d.npy", i)), shapes[i], o); err != nil {
			return err
		}
	}
	return nil
}
`))
