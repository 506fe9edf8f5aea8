package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/web/i18n"
)

// deletion describes how the console deletes one kind of resource: the
// user confirms by typing its name, then it is deleted on the platform.
type deletion struct {
	param                        string // the route parameter holding the id
	action                       string // the audit log's name of the deletion
	titleID, questionID, flashID string // message ids
	load                         func(ctx context.Context, s scope, id string) (name string, err error)
	remove                       func(ctx context.Context, s scope, id string) error
	cancel                       func(id string) string // where "cancel" leads
}

// ConfirmVM asks the user to type a resource's name before deleting it.
type ConfirmVM struct {
	Chrome                         Chrome
	Name, Action, Cancel, Question string
}

// confirmDelete renders the confirmation page of a deletion.
func (h *Handler) confirmDelete(c echo.Context, d deletion) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	id := c.Param(d.param)
	name, err := d.load(ctx, s, id)
	if err != nil {
		return err
	}
	vm := ConfirmVM{Chrome: h.chrome(c, i18n.T(ctx, d.titleID)), Name: name,
		Action: c.Request().URL.Path, Cancel: d.cancel(id),
		Question: i18n.T(ctx, d.questionID, map[string]any{"Name": name})}
	return render(c, http.StatusOK, confirmPage(vm))
}

// deleteConfirmed deletes the resource once the typed name matches its own;
// otherwise nothing reaches the platform.
func (h *Handler) deleteConfirmed(c echo.Context, d deletion) error {
	ctx := c.Request().Context()
	s, err := h.scopeOf(ctx)
	if err != nil {
		return err
	}
	id := c.Param(d.param)
	name, err := d.load(ctx, s, id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.FormValue("confirm")) != name {
		return NewUserError(http.StatusBadRequest, "error.confirm_name")
	}
	err = d.remove(ctx, s, id)
	h.audit(c, d.action, id, err)
	if err != nil {
		return err
	}
	setFlash(c, "ok", d.flashID)
	return c.Redirect(http.StatusSeeOther, "/console")
}
