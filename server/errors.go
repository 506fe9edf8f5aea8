package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/api"
	"github.com/grisaille/grisaille/platform"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/tokens"
	"github.com/grisaille/grisaille/web"
	"github.com/grisaille/grisaille/web/i18n"
)

// i18nStatus is a refusal with a status and a translated message.
func i18nStatus(status int, id string, kv ...any) error {
	return web.NewUserError(status, id, kv...)
}

// classify maps an error to the status and the message a user should read.
// It is the one place where typed errors become statuses.
func classify(err error) (int, *i18n.Error) {
	var ue *web.UserError
	var ae *api.Error
	var we *tokens.WidenError
	var he *echo.HTTPError
	var pe *platform.Error
	switch {
	case errors.Is(err, errDeadline):
		return http.StatusGatewayTimeout, i18n.NewError("error.timeout")
	case errors.As(err, &ue):
		return ue.Status, ue.Msg
	case errors.As(err, &ae):
		return ae.Status, &i18n.Error{ID: ae.ID, Data: ae.Data}
	case errors.As(err, &we):
		return http.StatusBadRequest, i18n.NewError(we.MessageID)
	case errors.Is(err, tokens.ErrInvalidToken), errors.Is(err, tokens.ErrRevoked):
		return http.StatusUnauthorized, i18n.NewError("api.unauthenticated")
	case errors.Is(err, tokens.ErrDenied):
		return http.StatusForbidden, i18n.NewError("api.denied")
	case errors.Is(err, tokens.ErrUnknownToken):
		return http.StatusNotFound, i18n.NewError("error.not_found")
	case errors.Is(err, tenants.ErrInvalid), errors.Is(err, tenants.ErrInvalidCredentials):
		id, _ := tenants.MessageID(err)
		return http.StatusBadRequest, i18n.NewError(id)
	case errors.Is(err, tenants.ErrZoneNotAllowed):
		return http.StatusForbidden, i18n.NewError(tenants.MsgZoneNotAllowed)
	case errors.Is(err, tenants.ErrDuplicate):
		id, _ := tenants.MessageID(err)
		return http.StatusConflict, i18n.NewError(id)
	case errors.Is(err, tenants.ErrNotFound), errors.Is(err, platform.ErrNotFound):
		return http.StatusNotFound, i18n.NewError("error.not_found")
	case errors.Is(err, platform.ErrUnavailable):
		return http.StatusServiceUnavailable, i18n.NewError("error.platform_unavailable")
	case errors.Is(err, platform.ErrUnauthorized), errors.Is(err, platform.ErrForbidden):
		return http.StatusBadGateway, i18n.NewError("error.platform_refused")
	case errors.Is(err, platform.ErrConflict):
		return http.StatusConflict, i18n.NewError("error.platform_conflict")
	case errors.As(err, &pe) && errors.Is(err, platform.ErrBadRequest):
		return http.StatusBadRequest, i18n.NewError("error.platform_rejected", "Detail", pe.Message)
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			return he.Code, i18n.NewError("error.not_found")
		case http.StatusRequestEntityTooLarge:
			return he.Code, i18n.NewError("error.too_large")
		case http.StatusForbidden:
			return he.Code, i18n.NewError("error.csrf")
		case http.StatusBadRequest:
			return he.Code, i18n.NewError("error.bad_request")
		}
		return he.Code, i18n.NewError("error.internal")
	}
	return http.StatusInternalServerError, i18n.NewError("error.internal")
}

// handleError is the one error handler: pages get a translated message in
// the partner's brand, JSON clients {id, message, type:"error"}, and unknown
// hosts a plain 404 that shows nothing of any partner.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// The answer is written even when the request ran out of time (or its
	// client gave up): it keeps the request's values, not its deadline.
	req := c.Request()
	if req.Context().Err() != nil {
		req = req.WithContext(context.WithoutCancel(req.Context()))
		c.SetRequest(req)
	}
	if errors.Is(err, errUnknownHost) {
		c.Response().Header().Set(echo.HeaderContentType, "text/plain; charset=utf-8")
		_ = c.String(http.StatusNotFound, "404 page not found\n")
		return
	}
	status, msg := classify(err)
	if status >= 500 {
		s.cfg.Logger.Error("request failed", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("path", req.URL.Path), slog.String("error", err.Error()))
	}
	if _, ok := tenants.PartnerFrom(req.Context()); !ok {
		// Errors raised before tenant resolution (an unknown route, say) are
		// still rendered in the brand of the host's partner, if any.
		p, terr := s.tenantOf(req)
		if terr != nil {
			c.Response().Header().Set(echo.HeaderContentType, "text/plain; charset=utf-8")
			_ = c.String(http.StatusNotFound, "404 page not found\n")
			return
		}
		ctx := tenants.WithPartner(req.Context(), p)
		lang := s.cfg.Bundle.Negotiate("", req.Header.Get("Accept-Language"), p.Brand.Language, p.Brand.Offered)
		ctx = i18n.WithLocalizer(ctx, s.cfg.Bundle.LocalizerWith(lang, p.Brand.Words))
		c.SetRequest(req.WithContext(ctx))
	}
	if platformAPI(req) {
		// The platform-compatible API answers as the platform does: an
		// integer id, which its clients test (4021: no favourite vhost).
		_ = c.JSON(status, map[string]any{"id": platformErrorID(status, msg.ID), "message": i18n.TE(c.Request().Context(), msg), "type": "error"})
		return
	}
	if wantsJSON(req) {
		_ = c.JSON(status, map[string]string{"id": msg.ID, "message": i18n.TE(c.Request().Context(), msg), "type": "error"})
		return
	}
	if rerr := s.web.ErrorPage(c, status, msg); rerr != nil {
		s.cfg.Logger.Error("render error page", slog.String("error", rerr.Error()))
	}
}

// platformAPI reports whether r is a call of the platform-compatible API
// (/v2, /v4), whose errors carry the platform's integer ids.
func platformAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/v2/") || strings.HasPrefix(r.URL.Path, "/v4/")
}

// platformErrorIDs are the platform's own error ids of the messages that
// have one; any other error gets its status's (4000 for 400, 4040 for 404…).
var platformErrorIDs = map[string]int{"api.no_favourite_vhost": 4021}

// platformErrorID is the platform's integer id of an error.
func platformErrorID(status int, messageID string) int {
	if id, ok := platformErrorIDs[messageID]; ok {
		return id
	}
	return status * 10
}

// wantsJSON reports whether the client asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/v4/") ||
		strings.HasPrefix(p, "/widgets/") || strings.HasPrefix(p, "/webhooks/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
