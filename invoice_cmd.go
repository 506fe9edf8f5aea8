package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/pricing"
	"github.com/grisaille/grisaille/pricing/invoicing"
)

const invoiceUsage = `Usage:
  grisaille invoice run --period YYYY-MM [--partner SLUG] [--stripe-url URL] [--platform-url URL] [--resume]

Invoices every customer of every partner (or of one) for a month, through each
partner's Stripe account: exactly once per customer and month, so a re-run, or a
run after one killed half-way, bills nothing twice. Without --platform-url the
consumption is read from the emulator's file under --data.

One run at a time holds a partner's month (a lease in the database, renewed
while it runs, lapsing a minute after its process dies). --resume takes the
lease back at once from a run whose process is gone, and carries on.
`

// invoiceCommand runs the operator's invoicing commands.
func invoiceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, invoiceUsage)
		return errors.New("invoice: want the subcommand run")
	}
	f := newFlags("invoice run", stderr)
	st := storageFlags(f)
	period := f.String("period", "", "the month to invoice, YYYY-MM (UTC)")
	partner := f.String("partner", "", "invoice only this partner (slug); all partners when empty")
	stripeURL := f.String("stripe-url", "", "send every Stripe call to this base URL (a local stripe-mock, say); api.stripe.com when empty")
	platformURL := f.String("platform-url", "", "base URL of the real platform API; empty reads the emulator's file under --data")
	resume := f.Bool("resume", false, "first take back the lease of a run still holding the period (one whose process died), then run")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	if *period == "" {
		return errors.New("invoice run: --period YYYY-MM is required")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, store, err := openStore(ctx, st)
	if err != nil {
		return err
	}
	defer db.Close()

	base := *platformURL
	if base == "" {
		// The emulator's file, served on a free loopback port for this run.
		emuCtx, stop := context.WithCancel(ctx)
		defer stop()
		emu, url, err := startEmulator(emuCtx, filepath.Join(st.dir(), "emulator.db"), "127.0.0.1:0", log)
		if err != nil {
			return err
		}
		defer emu.Close()
		base = url
	}
	api, err := platform.NewClient(platform.Config{BaseURL: base})
	if err != nil {
		return err
	}
	priceList := pricing.NewCatalogue(db, api, log)
	grids := pricing.NewStore(db, priceList)
	if err := priceList.Refresh(ctx); err != nil {
		fmt.Fprintln(stderr, "warning: platform price list not refreshed, using the last good copy:", err)
	}
	svc := invoicing.NewService(db, invoicing.EnginePricer(pricing.NewEngine(priceList, grids)), store,
		invoicing.PlatformUsage(api, store), store, invoicing.WithStripeURL(*stripeURL), invoicing.WithLogger(log))

	partners, err := store.Partners(ctx)
	if err != nil {
		return err
	}
	failed := 0
	for _, p := range partners {
		if *partner != "" && p.Slug != *partner {
			continue
		}
		names := map[string]string{}
		custs, err := store.Customers(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, c := range custs {
			names[c.ID] = c.Name
		}
		fmt.Fprintf(stdout, "%s (%s), %s: %d customer(s)\n", p.Brand.Name, p.Slug, *period, len(custs))
		if *resume {
			l, err := svc.Release(ctx, p.ID, *period)
			switch {
			case errors.Is(err, invoicing.ErrNoLease):
			case err != nil:
				return err
			default:
				fmt.Fprintf(stdout, "  resuming: took back the lease of run %s, held by %s since %s\n", l.RunID, l.Holder,
					l.TakenAt.Format(time.RFC3339))
			}
		}
		steps := map[string]string{} // customer → its last step
		res, err := svc.Run(ctx, p.ID, *period, func(pr invoicing.Progress) {
			steps[pr.Customer] = pr.Step
			fmt.Fprintf(stderr, "  [%d/%d] %s: %s\n", pr.Done, pr.Total, names[pr.Customer], pr.Step)
		})
		var le *invoicing.LeaseError
		if errors.As(err, &le) {
			return fmt.Errorf("invoice run %s: run %s of %s is invoicing %s, its lease runs until %s; "+
				"if that process is gone, run again with --resume", p.Slug, le.Lease.RunID, le.Lease.Holder, le.Lease.Period,
				le.Lease.Until.Format(time.RFC3339))
		}
		if err != nil {
			return fmt.Errorf("invoice run %s: %w", p.Slug, err)
		}
		for _, inv := range res.Invoices {
			state := "created"
			switch {
			case steps[inv.CustomerID] == invoicing.StepSkipped:
				state = "already invoiced"
			case inv.State == invoicing.StateEmpty:
				state = "nothing to bill"
			}
			fmt.Fprintf(stdout, "  invoice %s  %-24s %4d line(s)  total %s %s  %s  %s\n", inv.ID, names[inv.CustomerID],
				len(inv.Lines), inv.Total.StringFixed(2), inv.Currency, state, inv.HostedURL)
		}
		for _, e := range res.Errors {
			failed++
			fmt.Fprintf(stdout, "  error: %v\n", e)
		}
		fmt.Fprintf(stdout, "  %d created, %d already done, %d failed\n", res.Created, res.AlreadyDone, len(res.Errors))
	}
	if failed > 0 {
		return fmt.Errorf("invoice run: %d customer(s) failed; run it again to retry them", failed)
	}
	return nil
}
