package hdf5

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// walkStats summarises a full walk of a file.
type walkStats struct {
	groups, datasets, attrs int
	unsupported             int              // values refused with ErrUnsupported
	shapes                  map[string][]int // dataset path -> shape
}

// walkFile visits every group, dataset and attribute reachable from the
// root and reads every value. Like h5ls -r, a group reached twice is counted
// each time but only descended once. Errors other than ErrUnsupported stop
// the walk, unless keepGoing is set: then the first one is returned at the
// end (used on corrupt input to reach as much of the file as possible).
func walkFile(f *File, keepGoing bool) (*walkStats, error) {
	st := &walkStats{shapes: map[string][]int{}}
	seen := map[uint64]bool{}
	var first error
	check := func(err error) error {
		if errors.Is(err, ErrUnsupported) {
			st.unsupported++
			return nil
		}
		if err != nil && keepGoing {
			if first == nil {
				first = err
			}
			return nil
		}
		return err
	}
	readAttrs := func(attrs []*Attribute, err error) error {
		if err != nil {
			return check(err)
		}
		for _, a := range attrs {
			st.attrs++
			a.Shape()
			a.IsEmpty()
			var err error
			if e, _, _ := a.Type().elements(); e.Class == ClassString {
				_, err = a.Strings()
			} else {
				_, err = a.Float64s()
			}
			if err = check(err); err != nil {
				return err
			}
		}
		return nil
	}
	var visit func(g *Group, depth int) error
	visit = func(g *Group, depth int) error {
		st.groups++
		if seen[g.addr] {
			return nil
		}
		if depth > 100 {
			return fmt.Errorf("%s: too deep", g.Path())
		}
		seen[g.addr] = true
		if err := readAttrs(g.Attrs()); err != nil {
			return err
		}
		members, err := g.Members()
		if err != nil {
			return check(err)
		}
		for _, m := range members {
			if m.IsGroup {
				sub, err := g.Group(m.Name)
				if err != nil {
					if err = check(err); err != nil {
						return err
					}
					continue
				}
				if err := visit(sub, depth+1); err != nil {
					return err
				}
				continue
			}
			st.datasets++
			d, err := g.Dataset(m.Name)
			if err != nil {
				if err = check(err); err != nil {
					return err
				}
				continue
			}
			st.shapes[d.Path()] = d.Shape()
			if e, _, _ := d.Type().elements(); e.Class == ClassString {
				_, err = d.ReadStrings()
			} else {
				_, err = d.ReadFloat64()
			}
			if err = check(err); err != nil {
				return err
			}
			if err := readAttrs(d.Attrs()); err != nil {
				return err
			}
		}
		return nil
	}
	err := visit(f.Root(), 0)
	if err == nil {
		err = first
	}
	return st, err
}

// Small assertion helpers (testify cannot be used: go.sum lacks its
// dependencies).

func label(what []any) string {
	if len(what) > 1 {
		if f, ok := what[0].(string); ok && strings.Contains(f, "%") {
			return fmt.Sprintf(f, what[1:]...)
		}
	}
	return fmt.Sprint(what...)
}

func check(t *testing.T, want, got any, what ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: got %#v, want %#v", label(what), got, want)
	}
}

func noErr(t *testing.T, err error, what ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", label(what), err)
	}
}

func isErr(t *testing.T, err error, what ...any) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", label(what))
	}
}

func errEq(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil || err.Error() != msg {
		t.Errorf("got error %v, want %q", err, msg)
	}
}

func errContains(t *testing.T, err error, msg string, what ...any) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got error %v, want one containing %q", label(what), err, msg)
	}
}

func errIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want one wrapping %v", err, target)
	}
}

func hasLen[T any](t *testing.T, s []T, n int, what ...any) {
	t.Helper()
	if len(s) != n {
		t.Fatalf("%s: got %d elements, want %d", label(what), len(s), n)
	}
}
