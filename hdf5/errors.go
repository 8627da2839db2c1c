package hdf5

import (
	"errors"
	"fmt"
)

// ErrTruncated is wrapped by every error caused by a structure that runs
// past the end of the file.
var ErrTruncated = errors.New("truncated file")

// ErrUnsupported is wrapped by every error about a valid HDF5 feature that
// this package does not read (a filter, a datatype class, a chunk index...).
var ErrUnsupported = errors.New("unsupported")

// NotFoundError reports a missing group, dataset or attribute.
type NotFoundError struct {
	Path string // the missing object, or the object lacking the attribute
	Kind string // "group", "dataset", "group or dataset" or "attribute"
	Name string // the attribute name when Kind is "attribute"
}

func (e *NotFoundError) Error() string {
	if e.Kind == "attribute" {
		return fmt.Sprintf("hdf5: %s: no such attribute %q", e.Path, e.Name)
	}
	return fmt.Sprintf("hdf5: %s: no such %s", e.Path, e.Kind)
}

// Error is an error about one object of a file: "hdf5: <path>: <Err>".
type Error struct {
	Path string // object path; empty for errors about the file as a whole
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "hdf5: " + e.Err.Error()
	}
	return "hdf5: " + e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// wrap names the object an internal error is about, unless it already names
// one.
func wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	var nf *NotFoundError
	if errors.As(err, &e) || errors.As(err, &nf) {
		return err
	}
	return &Error{Path: path, Err: err}
}

func truncated(what string, addr uint64, size int) error {
	return fmt.Errorf("%w: %s at %#x runs past end of file (size %d)", ErrTruncated, what, addr, size)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w "+format, append([]any{ErrUnsupported}, args...)...)
}
