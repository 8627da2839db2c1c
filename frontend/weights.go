package frontend

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kerasgen/kerasgen/hdf5"
)

// maxWeightElements refuses a single weight larger than this many elements (16 GiB of
// float32), whatever a file declares, before anything is allocated for it.
const maxWeightElements = 1 << 32

// target is one variable of one leaf layer that a file must provide.
type target struct {
	layer     *Layer
	spec      varSpec
	trainable bool // effective: the spec's, and every enclosing layer/model trainable
}

// layerTargets lists a leaf layer's variables in its own weights order. Unknown classes
// return ok=false.
func layerTargets(l *Layer, enclosingTrainable bool) ([]target, bool) {
	specs, ok := variableSpecs(l.Class, l.Config)
	if !ok {
		return nil, false
	}
	tr := enclosingTrainable && l.Config.Bool("trainable", true)
	out := make([]target, len(specs))
	for i, s := range specs {
		out[i] = target{layer: l, spec: s, trainable: tr && s.Trainable}
	}
	return out, true
}

func (t target) weight(source string, shape []int, dtype string, values []float32) *Weight {
	return &Weight{Name: t.spec.Name, Source: source, Shape: shape, DType: dtype, Values: values, Trainable: t.trainable}
}

// describe names a layer for error messages: layer 'dense_8' (class Dense).
func describe(l *Layer) string { return fmt.Sprintf("layer '%s' (class %s)", l.Name, l.Class) }

// readDataset reads a dataset as float32 after checking its declared size.
func readDataset(d *hdf5.Dataset) ([]int, string, []float32, error) {
	shape := d.Shape()
	n := 1
	for _, s := range shape {
		if s < 0 || (s > 0 && n > maxWeightElements/s) {
			return nil, "", nil, fmt.Errorf("%s: absurd shape %v", d.Path(), shape)
		}
		n *= s
	}
	vals, err := d.ReadFloat32()
	if err != nil {
		return nil, "", nil, err
	}
	if len(vals) != n {
		return nil, "", nil, fmt.Errorf("%s: read %d values for shape %v", d.Path(), len(vals), shape)
	}
	return append([]int{}, shape...), d.Type().String(), vals, nil
}

// ---- Keras 3 object-graph layout (.keras model.weights.h5, Keras 3 .weights.h5) ----

// assignObjectGraph reads weights stored by object-graph path: layers/<snake_class>[_k]/vars/<i>,
// sub-layers by attribute (cell, forward_layer, query_dense, ...). tf-keras on Windows joins
// the path with backslashes into one link name, and writes private attribute names
// (_query_dense); both are accepted.
func assignObjectGraph(m *Model, root *hdf5.Group) error {
	var errs []error
	assignObjectGraphModel(m, root, nil, true, &errs)
	return errors.Join(errs...)
}

func assignObjectGraphModel(m *Model, root *hdf5.Group, path []string, trainable bool, errs *[]error) {
	used := map[string]int{}
	trainable = trainable && m.Trainable
	for _, l := range m.Layers {
		if (m.Class == "Sequential" && l.Class == "InputLayer") || isOp(l) {
			continue // Sequential.layers leaves out its InputLayer; keras.ops calls are not layers
		}
		name := snakeCase(l.Class)
		if k, ok := used[name]; ok {
			used[name] = k + 1
			name += "_" + strconv.Itoa(k+1)
		} else {
			used[name] = 0
		}
		lp := append(append([]string{}, path...), "layers", name)
		if l.Model != nil {
			assignObjectGraphModel(l.Model, root, lp, trainable, errs)
			continue
		}
		if err := assignObjectGraphLayer(l, root, lp, trainable); err != nil {
			*errs = append(*errs, err)
		}
	}
}

