package tenants

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
)

// TestBrandFiles: every kind of file goes through a draft, a publication
// and a rollback byte for byte, the versions name the kinds that changed,
// and a kind's refusal names it.
func TestBrandFiles(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	p := mustPartner(t, s, "acme")
	light := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4" fill="#111"/></svg>`)
	dark := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4" fill="#eee"/></svg>`)

	snap := BrandSnapshot{Brand: p.Brand}.
		WithFile(FileLogo, &File{Data: light}).
		WithFile(FileLogoDark, &File{Data: dark}).
		WithFile(FileIconDark, &File{Data: dark, ContentType: LogoSVG})
	if err := s.SaveBrandDraft(ctx, p.ID, snap, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BrandFile(ctx, p.ID, FileLogoDark); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a drafted file is live: %v", err)
	}
	d, err := s.BrandDraft(ctx, p.ID)
	if f, ok := d.File(FileLogoDark); err != nil || !ok || !bytes.Equal(f.Data, dark) || f.ContentType != LogoSVG || !d.Brand.HasLogoDark || d.Brand.HasIcon {
		t.Fatalf("the draft's dark logo: %v %v %+v", err, ok, d.Brand)
	}
	v, err := s.PublishBrandDraft(ctx, p.ID, "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	live, _ := s.Partner(ctx, p.ID)
	if !live.Brand.HasLogo || !live.Brand.HasLogoDark || live.Brand.HasIcon || !live.Brand.HasIconDark {
		t.Fatalf("live flags %+v", live.Brand)
	}
	if f, err := s.BrandFile(ctx, p.ID, FileIconDark); err != nil || !bytes.Equal(f.Data, dark) {
		t.Fatalf("the live dark icon: %v", err)
	}
	vs, err := s.BrandVersions(ctx, p.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("%d versions, %v", len(vs), err)
	}
	if want := []string{"logo", "logo_dark", "icon_dark"}; !slices.Equal(vs[0].Changed, want) {
		t.Errorf("changed %v, want %v", vs[0].Changed, want)
	}

	if _, err := s.RollbackBrand(ctx, p.ID, 1, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []FileKind{FileLogo, FileLogoDark, FileIconDark} {
		if _, err := s.BrandFile(ctx, p.ID, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("after rolling back to the first version, %s: %v", k, err)
		}
	}
	if _, err := s.RollbackBrand(ctx, p.ID, v, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	if f, err := s.BrandFile(ctx, p.ID, FileLogoDark); err != nil || !bytes.Equal(f.Data, dark) {
		t.Fatalf("rolled forward, the dark logo: %v", err)
	}

	unsafe := BrandSnapshot{Brand: p.Brand}.WithFile(FileIconDark, &File{Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><g onload="x()"/></svg>`)})
	var ve *ValidationError
	if err := s.SaveBrandDraft(ctx, p.ID, unsafe, "x"); !errors.As(err, &ve) || ve.Field != "icon_dark" || ve.MessageID != MsgLogoUnsafe {
		t.Fatalf("an unsafe dark icon: %v", err)
	}
	if kept := snap.WithFile(FileLogo, nil); len(snap.Files) != 3 || len(kept.Files) != 2 {
		t.Fatal("WithFile changed the snapshot it was made from")
	}
}
