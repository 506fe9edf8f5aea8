package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/web/i18n"
	"github.com/grisaille/grisaille/whitelabel"
)

// opTag marks a platform resource with the portal operation that created
// it, so that a retry after a crash finds it instead of creating another.
const opTag = "grisaille-op-"

// Option is one choice of a select field.
type Option = components.Option

// AppForm is what the create-application form sends.
type AppForm struct {
	Name, Runtime, Zone, Flavor, Instances, Key string
}

// maxInstances bounds the instances a form may ask for.
const maxInstances = 40

// NewAppVM is the create-application page.
type NewAppVM struct {
	Chrome   Chrome
	Form     AppForm
	Runtimes []Option
	Zones    []Option
	Flavors  []Option
	// Estimate is the estimator that follows the form's choices.
	Estimate components.EstimatorProps
	Error    string
}

// newKey returns a fresh idempotency key for a form.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// validKey reports whether k looks like a key newKey made.
var validKey = regexp.MustCompile(`^[a-f0-9]{32}$`).MatchString

func (h *Handler) newAppVM(c echo.Context, s scope, form AppForm) NewAppVM {
	ctx := c.Request().Context()
	if form.Flavor == "" {
		form.Flavor = "XS"
	}
	if form.Instances == "" {
		form.Instances = "1"
	}
	vm := NewAppVM{Chrome: h.chrome(c, i18n.T(ctx, "app.new.title")), Form: form}
	vm.Chrome.Widgets = true
	for _, rt := range s.cat.Runtimes() {
		vm.Runtimes = append(vm.Runtimes, Option{Value: rt.Variant.Slug, Label: runtimeName(ctx, rt.Variant.Slug, rt.Variant.Name)})
	}
	slices.SortFunc(vm.Runtimes, func(a, b Option) int { return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)) })
	vm.Zones = zoneOptions(ctx, s.cat, s.zones())
	// Without JavaScript the flavor list can't follow the runtime: offer the
	// flavors of the chosen runtime, else those of the common ones (node).
	rtSlug := form.Runtime
	if rtSlug == "" {
		rtSlug = "node"
	}
	// Each size shows the customer's own price for 30 days, as an estimate,
	// and the estimator the cost of the chosen size and instances.
	w := h.formWidget(ctx, s, estimateZone(s, form.Zone))
	qty, err := strconv.Atoi(form.Instances)
	if err != nil || qty < 1 || qty > maxInstances {
		qty = 1
	}
	vm.Estimate = components.EstimatorProps{Widget: w, Product: rtSlug, Plan: form.Flavor, Quantity: qty,
		Period: components.Period30Days, Form: "new-app-form", TestID: "estimate"}
	if rt, ok := s.cat.Runtime(rtSlug); ok {
		for _, f := range rt.Flavors {
			if f.Available {
				vm.Flavors = append(vm.Flavors, Option{Value: f.Name,
					Label: withEstimate(flavorLabel(ctx, f), planEstimate(ctx, w.Catalogue, rtSlug, f.Name))})
			}
		}
	}
	if vm.Form.Key == "" {
		vm.Form.Key = newKey()
	}
	return vm
}

// formWidget is the state of a create form's estimator in a zone: the
// customer's catalogue, or the error state when it can't be had.
func (h *Handler) formWidget(ctx context.Context, s scope, zone string) components.Widget {
	w, err := h.consoleWidget(ctx, s, zone)
	if err != nil {
		h.cfg.Logger.WarnContext(ctx, "estimate", "error", err)
		return components.Widget{State: components.StateError, Error: i18n.T(ctx, components.MsgErrLoad),
			Words: widgetWords(ctx), Source: ConsoleCataloguePath}
	}
	return w
}

// zoneOptions labels zones with their city.
func zoneOptions(ctx context.Context, cat platform.CatalogueSnapshot, names []string) []Option {
	out := make([]Option, 0, len(names))
	for _, n := range names {
		label := n
		if z, ok := cat.Zone(n); ok && z.City != "" {
			label = z.City + " (" + n + ")"
		}
		out = append(out, Option{Value: n, Label: label})
	}
	return out
}

// flavorLabel describes a flavor: "XS · 1 vCPU · 1024 MiB".
func flavorLabel(ctx context.Context, f platform.Flavor) string {
	return f.Name + " · " + i18n.T(ctx, "flavor.cpus", map[string]any{"Count": f.CPUs}) + " · " + f.Memory.Formatted
}

// NewApp renders the create-application form.
func (h *Handler) NewApp(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	// The query may preset the choices (a link from the pricing page, say);
	// the form checks them when it is sent.
	form := AppForm{Runtime: c.QueryParam("runtime"), Zone: c.QueryParam("zone"), Flavor: c.QueryParam("flavor"),
		Instances: c.QueryParam("instances")}
	return render(c, http.StatusOK, newAppPage(h.newAppVM(c, s, form)))
}