func assignObjectGraphLayer(l *Layer, root *hdf5.Group, lp []string, trainable bool) error {
	targets, known := layerTargets(l, trainable)
	if !known {
		return assignUnknownObjectGraph(l, root, lp, trainable)
	}
	if len(targets) == 0 {
		return nil
	}
	perObject := map[string]int{}
	for _, t := range targets {
		objs, _ := objectPath(t.spec.Name)
		key := strings.Join(objs, "/")
		idx := perObject[key]
		perObject[key] = idx + 1
		g, gpath, err := findGroup(root, append(append(append([]string{}, lp...), objs...), "vars"))
		if err != nil {
			return fmt.Errorf("%s: weights missing from the file: %w", describe(l), err)
		}
		d, err := g.Dataset(strconv.Itoa(idx))
		if err != nil {
			return fmt.Errorf("%s: variable %q missing from the file: no dataset %s/%d", describe(l), t.spec.Name, gpath, idx)
		}
		shape, dt, vals, err := readDataset(d)
		if err != nil {
			return fmt.Errorf("%s: variable %q: %w", describe(l), t.spec.Name, err)
		}
		l.Weights = append(l.Weights, t.weight(d.Path(), shape, dt, vals))
	}
	// A file holding more variables than the class has means the table and the file disagree.
	for key, n := range perObject {
		objs := []string{}
		if key != "" {
			objs = strings.Split(key, "/")
		}
		g, gpath, err := findGroup(root, append(append(append([]string{}, lp...), objs...), "vars"))
		if err != nil {
			continue
		}
		if ms, err := g.Members(); err == nil && countDatasets(ms) > n {
			return fmt.Errorf("%s: %s holds %d variables, but a %s has %d there", describe(l), gpath, countDatasets(ms), l.Class, n)
		}
	}
	return nil
}

// assignUnknownObjectGraph reads every variable under an unknown class's object path, in
// path order, so that parameters can still be counted; names are their object paths.
func assignUnknownObjectGraph(l *Layer, root *hdf5.Group, lp []string, trainable bool) error {
	g, _, err := findGroup(root, lp)
	if err != nil {
		return nil // a layer without variables has no group in some writers
	}
	var walk func(g *hdf5.Group, prefix string, depth int) error
	walk = func(g *hdf5.Group, prefix string, depth int) error {
		if depth > maxNesting {
			return fmt.Errorf("%s: object path nested too deep", describe(l))
		}
		ms, err := g.Members()
		if err != nil {
			return err
		}
		sortMembers(ms)
		for _, mb := range ms {
			if !mb.IsGroup {
				continue
			}
			sub, err := g.Group(mb.Name)
			if err != nil {
				return err
			}
			if mb.Name == "vars" {
				vs, err := sub.Members()
				if err != nil {
					return err
				}
				sortMembers(vs)
				for _, v := range vs {
					if v.IsGroup {
						continue
					}
					d, err := sub.Dataset(v.Name)
					if err != nil {
						return err
					}
					shape, dt, vals, err := readDataset(d)
					if err != nil {
						return fmt.Errorf("%s: %w", describe(l), err)
					}
					l.Weights = append(l.Weights, &Weight{Name: prefix + "vars/" + v.Name, Source: d.Path(),
						Shape: shape, DType: dt, Values: vals, Trainable: trainable && l.Config.Bool("trainable", true)})
				}
				continue
			}
			if err := walk(sub, prefix+mb.Name+"/", depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(g, "", 0)
}

// sortMembers orders members with numeric names numerically (vars/10 after vars/9).
func sortMembers(ms []hdf5.Member) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, ea := strconv.Atoi(ms[i].Name)
		b, eb := strconv.Atoi(ms[j].Name)
		if ea == nil && eb == nil {
			return a < b
		}
		return ms[i].Name < ms[j].Name
	})
}

func countDatasets(ms []hdf5.Member) int {
	n := 0
	for _, m := range ms {
		if !m.IsGroup {
			n++
		}
	}
	return n
}

// findGroup finds an object-graph group by its components, joined by "/" (Keras 3) or by
// "\" (tf-keras on Windows), with tf-keras' private attribute names as alternatives.
func findGroup(root *hdf5.Group, comps []string) (*hdf5.Group, string, error) {
	alts := [][]string{comps}
	alias := make([]string, len(comps))
	changed := false
	for i, c := range comps {
		alias[i] = c
		if a, ok := legacyAttrAliases[c]; ok {
			alias[i], changed = a, true
		}
	}
	if changed {
		alts = append(alts, alias)
	}
	for _, cs := range alts {
		last := len(cs) - 1
		for _, p := range []string{
			strings.Join(cs, "/"),
			strings.Join(cs[:last], "\\") + "/" + cs[last],
			strings.Join(cs, "\\"),
		} {
			if root.Has(p) {
				if g, err := root.Group(p); err == nil {
					return g, p, nil
				}
			}
		}
	}
	return nil, "", fmt.Errorf("no group %s", strings.Join(comps, "/"))
}

