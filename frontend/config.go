package frontend

import (
	"fmt"
	"math"
	"sort"
)

// Config is a layer's normalized configuration: decoded JSON (numbers are float64, objects
// map[string]any, arrays []any) with Keras 3 key names. The typed getters return the default
// when a key is absent or null, and an error that names the key when a value has the wrong type.
type Config map[string]any

// Has reports whether key is present and not null.
func (c Config) Has(key string) bool { v, ok := c[key]; return ok && v != nil }

// String returns a string value.
func (c Config) String(key, def string) string {
	if s, ok := c[key].(string); ok {
		return s
	}
	return def
}

// Bool returns a boolean value.
func (c Config) Bool(key string, def bool) bool {
	if b, ok := c[key].(bool); ok {
		return b
	}
	return def
}

// Float returns a number.
func (c Config) Float(key string, def float64) float64 {
	if f, ok := c[key].(float64); ok {
		return f
	}
	return def
}

// Int returns an integer value; a non-integral number is an error.
func (c Config) Int(key string, def int) (int, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return def, nil
	}
	return toInt(key, v)
}

// Ints returns a list of integers. A single integer is returned as a one-element list
// (Keras accepts kernel_size=3 for (3, 3); use IntsN to broadcast to a rank).
func (c Config) Ints(key string) ([]int, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return nil, nil
	}
	switch t := v.(type) {
	case []any:
		out := make([]int, len(t))
		for i, e := range t {
			n, err := toInt(key, e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	default:
		n, err := toInt(key, v)
		if err != nil {
			return nil, err
		}
		return []int{n}, nil
	}
}

// IntsN returns a list of n integers; a single integer is repeated n times, a missing key
// gives n copies of def.
func (c Config) IntsN(key string, n, def int) ([]int, error) {
	xs, err := c.Ints(key)
	if err != nil {
		return nil, err
	}
	switch {
	case xs == nil:
		xs = []int{def}
		fallthrough
	case len(xs) == 1 && n > 1:
		out := make([]int, n)
		for i := range out {
			out[i] = xs[0]
		}
		return out, nil
	case len(xs) != n:
		return nil, fmt.Errorf("config %q: want %d values, got %d", key, n, len(xs))
	}
	return xs, nil
}

// Shape returns a shape list where null entries (unknown dimensions) are -1.
func (c Config) Shape(key string) ([]int, bool, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, false, fmt.Errorf("config %q: want a shape list, got %T", key, v)
	}
	out := make([]int, len(arr))
	for i, e := range arr {
		if e == nil {
			out[i] = -1
			continue
		}
		n, err := toInt(key, e)
		if err != nil {
			return nil, false, err
		}
		out[i] = n
	}
	return out, true, nil
}

// Sub returns a nested object as a Config (nil when absent or not an object).
func (c Config) Sub(key string) Config {
	if m, ok := c[key].(map[string]any); ok {
		return Config(m)
	}
	return nil
}

// Object returns a nested Keras object `{"class_name": C, "config": {...}}` stored under key.
func (c Config) Object(key string) (class string, cfg Config, ok bool) {
	m := c.Sub(key)
	if m == nil {
		return "", nil, false
	}
	class, _ = m["class_name"].(string)
	return class, m.Sub("config"), class != ""
}

// Keys returns the config's keys, sorted.
func (c Config) Keys() []string {
	ks := make([]string, 0, len(c))
	for k := range c {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func toInt(key string, v any) (int, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("config %q: want an integer, got %T %v", key, v, v)
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("config %q: want an integer, got %v", key, f)
	}
	return int(f), nil
}