// CreateApp creates an application on the platform, once per form key: a
// retried or doubled submission answers the application already made.
func (h *Handler) CreateApp(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	form := AppForm{
		Name:      strings.TrimSpace(c.FormValue("name")),
		Runtime:   c.FormValue("runtime"),
		Zone:      c.FormValue("zone"),
		Flavor:    c.FormValue("flavor"),
		Instances: strings.TrimSpace(c.FormValue("instances")),
		Key:       c.FormValue("idempotency_key"),
	}
	refuse := func(status int, id string, kv ...any) error {
		vm := h.newAppVM(c, s, form)
		vm.Error = i18n.TE(ctx, i18n.NewError(id, kv...))
		return render(c, status, newAppPage(vm))
	}
	if form.Name == "" || utf8.RuneCountInString(form.Name) > 100 {
		return refuse(http.StatusBadRequest, "app.error.name")
	}
	rt, ok := s.cat.Runtime(form.Runtime)
	if !ok {
		return refuse(http.StatusBadRequest, "app.error.runtime")
	}
	if f, ok := rt.Flavor(form.Flavor); !ok || !f.Available {
		return refuse(http.StatusBadRequest, "app.error.flavor")
	}
	instances := 1
	if form.Instances != "" {
		n, err := strconv.Atoi(form.Instances)
		if err != nil || n < 1 || n > maxInstances {
			return refuse(http.StatusBadRequest, "app.error.instances", "Max", maxInstances)
		}
		instances = n
	}
	if !validKey(form.Key) {
		form.Key = newKey()
	}
	create := platform.ApplicationCreate{
		Name: form.Name, Zone: form.Zone, Deploy: "git",
		InstanceType: rt.Type, InstanceVersion: rt.Version, InstanceVariant: rt.Variant.ID,
		MinInstances: instances, MaxInstances: instances, MinFlavor: form.Flavor, MaxFlavor: form.Flavor,
		BuildFlavor: rt.BuildFlavor.Name, Tags: []string{opTag + form.Key},
	}
	app, err := h.createOnce(ctx, s, form.Key, "app.create", func() (string, error) {
		a, err := s.api.CreateApplication(ctx, s.org(), create)
		return a.ID, err
	}, func(ctx context.Context) (string, error) {
		apps, err := s.api.Applications(ctx, s.org())
		if err != nil {
			return "", err
		}
		for _, a := range apps {
			if slices.Contains(a.Tags, opTag+form.Key) {
				return a.ID, nil
			}
		}
		return "", nil
	})
	if err == nil {
		err = h.nameApp(ctx, s, app, form.Name)
	}
	h.audit(c, "app.create", app, err)
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return refuse(ue.Status, ue.Msg.ID)
		}
		return err
	}
	setFlash(c, "ok", "flash.app_created")
	return c.Redirect(http.StatusSeeOther, "/console/apps/"+app)
}

// nameApp gives a new application its host under the partner's
// applications' domain, if the partner has one. Adding it again is
// harmless, so a retried create (same idempotency key) finishes the job.
func (h *Handler) nameApp(ctx context.Context, s scope, app, name string) error {
	if s.partner.AppDomain == "" {
		return nil
	}
	return s.api.AddVhost(ctx, s.org(), app, whitelabel.AppHost(name, app, s.partner.AppDomain))
}

// createOnce runs a platform create at most once per idempotency key. It
// records the intent first; on a retry it answers the resource already
// created, looking it up on the platform (find) when a crash came between
// the create and the record of its outcome.
func (h *Handler) createOnce(ctx context.Context, s scope, key, kind string,
	create func() (string, error), find func(context.Context) (string, error)) (string, error) {
	store := h.cfg.Tenants
	op, created, err := store.BeginOperation(ctx, s.partner.ID, s.customer.ID, key, kind)
	if err != nil {
		return "", err
	}
	if !created {
		if op.Kind != kind {
			return "", NewUserError(http.StatusConflict, "error.in_progress")
		}
		if op.Status == "done" && op.ResourceID != "" {
			return op.ResourceID, nil
		}
		id, err := find(ctx)
		if err != nil {
			return "", err
		}
		if id != "" {
			return id, store.CompleteOperation(ctx, s.partner.ID, op.ID, id)
		}
		if op.Status == "pending" && time.Since(op.UpdatedAt) < 30*time.Second {
			return "", NewUserError(http.StatusConflict, "error.in_progress")
		}
	}
	id, err := create()
	if err != nil {
		if ferr := store.FailOperation(ctx, s.partner.ID, op.ID); ferr != nil {
			return "", errors.Join(err, ferr)
		}
		return "", err
	}
	if err := store.CompleteOperation(ctx, s.partner.ID, op.ID, id); err != nil {
		return "", err
	}
	return id, nil
}

// AppVM is an application's page.
type AppVM struct {
	Chrome      Chrome
	App         platform.Application
	Env         []platform.EnvVar
	Deployments []platform.Deployment
	EnvName     string
	Error       string
	// EnvForm is the environment form as typed, with what is wrong with
	// it, when it was refused.
	EnvForm EnvForm
}