// ---- legacy HDF5 layout (model.save("m.h5"), Keras 2 save_weights) ----

// assignLegacy reads weights stored per top-level layer: group <layer name> with a
// weight_names attribute listing its datasets in the layer's weights order (trainable
// weights first). A nested model's weights are all in its own group, flattened: the
// trainable weights of all its layers first, then the non-trainable ones.
func assignLegacy(m *Model, g *hdf5.Group) error {
	layerNames, err := splitStringAttr(g, "layer_names")
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, n := range layerNames {
		listed[n] = true
	}
	var errs []error
	var missing []string
	for _, l := range m.Layers {
		targets, err := legacyTargets(l, m.Trainable)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(targets) == 0 {
			continue
		}
		if !g.Has(l.Name) {
			missing = append(missing, l.Name)
			continue
		}
		lg, err := g.Group(l.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(l), err))
			continue
		}
		if err := assignLegacyLayer(l, lg, targets); err != nil {
			errs = append(errs, err)
		}
	}
	if len(missing) > 0 {
		present, _ := g.Members()
		var groups []string
		for _, p := range present {
			if p.IsGroup {
				groups = append(groups, p.Name)
			}
		}
		errs = append(errs, fmt.Errorf("the file is incomplete: the weights of %s are missing (%s/@layer_names lists %s, but the groups present are %s)",
			quoteList(missing), g.Path(), strings.Join(layerNames, ", "), strings.Join(groups, ", ")))
	}
	return errors.Join(errs...)
}

// legacyTargets lists the variables a top-level layer's group holds, in file order.
func legacyTargets(l *Layer, trainable bool) ([]target, error) {
	if l.Model == nil {
		ts, ok := layerTargets(l, trainable)
		if !ok {
			return nil, unknownClassError(l)
		}
		return ts, nil
	}
	var all []target
	for _, sub := range l.Model.Layers {
		ts, err := legacyTargets(sub, trainable && l.Model.Trainable)
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
	}
	if !(trainable && l.Model.Trainable) {
		return all, nil // a frozen model lists its weights layer by layer
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].trainable && !all[j].trainable })
	return all, nil
}

func assignLegacyLayer(l *Layer, lg *hdf5.Group, targets []target) error {
	names, err := splitStringAttr(lg, "weight_names")
	if err != nil {
		return fmt.Errorf("%s: %w", describe(l), err)
	}
	seen := map[string]bool{}
	var dups []string
	for _, n := range names {
		if seen[n] && !contains(dups, n) {
			dups = append(dups, n)
		}
		seen[n] = true
	}
	if len(dups) > 0 {
		return fmt.Errorf("%s: %s/@weight_names lists %s more than once (%d names for %d distinct datasets): the file is corrupt",
			describe(l), lg.Path(), quoteList(dups), len(names), len(seen))
	}
	if len(names) != len(targets) {
		return fmt.Errorf("%s: %s/@weight_names lists %d weights, but the layer has %d (%s)",
			describe(l), lg.Path(), len(names), len(targets), targetNames(targets))
	}
	for i, n := range names {
		d, err := lg.Dataset(n)
		if err != nil {
			return fmt.Errorf("%s: weight %q listed in %s/@weight_names is missing: %w", describe(l), n, lg.Path(), err)
		}
		shape, dt, vals, err := readDataset(d)
		if err != nil {
			return fmt.Errorf("%s: %w", describe(l), err)
		}
		t := targets[i]
		t.layer.Weights = append(t.layer.Weights, t.weight(d.Path(), shape, dt, vals))
	}
	return nil
}

