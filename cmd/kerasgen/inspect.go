package main

import (
	"fmt"
	"io"

	"github.com/kerasgen/kerasgen/frontend"
)

// cmdInspect prints a Keras-style summary of a model file.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stderr)
	weights := fs.String("weights", "", "weights file for a model.to_json() architecture")
	config := fs.String("config", "", "architecture (model.to_json() output) for a weights-only .h5")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: kerasgen inspect MODEL [--weights W] [--config C] [--json]")
		return 2
	}
	m, err := frontend.Load(pos[0], frontend.Options{Weights: *weights, Config: *config})
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	s, err := frontend.Summarize(m)
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %s: %v\n", pos[0], err)
		return 2
	}
	if *asJSON {
		err = s.WriteJSON(stdout)
	} else {
		err = s.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	return 0
}
