package tfjs

import (
	"encoding/json"
	"testing"
)

// FuzzRead feeds arbitrary model.json bytes, with every shard path served the same bytes.
// Read must not panic, and what it returns must be consistent.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, modelJSON, shard []byte) {
		reads := 0
		file, err := Read(modelJSON, func(string) ([]byte, error) { reads++; return shard, nil })
		if err != nil {
			if file != nil {
				t.Fatalf("file and error: %v", err)
			}
			return
		}
		if !json.Valid(file.Topology) {
			t.Fatalf("invalid Topology %q", file.Topology)
		}
		seen := map[string]bool{}
		total := 0
		for _, w := range file.Weights {
			n := 1
			for _, d := range w.Shape {
				n *= d
			}
			if n != len(w.Values) || seen[w.Name] {
				t.Fatalf("weight %q %v has %d values (or is a duplicate)", w.Name, w.Shape, len(w.Values))
			}
			seen[w.Name] = true
			total += n
		}
		// Every value takes at least one byte of the shards read, or of inline weightData.
		if total > reads*len(shard)+len(modelJSON) {
			t.Fatalf("%d values from %d reads of %d bytes", total, reads, len(shard))
		}
	})
}
