package frontend

import (
	"fmt"
	"sort"
	"strings"
)

// UnsupportedError lists every layer of a model that cannot be read or compiled, all at once.
type UnsupportedError struct {
	Summary string // one line over all layers, or "" to list them only
	Layers  []UnsupportedLayer
}

// UnsupportedLayer is one layer that cannot be read or compiled, and why.
type UnsupportedLayer struct {
	Name   string // the layer's name ("<outer>/<inner>" inside nested models)
	Class  string
	Reason string
}

func (e *UnsupportedError) Error() string {
	if len(e.Layers) == 1 && e.Summary == "" {
		return e.Layers[0].Reason
	}
	var b strings.Builder
	if e.Summary != "" {
		b.WriteString(e.Summary)
	} else {
		fmt.Fprintf(&b, "%d layers cannot be compiled:", len(e.Layers))
	}
	for _, l := range e.Layers {
		fmt.Fprintf(&b, "\n  - %s", l.Reason)
	}
	return b.String()
}

// FormatError is a file that cannot be read: truncated, corrupt, of another kind than a
// Keras model (a TF.js graph model, a weights-only file), or inconsistent with its config.
type FormatError struct {
	File   string
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	msg := e.Reason
	if e.Err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += e.Err.Error()
	}
	if e.File != "" {
		return e.File + ": " + msg
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// unknownReason explains why a layer of an unknown class cannot be read.
func unknownReason(l *Layer) string {
	return fmt.Sprintf("layer '%s' has unknown class %s (%s): custom layers are not built-in Keras layers and their code is not in the file; register a Go lowering for the class to compile it",
		l.Name, l.Class, origin(l))
}

// origin says where a class comes from: 'module': null, registered_name "my>Layer".
func origin(l *Layer) string {
	s := "'module': null"
	if l.Module != "" {
		s = fmt.Sprintf("'module': %q", l.Module)
	}
	if l.RegisteredName != "" {
		s += fmt.Sprintf(", registered_name %q", l.RegisteredName)
	}
	return s
}

// checkClasses lists every layer whose class the frontend does not know, nested models
// included, in one error; nil when all are known. known reports classes a user registered.
func checkClasses(m *Model, known func(class string) bool) error {
	var bad []UnsupportedLayer
	counts := map[string]int{}
	var origins []string
	var walk func(m *Model, prefix string)
	walk = func(m *Model, prefix string) {
		for _, l := range m.Layers {
			if l.Model != nil {
				walk(l.Model, prefix+l.Name+"/")
				continue
			}
			if isOp(l) {
				if !opKnown(l.Class) {
					bad = append(bad, UnsupportedLayer{Name: prefix + l.Name, Class: l.Class,
						Reason: fmt.Sprintf("'%s' is a call of keras.ops.%s (module %s), which is not supported", prefix+l.Name, l.Class, l.Module)})
					origins = append(origins, origin(l))
				}
				continue
			}
			if _, ok := variableSpecs(l.Class, l.Config); ok || (known != nil && known(l.Class)) {
				continue
			}
			counts[l.Class]++
			bad = append(bad, UnsupportedLayer{Name: prefix + l.Name, Class: l.Class, Reason: unknownReason(l)})
			origins = append(origins, origin(l))
		}
	}
	walk(m, "")
	if len(bad) == 0 {
		return nil
	}
	err := &UnsupportedError{Layers: bad}
	if len(bad) > 1 { // name the classes the way a reader wants them: "PositionalEmbedding (x2), ..."
		var classes []string
		for c := range counts {
			classes = append(classes, c)
		}
		sort.Strings(classes)
		var parts []string
		for _, c := range classes {
			if counts[c] > 1 {
				parts = append(parts, fmt.Sprintf("%s (x%d)", c, counts[c]))
			} else {
				parts = append(parts, c)
			}
		}
		for i := range bad { // the summary explains; each line names the layer
			bad[i].Reason = fmt.Sprintf("layer '%s' (class %s, %s)", bad[i].Name, bad[i].Class, origins[i])
		}
		err.Summary = "unknown layer classes " + strings.Join(parts, ", ") +
			": custom layers are not built-in Keras layers and their code is not in the file; register a Go lowering for each class to compile it:"
	}
	return err
}
