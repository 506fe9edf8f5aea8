package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
)

const tokenUsage = `Usage:
  grisaille token mint --partner SLUG [--customer EMAIL] [--label L] [--ttl D]
  grisaille token attenuate [--token T | stdin] [--operations a,b] [--zones z1,z2] [--application APP] [--ttl D] [--label L]
  grisaille token inspect [--token T | stdin]
  grisaille token revoke --partner SLUG --revocation-id ID

Every command takes --data DIR (env GRISAILLE_DATA, default ./data). Tokens are
printed alone on stdout; everything else goes to stderr.
`

// tokenCommand runs the operator's token commands.
func tokenCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: no subcommand given")
	}
	f := newFlags("token "+args[0], stderr)
	st := storageFlags(f)
	partner := f.String("partner", "", "partner slug")
	customer := f.String("customer", "", "email of a customer's user: mint that customer's token")
	label := f.String("label", "", "what the token is for, shown in the admin")
	ttl := f.String("ttl", "", "lifetime, e.g. 720h or 30d (customer tokens default to 30d)")
	token := f.String("token", "", "the token; read from stdin when empty")
	ops := f.String("operations", "", "comma-separated operations the new block allows: "+strings.Join(tokens.Operations(), ","))
	zones := f.String("zones", "", "comma-separated zones the new block allows")
	app := f.String("application", "", "the one application the new block allows")
	revID := f.String("revocation-id", "", "revocation id of the block to revoke")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	db, store, err := openStore(ctx, st)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, _, err := openTokens(db, st.dir())
	if err != nil {
		return err
	}
	lifetime, err := parseTTL(*ttl)
	if err != nil {
		return err
	}
	readToken := func() (string, error) {
		if *token != "" {
			return *token, nil
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if strings.TrimSpace(line) == "" {
			return "", errors.New("no token given (--token or stdin)")
		}
		return strings.TrimSpace(line), nil
	}

	switch args[0] {
	case "mint":
		p, err := store.PartnerBySlug(ctx, *partner)
		if err != nil {
			return fmt.Errorf("partner %q: %w", *partner, err)
		}
		if *customer == "" {
			tok, _, err := svc.MintPartner(ctx, p.ID, defaultString(*label, "operator"))
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, tok)
			return nil
		}
		u, err := store.UserByEmail(ctx, p.ID, *customer)
		if err != nil || u.CustomerID == "" {
			return fmt.Errorf("no customer user %q at partner %q", *customer, *partner)
		}
		cust, err := store.Customer(ctx, p.ID, u.CustomerID)
		if err != nil {
			return err
		}
		if lifetime == 0 {
			lifetime = 30 * 24 * time.Hour
		}
		r := tokens.Restriction{Organisation: cust.OrganisationID, Zones: tenants.AllowedZones(p.AllowedZones, p.AllowedZones, cust.AllowedZones),
			Operations: customerOperations(), ExpiresAt: time.Now().Add(lifetime).UTC().Truncate(time.Second)}
		tok, _, err := svc.MintSession(ctx, tokens.Principal{PartnerID: p.ID, CustomerID: cust.ID, UserID: u.ID}, r, defaultString(*label, "operator for "+u.Email))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "attenuate":
		parent, err := readToken()
		if err != nil {
			return err
		}
		ins, err := svc.Inspect(ctx, parent)
		if err != nil || !ins.Valid || len(ins.Blocks) == 0 || ins.Blocks[0].Record == nil {
			return errors.New("the token is not one this portal issued")
		}
		last := lastKnown(ins)
		r := tokens.Restriction{Operations: splitList(*ops), Zones: splitList(*zones), Application: *app}
		if lifetime > 0 {
			r.ExpiresAt = time.Now().Add(lifetime).UTC().Truncate(time.Second)
		}
		pr := tokens.Principal{PartnerID: last.PartnerID, CustomerID: last.CustomerID, UserID: last.UserID}
		tok, _, err := svc.Attenuate(ctx, parent, last.PartnerID, pr, r, defaultString(*label, "attenuated by the operator"))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "inspect":
		t, err := readToken()
		if err != nil {
			return err
		}
		ins, err := svc.Inspect(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signature valid: %v\n", ins.Valid)
		for _, b := range ins.Blocks {
			fmt.Fprintf(stdout, "\nblock %d (%s)\n  revocation id: %s\n", b.Index, b.Status, b.RevocationID)
			if !b.ExpiresAt.IsZero() {
				fmt.Fprintf(stdout, "  expires: %s\n", b.ExpiresAt.Format(time.RFC3339))
			}
			if b.Record != nil {
				fmt.Fprintf(stdout, "  label: %s\n", b.Record.Label)
			}
			for _, line := range strings.Split(strings.TrimSpace(b.Datalog), "\n") {
				fmt.Fprintf(stdout, "  | %s\n", line)
			}
		}
		return nil
	case "revoke":
		p, err := store.PartnerBySlug(ctx, *partner)
		if err != nil {
			return fmt.Errorf("partner %q: %w", *partner, err)
		}
		if err := svc.Revoke(ctx, p.ID, *revID); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "revoked", *revID)
		return nil
	}
	fmt.Fprint(stderr, tokenUsage)
	return fmt.Errorf("token: unknown subcommand %q", args[0])
}

// lastKnown returns the record of the newest block the portal issued.
func lastKnown(ins tokens.Inspection) tokens.Record {
	var rec tokens.Record
	for _, b := range ins.Blocks {
		if b.Record != nil {
			rec = *b.Record
		}
	}
	return rec
}

// customerOperations are the operations of a customer's full token.
func customerOperations() []string {
	return []string{tokens.OpOrgRead, tokens.OpAppRead, tokens.OpAppWrite, tokens.OpAppDeploy,
		tokens.OpAddonRead, tokens.OpAddonWrite, tokens.OpTokenRead, tokens.OpTokenWrite}
}

// parseTTL reads a lifetime: a Go duration or a number of days ("30d").
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 {
			return 0, fmt.Errorf("--ttl %q: want a number of days such as 30d, or a duration such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--ttl %q: want a number of days such as 30d, or a duration such as 12h", s)
	}
	return d, nil
}

// splitList splits a comma-separated flag; an empty flag is nil (no restriction).
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func defaultString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
