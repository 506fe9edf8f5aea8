package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"
)

const partnerUsage = `Usage:
  grisaille partner list
  grisaille partner suspend [--why TEXT] SLUG
  grisaille partner resume SLUG

A suspended partner is served by none of its hosts or domains (pages, API,
widgets, new certificates) until it is resumed; its brand, customers,
tokens, invoices and platform applications are kept as they are. Running
portals see the change at once on PostgreSQL, within 30 seconds on SQLite.
`

// partnerCommand runs the operator's partner commands.
func partnerCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, partnerUsage)
		return errors.New("partner: want a subcommand: list, suspend or resume")
	}
	sub := args[0]
	f := newFlags("partner "+sub, stderr)
	st := storageFlags(f)
	why := f.String("why", "", "the reason for a suspension, kept with it")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	if sub != "list" && f.NArg() != 1 {
		fmt.Fprint(stderr, partnerUsage)
		return fmt.Errorf("partner %s: want one partner slug", sub)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, store, err := openStore(ctx, st)
	if err != nil {
		return err
	}
	defer db.Close()
	bus := openBus(db, st, log) // so that running portals drop their cached copy
	defer bus.Close()
	store.UseBroadcaster(bus)

	switch sub {
	case "list":
		partners, err := store.Partners(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SLUG\tNAME\tSTATE\tHOSTS")
		for _, p := range partners {
			state := "active"
			if !p.SuspendedAt.IsZero() {
				state = "suspended since " + p.SuspendedAt.Format(time.DateOnly)
				if p.SuspendedWhy != "" {
					state += ": " + p.SuspendedWhy
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", p.Slug, p.Brand.Name, state, len(p.Hostnames))
		}
		return w.Flush()
	case "suspend", "resume":
		p, err := store.PartnerBySlug(ctx, f.Arg(0))
		if err != nil {
			return fmt.Errorf("partner %s %q: %w", sub, f.Arg(0), err)
		}
		if sub == "suspend" {
			err = store.SuspendPartner(ctx, p.ID, *why)
		} else {
			err = store.ResumePartner(ctx, p.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "partner %s: %s\n", p.Slug, map[string]string{"suspend": "suspended", "resume": "resumed"}[sub])
		return nil
	}
	fmt.Fprint(stderr, partnerUsage)
	return fmt.Errorf("partner: unknown subcommand %q", sub)
}
