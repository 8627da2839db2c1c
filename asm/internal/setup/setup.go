// Package setup is what every kernel generator in asm/ does before emitting
// its functions.
package setup

import (
	"flag"

	"github.com/mmcloughlin/avo/build"
)

// Runtime parses avo's flags, names the output package "runtime" unless -pkg
// says otherwise (the runtime lives in another module, so avo cannot load it:
// the generators spell out their signatures), and restricts the output to
// amd64 builds without the purego tag.
func Runtime() {
	flag.Parse()
	if f := flag.Lookup("pkg"); f.Value.String() == "" {
		f.Value.Set("runtime")
	}
	build.ConstraintExpr("amd64,!purego")
}
