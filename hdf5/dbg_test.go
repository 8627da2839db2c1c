package hdf5

import (
	"fmt"
	"os"
	"testing"
)

func dumpGroup(t *testing.T, g *Group, depth int, seen map[uint64]bool) {
	if seen[g.addr] || depth > 10 {
		return
	}
	seen[g.addr] = true
	attrs, err := g.Attrs()
	if err != nil {
		fmt.Println("ATTRS ERR", g.Path(), err)
	}
	for _, a := range attrs {
		fmt.Println("  attr", g.Path(), a.Name, a.Type(), a.Shape(), fmtAttr(a))
	}
	ms, err := g.Members()
	if err != nil {
		fmt.Println("MEMBERS ERR", g.Path(), err)
		return
	}
	for _, m := range ms {
		if m.IsGroup {
			sub, err := g.Group(m.Name)
			if err != nil {
				fmt.Println("GROUP ERR", err)
				continue
			}
			fmt.Println(sub.Path(), "group")
			dumpGroup(t, sub, depth+1, seen)
		} else {
			d, err := g.Dataset(m.Name)
			if err != nil {
				fmt.Println("DS ERR", err)
				continue
			}
			var v any
			if d.Type().Class == ClassString {
				v, err = d.ReadStrings()
			} else {
				v, err = d.ReadFloat64()
			}
			s := fmt.Sprint(v)
			if len(s) > 100 {
				s = s[:100]
			}
			fmt.Println(d.Path(), d.Type(), d.Shape(), s, err)
			das, err := d.Attrs()
			if err != nil {
				fmt.Println("DS ATTR ERR", err)
			}
			for _, a := range das {
				fmt.Println("  attr", a.Name, a.Type(), a.Shape(), fmtAttr(a))
			}
		}
	}
}

func fmtAttr(a *Attribute) string {
	var v any
	var err error
	if a.Type().Class == ClassString {
		v, err = a.Strings()
	} else {
		v, err = a.Float64s()
	}
	s := fmt.Sprint(v, err)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

func TestDbg(t *testing.T) {
	p := os.Getenv("H5")
	if p == "" {
		t.Skip()
	}
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("superblock", f.SuperblockVersion())
	dumpGroup(t, f.Root(), 0, map[uint64]bool{})
}
