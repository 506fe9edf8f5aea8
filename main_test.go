package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
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

// TestPartnerCommand: the operator suspends a partner, which then serves
// on none of its hosts, lists it as suspended with the reason, and resumes
// it.
func TestPartnerCommand(t *testing.T) {
	dir := t.TempDir()
	data := "--data=" + dir
	ctx := context.Background()
	db, store, err := openStore(ctx, storage{data: &dir, database: new(string)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.CreatePartner(ctx, tenants.PartnerCreate{Slug: "acme", Brand: themes.Default("Acme"),
		Hostnames: []string{"acme.example"}, AllowedZones: []string{"par"}, PlatformToken: "t"}); err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(append([]string{"partner"}, args...), &out, &errOut); err != nil {
			t.Fatalf("partner %v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	if out := cmd("suspend", data, "--why", "unpaid invoices", "acme"); !strings.Contains(out, "acme: suspended") {
		t.Fatalf("suspend printed %q", out)
	}
	if out := cmd("list", data); !strings.Contains(out, "suspended since") || !strings.Contains(out, "unpaid invoices") {
		t.Fatalf("list printed %q", out)
	}
	if _, err := store.PartnerByHost(ctx, "acme.example"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("a suspended partner's host: %v", err)
	}
	cmd("resume", data, "acme")
	if out := cmd("list", data); !strings.Contains(out, "active") {
		t.Fatalf("list after resume printed %q", out)
	}
	var errOut bytes.Buffer
	if err := run([]string{"partner", "suspend", data, "nobody"}, io.Discard, &errOut); err == nil {
		t.Fatal("suspending an unknown partner succeeded")
	}
}
