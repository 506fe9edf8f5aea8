// Package demo seeds the demonstration data a newcomer sees on the first
// run: two partners with their own brands, hostnames, zones and languages,
// each with an admin, a customer and that customer's applications and add-on
// on the platform.
package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
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
			Slug: "acme", Host: "acme.localhost",
			Brand: themes.Brand{Name: "Acme Cloud", PrimaryColor: "#c2410c", AccentColor: "#0f766e",
				BackgroundColor: "#fffaf5", TextColor: "#1c1917", Font: "humanist", Language: "en", PoweredBy: true},
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
			Slug: "globex", Host: "globex.localhost",
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

// Seed creates the demo partners that are missing, with their users,
// customer, and the customer's applications and add-on on the platform.
// Partners that already exist are left as they are.
func Seed(ctx context.Context, store *tenants.Store, api *platform.Client, creds Credentials, log *slog.Logger) error {
	for _, dp := range Partners() {
		if _, err := store.PartnerBySlug(ctx, dp.Slug); err == nil {
			continue
		} else if !errors.Is(err, tenants.ErrNotFound) {
			return err
		}
		if err := seedPartner(ctx, store, api, creds, dp); err != nil {
			return fmt.Errorf("demo: seed %s: %w", dp.Slug, err)
		}
		log.Info("demo partner seeded", slog.String("partner", dp.Slug), slog.String("host", dp.Host))
	}
	return nil
}

func seedPartner(ctx context.Context, store *tenants.Store, api *platform.Client, creds Credentials, dp Partner) error {
	token, err := creds(ctx, dp)
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
		if a.Start {
			if _, err := papi.StartApplication(ctx, org.ID, app.ID); err != nil {
				return err
			}
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
		if _, err := papi.CreateAddon(ctx, org.ID, platform.AddonCreate{Name: a.Name, ProviderID: prov.ID, Plan: plan.ID, Region: a.Zone, Options: map[string]string{}}); err != nil {
			return err
		}
	}
	_, err = store.SeedPartner(ctx, tenants.PartnerSeed{
		Partner: tenants.PartnerCreate{Slug: dp.Slug, Brand: dp.Brand, Hostnames: []string{dp.Host}, AllowedZones: dp.Zones, PlatformToken: token},
		Logo:    dp.Logo, LogoType: "image/svg+xml",
		Admin:        tenants.UserCreate{Email: dp.AdminEmail, Name: dp.Brand.Name + " admin", Password: Password, Role: tenants.RolePartnerAdmin},
		Customer:     tenants.CustomerCreate{Name: dp.CustomerName, OrganisationID: org.ID, AllowedZones: dp.Zones},
		CustomerUser: tenants.UserCreate{Email: dp.DevEmail, Name: dp.DevName, Password: Password, Role: tenants.RoleCustomer},
	})
	return err
}
