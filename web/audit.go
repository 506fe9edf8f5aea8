package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web/i18n"
)

// audit records what the signed-in user did; a failure to record is logged,
// since the action already happened.
func (h *Handler) audit(c echo.Context, action, target string, err error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	u, _ := tenants.UserFrom(ctx)
	ev := audit.Event{PartnerID: p.ID, ActorKind: "user", ActorID: u.ID, ActorLabel: u.Email, Action: action,
		Target: target, Outcome: "ok", RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if id, ok := tokens.IdentityFrom(ctx); ok {
		ev.RevocationIDs = id.RevocationIDs
	}
	if err != nil {
		ev.Outcome = "error"
	}
	if rerr := h.cfg.Audit.Record(ctx, ev); rerr != nil {
		h.cfg.Logger.Error("audit", slog.String("error", rerr.Error()))
	}
}

// AuditVM is the partner's audit log page.
type AuditVM struct {
	Chrome Chrome
	Events []audit.Event
	Older  string // the "before" cursor of the next page, RFC 3339
}

// auditPageSize is how many events one page shows.
const auditPageSize = 100

// AuditLog shows the partner's audit log, newest first.
func (h *Handler) AuditLog(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	before := time.Now().Add(time.Minute)
	if b, err := time.Parse(time.RFC3339Nano, c.QueryParam("before")); err == nil {
		before = b
	}
	events, err := h.cfg.Audit.Events(ctx, p.ID, auditPageSize, before)
	if err != nil {
		return err
	}
	vm := AuditVM{Chrome: h.chrome(c, i18n.T(ctx, "audit.title")), Events: events}
	if len(events) == auditPageSize {
		vm.Older = events[len(events)-1].At.Format(time.RFC3339Nano)
	}
	return render(c, http.StatusOK, auditPage(vm))
}
