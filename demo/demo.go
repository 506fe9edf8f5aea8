// Package demo seeds the demonstration data a newcomer sees on the first
// run: two partners with their own brands, hostnames, zones and languages,
// each with an admin, a customer and that customer's applications and add-on
// on the platform.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
	"github.com/grisaille/grisaille/whitelabel"
)

// Password is every demo user's password; the README lists the accounts.
const Password = "grisaille-demo"

//go:embed acme-logo.svg
var acmeLogo []byte

//go:embed globex-logo.svg
var globexLogo []byte

// App is a demo application.
type App struct {
	Name, Runtime, Zone, Flavor string
	Env                         map[string]string
	Start                       bool
}

// Addon is a demo add-on.
type Addon struct {
	Name, Provider, Plan, Zone string
}

// Partner describes one demo partner.
type Partner struct {
	Slug, Host   string
	AppDomain    string // the domain its customers' applications are named under
	StripeKey    string // a Stripe test key: invoices go to stripe-mock or a Stripe test account
	Brand        themes.Brand
	Logo         []byte
	Zones        []string
	AdminEmail   string
	CustomerName string
	DevEmail     string
	DevName      string
	Apps         []App
	Addons       []Addon
}

// Partners are the demo partners: Acme (English; par, rbx, sgp) and Globex
// (French; par, mtl).
func Partners() []Partner {
	return []Partner{
		{
			Slug: "acme", Host: "acme.localhost", AppDomain: "apps.acme.localhost", StripeKey: "sk_test_AcmeDemo0000000000000000",
			Brand: themes.Brand{Name: "Acme Cloud", PrimaryColor: "#c2410c", AccentColor: "#0f766e",
				BackgroundColor: "#fffaf5", TextColor: "#1c1917", Font: "humanist", Language: "en", PoweredBy: true,
				SupportURL: "mailto:support@acme.example", TermsURL: "https://acme.example/terms", PrivacyURL: "https://acme.example/privacy"},
			Logo:  acmeLogo,
			Zones: []string{"par", "rbx", "sgp"}, AdminEmail: "admin@acme.example",
			CustomerName: "Roadrunner Labs", DevEmail: "dev@acme.example", DevName: "Wile E. Coyote",
			Apps: []App{
				{Name: "storefront", Runtime: "node", Zone: "par", Flavor: "S", Start: true,
					Env: map[string]string{"NODE_ENV": "production"}},
				{Name: "invoice-worker", Runtime: "python", Zone: "rbx", Flavor: "XS"},
			},
			Addons: []Addon{{Name: "storefront-db", Provider: "postgresql-addon", Plan: "xs_sml", Zone: "par"}},
		},
		{
			Slug: "globex", Host: "globex.localhost", AppDomain: "apps.globex.localhost", StripeKey: "sk_test_GlobexDemo00000000000000",
			Brand: themes.Brand{Name: "Globex Hosting", PrimaryColor: "#1e40af", AccentColor: "#7c3aed",
				BackgroundColor: "#f8fafc", TextColor: "#0f172a", Font: "system", Language: "fr", PoweredBy: false},
			Logo:  globexLogo,
			Zones: []string{"par", "mtl"}, AdminEmail: "admin@globex.example",
			CustomerName: "Initech", DevEmail: "dev@globex.example", DevName: "Peter Gibbons",
			Apps: []App{
				{Name: "tps-reports", Runtime: "php", Zone: "par", Flavor: "XS", Start: true,
					Env: map[string]string{"APP_ENV": "prod"}},
				{Name: "stapler-api", Runtime: "go", Zone: "mtl", Flavor: "S", Start: true},
			},
			Addons: []Addon{{Name: "reports-cache", Provider: "redis-addon", Plan: "s", Zone: "par"}},
		},
	}
}

// Credentials returns the platform token a demo partner uses. With the
// emulator, it is made here and registered as a platform account; with a
// real platform, it is the operator's token.
type Credentials func(ctx context.Context, p Partner) (token string, err error)

// Config is what seeding needs.
type Config struct {
	Store       *tenants.Store
	Platform    *platform.Client
	Credentials Credentials
	// RecordUsage records past usage of an organisation on the platform, so
	// that last month can be invoiced; nil records none (a real platform
	// keeps its own).
	RecordUsage func(ctx context.Context, org string, c platform.Consumption) error
	// AfterPartner runs once a demo partner is stored (to add its price
	// grids, say); nil does nothing.
	AfterPartner func(ctx context.Context, p tenants.Partner, customer tenants.Customer) error
	Logger       *slog.Logger
	// Now is the current time; time.Now when nil.
	Now func() time.Time
}

// Seed creates the demo partners that are missing, with their users,
// customer, the customer's applications and add-on on the platform, and
// last month's usage. Partners that already exist are left as they are.
func Seed(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, dp := range Partners() {
		if _, err := cfg.Store.PartnerBySlug(ctx, dp.Slug); err == nil {
			continue
		} else if !errors.Is(err, tenants.ErrNotFound) {
			return err
		}
		if err := seedPartner(ctx, cfg, dp); err != nil {
			return fmt.Errorf("demo: seed %s: %w", dp.Slug, err)
		}
		cfg.Logger.Info("demo partner seeded", slog.String("partner", dp.Slug), slog.String("host", dp.Host))
	}
	return nil
}

