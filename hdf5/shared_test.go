package hdf5

import (
	"archive/zip"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type sharedFact struct {
	datasets, groups int
	path             string // one dataset...
	shape            []int  // ...and its shape
}

// readShared returns the HDF5 bytes of a file: the file itself, or the
// model.weights.h5 member of a .keras zip archive.
func readShared(path string) ([]byte, error) {
	if !strings.HasSuffix(path, ".keras") {
		return os.ReadFile(path)
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	r, err := z.Open("model.weights.h5")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestSharedFiles walks every group, attribute and dataset of every HDF5
// file of the shared corpus and checks facts recorded with h5ls.
func TestSharedFiles(t *testing.T) {
	dir := sharedtest.Dir(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(p) {
		case ".h5", ".hdf5", ".keras":
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	noErr(t, err)
	sort.Strings(files)
	found := map[string]bool{}
	for _, rel := range files {
		found[rel] = true
		t.Run(rel, func(t *testing.T) {
			data, err := readShared(filepath.Join(dir, filepath.FromSlash(rel)))
			noErr(t, err)
			f, err := Open(data)
			noErr(t, err)
			st, err := walkFile(f, false)
			noErr(t, err)
			check(t, 0, st.unsupported, "values refused as unsupported")
			fact, ok := sharedFacts[rel]
			if !ok {
				t.Logf("no recorded facts for %s (walked %d datasets)", rel, st.datasets)
				return
			}
			check(t, fact.datasets, st.datasets, "datasets")
			check(t, fact.groups, st.groups, "groups")
			check(t, fact.shape, st.shapes[fact.path], fact.path)
			d, err := f.Root().Dataset(fact.path)
			noErr(t, err)
			v, err := d.ReadFloat32()
			noErr(t, err)
			n := 1
			for _, s := range fact.shape {
				n *= s
			}
			check(t, n, len(v), "values in "+fact.path)
		})
	}
	for rel := range sharedFacts {
		if !found[rel] {
			t.Errorf("%s is listed in sharedFacts but missing from %s", rel, dir)
		}
	}
}
