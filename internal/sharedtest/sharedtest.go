// Package sharedtest locates the project's read-only ground truth (../shared beside the
// repository: golden cases, the corpus, benchmark models) for tests. Tests read those files
// in place; they are never copied into the repository.
package sharedtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns where the shared directory should be: ../shared beside the repository, or
// $KERASGEN_SHARED.
func Root() string {
	if env := os.Getenv("KERASGEN_SHARED"); env != "" {
		return env
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

// Dir returns the shared directory (or one of its subdirectories). When it is missing the
// test is skipped with the reason, except under CI (CI=true), where that is a failure.
func Dir(t testing.TB, sub ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{Root()}, sub...)...)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared ground truth missing under CI: %v", err)
		}
		t.Skipf("shared ground truth not found (%v): these checks need ../shared beside the repository", err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // directory walks do not follow a linked root
	}
	return dir
}