// lastMonth returns the first instants of the previous and the current
// month, in UTC.
func lastMonth(now time.Time) (from, to time.Time) {
	to = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return to.AddDate(0, -1, 0), to
}

// usage returns a resource's usage for a whole period, by the hour.
func usage(org, resourceID, kind, zone, slug string, from, to time.Time) platform.Consumption {
	hours := int64(to.Sub(from) / time.Hour)
	return platform.Consumption{OwnerID: org, ResourceID: resourceID, ResourceType: kind, Zone: zone, SlugID: slug,
		Quantity: json.Number(strconv.FormatInt(hours, 10)), Unit: "PT1H",
		From: from.Format(time.RFC3339), To: to.Format(time.RFC3339)}
}

func seedPartner(ctx context.Context, cfg Config, dp Partner) error {
	store, api := cfg.Store, cfg.Platform
	from, to := lastMonth(cfg.Now().UTC())
	var past []platform.Consumption
	token, err := cfg.Credentials(ctx, dp)
	if err != nil {
		return err
	}
	papi := api.WithToken(token)
	cat, err := platform.NewCatalogue(papi, 0).Snapshot(ctx)
	if err != nil {
		return err
	}
	// Platform first: if it fails, nothing is recorded and the next start
	// tries again from scratch.
	org, err := papi.CreateOrganisation(ctx, platform.Organisation{Name: dp.CustomerName, BillingEmail: dp.DevEmail, CustomerFullName: dp.DevName})
	if err != nil {
		return err
	}
	for _, a := range dp.Apps {
		rt, ok := cat.Runtime(a.Runtime)
		if !ok {
			return fmt.Errorf("runtime %q not in the catalogue", a.Runtime)
		}
		app, err := papi.CreateApplication(ctx, org.ID, platform.ApplicationCreate{
			Name: a.Name, Zone: a.Zone, Deploy: "git", InstanceType: rt.Type, InstanceVersion: rt.Version,
			InstanceVariant: rt.Variant.ID, MinInstances: 1, MaxInstances: 1, MinFlavor: a.Flavor, MaxFlavor: a.Flavor,
			BuildFlavor: rt.BuildFlavor.Name, Tags: []string{}, Env: a.Env,
		})
		if err != nil {
			return err
		}
		if err := papi.AddVhost(ctx, org.ID, app.ID, whitelabel.AppHost(app.Name, app.ID, dp.AppDomain)); err != nil {
			return err
		}
		if a.Start {
			if _, err := papi.StartApplication(ctx, org.ID, app.ID); err != nil {
				return err
			}
		}
		if f, ok := rt.Flavor(a.Flavor); ok {
			past = append(past, usage(org.ID, app.ID, "application", a.Zone, f.PriceID, from, to))
		}
	}
	for _, a := range dp.Addons {
		prov, ok := cat.Provider(a.Provider)
		if !ok {
			return fmt.Errorf("add-on provider %q not in the catalogue", a.Provider)
		}
		plan, ok := prov.Plan(a.Plan)
		if !ok {
			return fmt.Errorf("plan %q of %q not in the catalogue", a.Plan, a.Provider)
		}
		addon, err := papi.CreateAddon(ctx, org.ID, platform.AddonCreate{Name: a.Name, ProviderID: prov.ID, Plan: plan.ID, Region: a.Zone, Options: map[string]string{}})
		if err != nil {
			return err
		}
		past = append(past, usage(org.ID, addon.ID, "addon", a.Zone, plan.PriceID, from, to))
	}
	if cfg.RecordUsage != nil {
		for _, c := range past {
			if err := cfg.RecordUsage(ctx, org.ID, c); err != nil {
				return err
			}
		}
	}
	p, err := store.SeedPartner(ctx, tenants.PartnerSeed{
		Partner: tenants.PartnerCreate{Slug: dp.Slug, Brand: dp.Brand, Hostnames: []string{dp.Host}, AllowedZones: dp.Zones,
			PlatformToken: token, StripeKey: dp.StripeKey},
		Logo: dp.Logo, LogoType: "image/svg+xml",
		Admin:        tenants.UserCreate{Email: dp.AdminEmail, Name: dp.Brand.Name + " admin", Password: Password, Role: tenants.RolePartnerAdmin},
		Customer:     tenants.CustomerCreate{Name: dp.CustomerName, OrganisationID: org.ID, AllowedZones: dp.Zones},
		CustomerUser: tenants.UserCreate{Email: dp.DevEmail, Name: dp.DevName, Password: Password, Role: tenants.RoleCustomer},
	})
	if err != nil {
		return err
	}
	if err := store.SetAppDomain(ctx, p.ID, dp.AppDomain); err != nil {
		return err
	}
	if cfg.AfterPartner == nil {
		return nil
	}
	cust, err := store.CustomerByOrganisation(ctx, p.ID, org.ID)
	if err != nil {
		return err
	}
	return cfg.AfterPartner(ctx, p, cust)
}
