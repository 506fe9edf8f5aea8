package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// MaxGzipBytes is the widgets' size budget: the script and its stylesheet,
// gzipped, at most 10 KB (one clever-components pricing product alone is
// 20.5 KB gzipped).
const MaxGzipBytes = 10 * 1000

func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBundleFresh fails when the committed bundle is not what the elements'
// sources build to, as make test does for the generated templ files.
func TestBundleFresh(t *testing.T) {
	r := root(t)
	out, err := build(r)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range out {
		got, err := os.ReadFile(filepath.Join(r, path))
		if err != nil {
			t.Fatalf("%s: %v (run `go run ./components/bundle` and commit it)", path, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go run ./components/bundle` (or make generate) and commit it", path)
		}
	}
}

// TestBundleSize fails when the bundle of the three elements and their
// stylesheet is over MaxGzipBytes gzipped, and prints the sizes.
func TestBundleSize(t *testing.T) {
	out, err := build(root(t))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, path := range []string{ScriptPath, StylesheetPath} {
		n := gzipSize(t, out[path])
		t.Logf("%s: %d bytes, %d bytes gzipped", path, len(out[path]), n)
		total += n
	}
	t.Logf("widgets: %d bytes gzipped in all (budget %d)", total, MaxGzipBytes)
	if total > MaxGzipBytes {
		t.Errorf("widgets are %d bytes gzipped, over the %d-byte budget", total, MaxGzipBytes)
	}
}

func gzipSize(t *testing.T, data []byte) int {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Len()
}
