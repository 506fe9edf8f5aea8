package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/tenants"
)

// maxWebhookBody bounds a Stripe event (Stripe's are a few kilobytes).
const maxWebhookBody = 512 << 10

// stripeWebhook receives the events of a partner's Stripe account
// (POST /webhooks/stripe/<partner slug>, on the partner's host): the
// signature is checked with the partner's endpoint secret, then the event
// is applied once per event id, however often Stripe delivers it.
func (s *server) stripeWebhook(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	if c.Param("partner") != p.Slug || s.cfg.Invoicing == nil {
		return i18nStatus(http.StatusNotFound, "api.not_found")
	}
	secret, err := s.cfg.Tenants.StripeWebhookSecret(ctx, p.ID)
	if err != nil {
		return err
	}
	if secret == "" {
		return i18nStatus(http.StatusBadRequest, "webhook.not_configured")
	}
	payload, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxWebhookBody))
	if err != nil {
		return i18nStatus(http.StatusRequestEntityTooLarge, "error.too_large")
	}
	ev, err := webhook.ConstructEventWithOptions(payload, c.Request().Header.Get("Stripe-Signature"), secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		s.cfg.Logger.Warn("stripe webhook refused", "partner", p.ID, "error", err.Error())
		if errors.Is(err, webhook.ErrNotSigned) || errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld) ||
			errors.Is(err, webhook.ErrInvalidHeader) {
			return i18nStatus(http.StatusBadRequest, "webhook.bad_signature")
		}
		return i18nStatus(http.StatusBadRequest, "webhook.bad_event")
	}
	out, err := s.cfg.Invoicing.ApplyStripeEvent(ctx, p.ID, ev)
	if err != nil {
		return err
	}
	if out.Invoice != "" {
		e := audit.Event{PartnerID: p.ID, ActorKind: audit.ActorSystem, ActorLabel: "Stripe", Action: "invoice.stripe_status",
			Target: out.Invoice, Outcome: audit.OutcomeOK, Detail: string(ev.Type) + ": " + out.Status + " (event " + ev.ID + ")",
			RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
		if err := s.cfg.Audit.Record(ctx, e); err != nil {
			s.cfg.Logger.Error("audit", "error", err.Error())
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": out.Duplicate})
}