// EnvForm is the environment form as the user typed it.
type EnvForm struct {
	Name, Value string
	FieldError
}

// ShowApp renders an application with its actions, environment and deployments.
func (h *Handler) ShowApp(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	vm, err := h.appVM(c, s)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, appPage(vm))
}

func (h *Handler) appVM(c echo.Context, s scope) (AppVM, error) {
	ctx := c.Request().Context()
	id := c.Param("app")
	app, err := s.api.Application(ctx, s.org(), id)
	if err != nil {
		return AppVM{}, err
	}
	env, err := s.api.Env(ctx, s.org(), id)
	if err != nil {
		return AppVM{}, err
	}
	deps, err := s.api.Deployments(ctx, s.org(), id)
	if err != nil {
		return AppVM{}, err
	}
	return AppVM{Chrome: h.chrome(c, app.Name), App: face(ctx).Application(app), Env: env, Deployments: deps}, nil
}

// appAction runs one state change on an application, records it in the
// audit log and returns to the application's page.
func (h *Handler) appAction(c echo.Context, action, flash string, do func(ctx context.Context, api *platform.Client, org, app string) error) error {
	return h.appActionTo(c, action, flash, "", do)
}

// appActionTo is appAction returning to the application's page under
// sub ("/domains"), "" for the application's own.
func (h *Handler) appActionTo(c echo.Context, action, flash, sub string, do func(ctx context.Context, api *platform.Client, org, app string) error) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	id := c.Param("app")
	err = do(ctx, s.api, s.org(), id)
	h.audit(c, action, id, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", flash)
	return c.Redirect(http.StatusSeeOther, "/console/apps/"+id+sub)
}

// StartApp starts an application (a deployment is recorded).
func (h *Handler) StartApp(c echo.Context) error {
	return h.appAction(c, "app.start", "flash.app_started", func(ctx context.Context, api *platform.Client, org, app string) error {
		_, err := api.StartApplication(ctx, org, app)
		return err
	})
}

// RestartApp restarts an application.
func (h *Handler) RestartApp(c echo.Context) error {
	return h.appAction(c, "app.restart", "flash.app_restarted", func(ctx context.Context, api *platform.Client, org, app string) error {
		_, err := api.RestartApplication(ctx, org, app)
		return err
	})
}

// StopApp stops an application.
func (h *Handler) StopApp(c echo.Context) error {
	return h.appAction(c, "app.stop", "flash.app_stopped", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.StopApplication(ctx, org, app)
	})
}

// appDeletion is the deletion of an application.
var appDeletion = deletion{
	param: "app", action: "app.delete", titleID: "app.delete.title", questionID: "app.delete.question", flashID: "flash.app_deleted",
	load: func(ctx context.Context, s scope, id string) (string, error) {
		a, err := s.api.Application(ctx, s.org(), id)
		return a.Name, err
	},
	remove: func(ctx context.Context, s scope, id string) error { return s.api.DeleteApplication(ctx, s.org(), id) },
	cancel: func(id string) string { return "/console/apps/" + id },
}

// ConfirmDeleteApp asks before deleting an application.
func (h *Handler) ConfirmDeleteApp(c echo.Context) error { return h.confirmDelete(c, appDeletion) }

// DeleteApp deletes an application once the user typed its name.
func (h *Handler) DeleteApp(c echo.Context) error { return h.deleteConfirmed(c, appDeletion) }

// envName is what the portal accepts as an environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`).MatchString

// SetEnv adds or changes one environment variable.
func (h *Handler) SetEnv(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	value := c.FormValue("value")
	if !envName(name) {
		return h.envRefused(c, EnvForm{Name: name, Value: value, FieldError: FieldError{Field: "name", Error: "env.error.name"}})
	}
	if len(value) > 64*1024 {
		return h.envRefused(c, EnvForm{Name: name, FieldError: FieldError{Field: "value", Error: "env.error.value"}})
	}
	return h.appAction(c, "env.set", "flash.env_saved", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.SetEnv(ctx, org, app, name, value)
	})
}

// envRefused shows the application's page again with the environment form
// as typed and what is wrong with it, next to the field at fault.
func (h *Handler) envRefused(c echo.Context, f EnvForm) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	vm, err := h.appVM(c, s)
	if err != nil {
		return err
	}
	f.Error = i18n.T(ctx, f.Error)
	vm.EnvForm = f
	return render(c, http.StatusBadRequest, appPage(vm))
}

// DeleteEnv removes one environment variable.
func (h *Handler) DeleteEnv(c echo.Context) error {
	name := c.FormValue("name")
	if !envName(name) {
		return NewUserError(http.StatusBadRequest, "env.error.name")
	}
	return h.appAction(c, "env.delete", "flash.env_deleted", func(ctx context.Context, api *platform.Client, org, app string) error {
		return api.DeleteEnv(ctx, org, app, name)
	})
}
