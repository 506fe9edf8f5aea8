package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/migrations/dbtest"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
)

// newDB opens a migrated database in a temporary directory.
func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := dbtest.Open(t)
	return db
}

// mustPartners creates a partner for each slug and returns their ids.
func mustPartners(t *testing.T, db *sqlx.DB, slugs ...string) []string {
	t.Helper()
	sealer, err := tenants.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := tenants.NewStore(db, sealer)
	var ids []string
	for _, slug := range slugs {
		p, err := store.CreatePartner(context.Background(), tenants.PartnerCreate{
			Slug: slug, Brand: themes.Default(strings.ToUpper(slug)),
			Hostnames: []string{slug + ".example"}, AllowedZones: []string{"par"},
		})
		if err != nil {
			t.Fatalf("create partner %s: %v", slug, err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// t0 is the time of the tests' first event.
var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// event is a valid event of partner at t0 plus offset.
func event(partner, action string, offset time.Duration) audit.Event {
	return audit.Event{
		PartnerID: partner, ActorKind: audit.ActorUser, ActorID: "usr_1", ActorLabel: "dev@acme.example",
		Action: action, Target: "app_1", Outcome: audit.OutcomeOK, Detail: "from the console",
		RequestID: "req-1", At: t0.Add(offset),
	}
}

// mustRecord records every event.
func mustRecord(t *testing.T, l *audit.Log, events ...audit.Event) {
	t.Helper()
	for _, e := range events {
		if err := l.Record(context.Background(), e); err != nil {
			t.Fatalf("Record %s: %v", e.Action, err)
		}
	}
}

// actions lists the actions of events, in order.
func actions(events []audit.Event) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func TestRecordAndList(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	ctx := context.Background()
	want := event(p, audit.ActionTokenAttenuate, 0)
	want.ActorKind = audit.ActorToken
	want.ActorLabel = "ci deploy token"
	want.RevocationIDs = []string{"0a1b2c", "DEADBEEF"}
	want.At = time.Date(2025, 3, 1, 11, 0, 0, 0, time.FixedZone("CET", 3600)).Add(123456789 * time.Nanosecond)
	mustRecord(t, l, want)

	got, err := l.Events(ctx, p, 10, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d events, want 1", len(got))
	}
	e := got[0]
	if !strings.HasPrefix(e.ID, "aud_") {
		t.Errorf("got id %q, want aud_…", e.ID)
	}
	if wantAt := want.At.UTC().Truncate(time.Microsecond); !e.At.Equal(wantAt) || e.At.Location() != time.UTC {
		t.Errorf("got at %v, want %v in UTC", e.At, wantAt)
	}
	e.ID, e.At, want.At = "", time.Time{}, time.Time{}
	if fmt.Sprint(e) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

func TestRecordDefaultsToNow(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	e := event(p, audit.ActionSignIn, 0)
	e.At = time.Time{}
	before := time.Now().Add(-time.Second)
	mustRecord(t, l, e)
	got, err := l.Events(context.Background(), p, 1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].At.Before(before) || got[0].At.After(time.Now().Add(time.Second)) {
		t.Errorf("got %+v, want one event stamped now", got)
	}
	if got[0].RevocationIDs != nil {
		t.Errorf("got revocation ids %#v, want nil", got[0].RevocationIDs)
	}
}

func TestRecordValidation(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	tests := []struct {
		name   string
		change func(*audit.Event)
	}{
		{"no partner", func(e *audit.Event) { e.PartnerID = "" }},
		{"no actor kind", func(e *audit.Event) { e.ActorKind = "" }},
		{"unknown actor kind", func(e *audit.Event) { e.ActorKind = "robot" }},
		{"no outcome", func(e *audit.Event) { e.Outcome = "" }},
		{"unknown outcome", func(e *audit.Event) { e.Outcome = "maybe" }},
		{"no action", func(e *audit.Event) { e.Action = "" }},
		{"undotted action", func(e *audit.Event) { e.Action = "create" }},
		{"upper-case action", func(e *audit.Event) { e.Action = "App.Create" }},
		{"revocation id not hex", func(e *audit.Event) { e.RevocationIDs = []string{"ab cd"} }},
		{"empty revocation id", func(e *audit.Event) { e.RevocationIDs = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := event(p, audit.ActionAppCreate, 0)
			tt.change(&e)
			if err := l.Record(context.Background(), e); !errors.Is(err, audit.ErrInvalidEvent) {
				t.Errorf("got error %v, want ErrInvalidEvent", err)
			}
		})
	}
	t.Run("unknown partner", func(t *testing.T) {
		err := l.Record(context.Background(), event("ptn_missing", audit.ActionAppCreate, 0))
		if err == nil || errors.Is(err, audit.ErrInvalidEvent) {
			t.Errorf("got error %v, want a foreign key failure", err)
		}
	})
	got, err := l.Events(context.Background(), p, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("got %d events after refused ones, want 0", len(got))
	}
}

func TestPartnerIsolation(t *testing.T) {
	db := newDB(t)
	ids := mustPartners(t, db, "acme", "globex")
	acme, globex := ids[0], ids[1]
	l := audit.NewLog(db)
	mustRecord(t, l,
		event(acme, audit.ActionAppCreate, 0),
		event(globex, audit.ActionBrandUpdate, time.Second),
		event(acme, audit.ActionAppStop, 2*time.Second),
	)
	tests := []struct {
		partner string
		want    []string
	}{
		{acme, []string{audit.ActionAppStop, audit.ActionAppCreate}},
		{globex, []string{audit.ActionBrandUpdate}},
		{"ptn_other", []string{}},
	}
	for _, tt := range tests {
		got, err := l.Events(context.Background(), tt.partner, 10, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(actions(got)) != fmt.Sprint(tt.want) {
			t.Errorf("partner %s: got %v, want %v", tt.partner, actions(got), tt.want)
		}
		for _, e := range got {
			if e.PartnerID != tt.partner {
				t.Errorf("partner %s: got an event of %s", tt.partner, e.PartnerID)
			}
		}
	}
}

func TestOrderingAndPaging(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	// Recorded out of order; two share a time and keep the order of Record.
	mustRecord(t, l,
		event(p, "app.b", 2*time.Second),
		event(p, "app.a", time.Second),
		event(p, "app.d", 3*time.Second+500*time.Millisecond),
		event(p, "app.c", 2*time.Second),
		event(p, "app.e", 10*time.Second),
	)
	ctx := context.Background()
	tests := []struct {
		name   string
		limit  int
		before time.Time
		want   []string
	}{
		{"all, newest first", 10, time.Time{}, []string{"app.e", "app.d", "app.c", "app.b", "app.a"}},
		{"limit", 2, time.Time{}, []string{"app.e", "app.d"}},
		{"before", 10, t0.Add(3500 * time.Millisecond), []string{"app.c", "app.b", "app.a"}},
		{"before and limit", 1, t0.Add(2 * time.Second), []string{"app.a"}},
		{"before everything", 10, t0, []string{}},
		{"zero limit means the maximum", 0, time.Time{}, []string{"app.e", "app.d", "app.c", "app.b", "app.a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Events(ctx, p, tt.limit, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(actions(got)) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", actions(got), tt.want)
			}
		})
	}
	t.Run("pages", func(t *testing.T) {
		var all []string
		before := time.Time{}
		for range 10 {
			page, err := l.Events(ctx, p, 2, before)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, actions(page)...)
			before = page[len(page)-1].At
		}
		if want := []string{"app.e", "app.d", "app.c", "app.b", "app.a"}; fmt.Sprint(all) != fmt.Sprint(want) {
			t.Errorf("got pages %v, want %v", all, want)
		}
	})
}

func TestLimitCap(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	tx := db.MustBegin()
	for i := range audit.MaxEvents + 5 {
		_, err := tx.Exec(db.Rebind(`INSERT INTO audit_events (id, partner_id, at, actor_kind, action, outcome) VALUES (?, ?, ?, 'system', 'app.create', 'ok')`),
			fmt.Sprintf("aud_%04d", i), p, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{-1, 0, audit.MaxEvents + 1, 10000} {
		got, err := l.Events(context.Background(), p, limit, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != audit.MaxEvents {
			t.Errorf("limit %d: got %d events, want %d", limit, len(got), audit.MaxEvents)
		}
	}
}

func TestDetailTruncation(t *testing.T) {
	db := newDB(t)
	p := mustPartners(t, db, "acme")[0]
	l := audit.NewLog(db)
	tests := []struct {
		name, detail string
		wantRunes    int
	}{
		{"short", "restarted", 9},
		{"exactly the maximum", strings.Repeat("a", audit.MaxDetail), audit.MaxDetail},
		{"ascii, too long", strings.Repeat("a", audit.MaxDetail+100), audit.MaxDetail},
		{"multi-byte, too long", strings.Repeat("é", audit.MaxDetail+1), audit.MaxDetail},
		{"invalid UTF-8, too long", strings.Repeat("a\xff", audit.MaxDetail), audit.MaxDetail},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := event(p, audit.ActionAppRestart, time.Duration(i)*time.Second)
			e.Detail = tt.detail
			mustRecord(t, l, e)
			got, err := l.Events(context.Background(), p, 1, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			d := got[0].Detail
			if n := utf8.RuneCountInString(d); n != tt.wantRunes || !utf8.ValidString(d) {
				t.Errorf("got %d characters (valid UTF-8: %v), want %d", n, utf8.ValidString(d), tt.wantRunes)
			}
			if tt.wantRunes == len(tt.detail) && d != tt.detail {
				t.Errorf("got detail %q, want it unchanged", d)
			}
		})
	}
}

func TestPartnerDeletionCascades(t *testing.T) {
	db := newDB(t)
	ids := mustPartners(t, db, "acme", "globex")
	l := audit.NewLog(db)
	mustRecord(t, l, event(ids[0], audit.ActionAppCreate, 0), event(ids[1], audit.ActionAppCreate, 0))
	if _, err := db.Exec(db.Rebind(`DELETE FROM partners WHERE id = ?`), ids[0]); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("got %d events after deleting a partner, want 1 (the other partner's)", n)
	}
}
