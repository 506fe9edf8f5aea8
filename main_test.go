package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		var out, errOut bytes.Buffer
		if err := run([]string{"migrate", "--data", dir}, &out, &errOut); err != nil {
			t.Fatalf("migrate #%d: %v\n%s", i+1, err, errOut.String())
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Fatalf("migrate #%d printed %q", i+1, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "grisaille.db")); err != nil {
		t.Fatal(err)
	}
}

func TestFlagsReadEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GRISAILLE_DATA", dir)
	var out, errOut bytes.Buffer
	if err := run([]string{"migrate"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "grisaille.db")) {
		t.Fatalf("GRISAILLE_DATA ignored: %q", out.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"frobnicate"}, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "Usage") {
		t.Fatalf("unknown command: err=%v, usage shown=%v", err, strings.Contains(errOut.String(), "Usage"))
	}
	if err := run(nil, &out, &errOut); err == nil {
		t.Fatal("no command: want an error")
	}
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{"addr": "GRISAILLE_ADDR", "platform-url": "GRISAILLE_PLATFORM_URL", "emulator-addr": "GRISAILLE_EMULATOR_ADDR"} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q): got %q, want %q", flag, got, want)
		}
	}
}
