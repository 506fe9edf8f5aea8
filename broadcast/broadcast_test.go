package broadcast_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/grisaille/grisaille/broadcast"
	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/migrations/dbtest"
)

// recorder keeps the keys a handler got.
type recorder struct {
	mu   sync.Mutex
	keys []string
	got  chan string
}

func newRecorder() *recorder { return &recorder{got: make(chan string, 16)} }

func (r *recorder) handle(key string) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	r.got <- key
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

func TestLocal(t *testing.T) {
	b := broadcast.Local()
	defer b.Close()
	r, other := newRecorder(), newRecorder()
	b.Subscribe("grids", r.handle)
	b.Subscribe("partners", other.handle)
	if err := b.Publish(context.Background(), "grids", "ptn_1"); err != nil {
		t.Fatal(err)
	}
	if r.count() != 1 || (<-r.got) != "ptn_1" || other.count() != 0 {
		t.Errorf("a local publish is delivered at once, to its topic only")
	}
}

// TestTwoInstances runs two buses on one PostgreSQL database, as two
// portal instances do: a change published on one reaches the other within
// a second, and its own handlers once.
func TestTwoInstances(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("LISTEN/NOTIFY needs PostgreSQL: this test runs in make test-postgres")
	}
	ctx := context.Background()
	url := dbtest.Database(t, t.TempDir(), "unused")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *broadcast.Bus {
		db, err := migrations.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		b := broadcast.Listen(url, db, log)
		t.Cleanup(b.Close)
		select {
		case <-b.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("the bus does not listen")
		}
		return b
	}
	a, b := open(), open()
	ra, rb := newRecorder(), newRecorder()
	a.Subscribe("grids", ra.handle)
	b.Subscribe("grids", rb.handle)
	// Ready delivered "" (drop everything) to the handlers of the time;
	// these came after.
	start := time.Now()
	if err := a.Publish(ctx, "grids", "ptn_42"); err != nil {
		t.Fatal(err)
	}
	select {
	case key := <-rb.got:
		if key != "ptn_42" {
			t.Errorf("the other instance got %q, want ptn_42", key)
		}
		t.Logf("delivered to the other instance in %v", time.Since(start))
	case <-time.After(time.Second):
		t.Fatal("the other instance did not hear of the change within a second")
	}
	time.Sleep(200 * time.Millisecond) // the publisher's own notification comes back meanwhile
	if ra.count() != 1 {
		t.Errorf("the publishing instance's handler ran %d times, want once", ra.count())
	}
}