// splitStringAttr reads a string-list attribute that h5py may have split into name0..nameN
// because it was too large for one object header message.
func splitStringAttr(g *hdf5.Group, name string) ([]string, error) {
	if a, err := g.Attr(name); err == nil {
		if a.IsEmpty() {
			return nil, nil
		}
		return a.Strings()
	}
	var out []string
	for i := 0; ; i++ {
		a, err := g.Attr(name + strconv.Itoa(i))
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("%s has no attribute %q", g.Path(), name)
			}
			return out, nil
		}
		s, err := a.Strings()
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
}

// ---- by name (TF.js manifests) ----

// namedWeight is a weight found in a file under a name (a TF.js manifest entry).
type namedWeight struct {
	Name   string
	Shape  []int
	DType  string
	Values []float32
}

// assignByName attaches named weights to the layers that own them: a weight belongs to a
// leaf layer when its name starts with "<layer name>/", and to one of the layer's variables
// when its last component is the variable's name (or a Keras 2 alias) and its middle
// components agree (forward/backward of a Bidirectional, query/key/value of attention).
func assignByName(m *Model, ws []namedWeight) error {
	byLayer := map[string][]int{}
	for i, w := range ws {
		first := strings.SplitN(w.Name, "/", 2)[0]
		byLayer[first] = append(byLayer[first], i)
	}
	used := make([]bool, len(ws))
	var errs []error
	var walk func(m *Model, trainable bool)
	walk = func(m *Model, trainable bool) {
		for _, l := range m.Layers {
			if l.Model != nil {
				walk(l.Model, trainable && m.Trainable)
				continue
			}
			targets, ok := layerTargets(l, trainable && m.Trainable)
			if !ok {
				errs = append(errs, unknownClassError(l))
				continue
			}
			for _, t := range targets {
				var hits []int
				for _, i := range byLayer[l.Name] {
					if !used[i] && nameMatches(ws[i].Name, t.spec.Name) {
						hits = append(hits, i)
					}
				}
				switch len(hits) {
				case 0:
					errs = append(errs, fmt.Errorf("%s: variable %q is not in the weights manifest (it has %d weights named %s/...)",
						describe(l), t.spec.Name, len(byLayer[l.Name]), l.Name))
				case 1:
					w := ws[hits[0]]
					used[hits[0]] = true
					l.Weights = append(l.Weights, t.weight(w.Name, w.Shape, w.DType, w.Values))
				default:
					var names []string
					for _, h := range hits {
						names = append(names, ws[h].Name)
					}
					errs = append(errs, fmt.Errorf("%s: variable %q matches several manifest weights: %s", describe(l), t.spec.Name, strings.Join(names, ", ")))
				}
			}
		}
	}
	walk(m, true)
	return errors.Join(errs...)
}

// nameMatches reports whether a file's weight name ("bidirectional/forward_lstm/kernel",
// "lstm_1/kernel:0") can be the variable spec ("forward_layer/cell/kernel").
func nameMatches(fileName, spec string) bool {
	fileName = strings.TrimSuffix(fileName, ":0")
	fparts := strings.Split(fileName, "/")
	objs, v := objectPath(spec)
	last := fparts[len(fparts)-1]
	if last != v && !contains(keras2Aliases[v], last) {
		return false
	}
	middle := strings.Join(fparts[1:len(fparts)-1], "/")
	for _, o := range objs {
		switch o {
		case "forward_layer", "backward_layer":
			dir := strings.TrimSuffix(o, "_layer")
			if !strings.HasPrefix(middle, dir) && !strings.Contains(middle, "/"+dir) {
				return false
			}
		case "query_dense", "key_dense", "value_dense", "output_dense":
			want := mhaSublayerNames[o]
			if !strings.Contains("/"+middle+"/", "/"+want+"/") {
				return false
			}
		}
	}
	return true
}

// ---- shared ----

func unknownClassError(l *Layer) error {
	return &UnsupportedError{Layers: []UnsupportedLayer{{Name: l.Name, Class: l.Class, Reason: unknownReason(l)}}}
}

func targetNames(ts []target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.layer.Name+"/"+t.spec.Name)
	}
	return strings.Join(s, ", ")
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q, ", ")
}

func contains(xs []string, x string) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}
