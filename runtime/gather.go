// Embedding lookup.
//
// Contract: Gather reads ids (float32-stored integers, as generated code
// holds every tensor) and the table [vocab, dim], and writes y
// [len(ids), dim] and nothing else. Each id is converted as Keras casts a
// float input to int32 (truncation toward zero); like Keras 3's ops.take
// on the torch and JAX backends, an id in [-vocab, 0) counts from the end
// (id + vocab). Any other id (≥ vocab, < -vocab, NaN, ±Inf) is out of range:
// its row of y is zeroed and it is counted in the result (Keras' TF backend
// fails on such ids; the caller decides what to report). Panics if a slice
// is shorter than its shape.

package runtime

// Gather sets row i of y [len(ids), dim] to row ids[i] of table
// [vocab, dim] (Keras Embedding) and returns how many ids were out of
// range (their rows are zero).
func Gather(ids []float32, table []float32, vocab, dim int, y []float32) (bad int) {
	need("Gather", "table", table, vocab*dim)
	need("Gather", "y", y, len(ids)*dim)
	for i, f := range ids {
		dst := y[i*dim : (i+1)*dim]
		// Compare in float64, where every int32 is exact: NaN fails both.
		if !(float64(f) > -float64(vocab)-1 && float64(f) < float64(vocab)) {
			clear(dst)
			bad++
			continue
		}
		id := int(f) // truncation toward zero, as a cast to int32
		if id < 0 {
			id += vocab
		}
		if id < 0 || id >= vocab {
			clear(dst)
			bad++
			continue
		}
		copy(dst, table[id*dim:(id+1)*dim])
	}
	return bad
}
