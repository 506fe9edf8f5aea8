package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/email"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/themes"
	"github.com/grisaille/grisaille/web/i18n"
)

// ShowForgot is the form asking for a password reset link.
func (h *Handler) ShowForgot(c echo.Context) error {
	ctx := c.Request().Context()
	return render(c, http.StatusOK, forgotPage(PasswordVM{Chrome: h.chrome(c, i18n.T(ctx, "reset.forgot.title"))}))
}

// Forgot sends a reset link to the address typed, when a user of the
// partner has it, through the outbox: the answer is the same whether one
// has it or not, and a repeat within minutes sends nothing more.
func (h *Handler) Forgot(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	addr := strings.TrimSpace(c.FormValue("email"))
	vm := PasswordVM{Chrome: h.chrome(c, i18n.T(ctx, "reset.forgot.title")), Email: addr}
	if addr == "" || !strings.Contains(addr, "@") || len(addr) > 254 {
		vm.Error = i18n.T(ctx, "reset.forgot.bad_email")
		return render(c, http.StatusBadRequest, forgotPage(vm))
	}
	base := c.Scheme() + "://" + c.Request().Host
	err := h.cfg.Tenants.StartPasswordReset(ctx, p.ID, addr, func(ctx context.Context, tx *sqlx.Tx, u tenants.User, id, token string) error {
		m, err := h.resetMail(ctx, p, u, base+"/password/reset?token="+url.QueryEscape(token))
		if err != nil {
			return err
		}
		m.Key = "password-reset:" + id
		_, err = h.cfg.Outbox.Enqueue(ctx, tx, m)
		return err
	})
	if err != nil {
		return err
	}
	h.cfg.Outbox.Kick()
	h.audit(c, audit.ActionResetAsked, "", nil)
	vm.Sent = true
	return render(c, http.StatusOK, forgotPage(vm))
}

// ShowReset is the form choosing a new password, from a reset link.
func (h *Handler) ShowReset(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	token := c.QueryParam("token")
	vm := PasswordVM{Chrome: h.chrome(c, i18n.T(ctx, "reset.form.title")), Token: token}
	// The link's secret stays out of other sites' Referer headers.
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	if _, err := h.cfg.Tenants.CheckPasswordReset(ctx, p.ID, token); err != nil {
		return h.resetRefused(c, vm, err)
	}
	return render(c, http.StatusOK, resetPage(vm))
}

// Reset sets the new password through a reset link: the link is used up,
// the old password stops working and every session of the user ends.
func (h *Handler) Reset(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	vm := PasswordVM{Chrome: h.chrome(c, i18n.T(ctx, "reset.form.title")), Token: c.FormValue("token")}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		vm.Error = i18n.T(ctx, "reset.mismatch")
		return render(c, http.StatusBadRequest, resetPage(vm))
	}
	u, ended, err := h.cfg.Tenants.ResetPassword(ctx, p.ID, vm.Token, password)
	if err != nil {
		return h.resetRefused(c, vm, err)
	}
	// The sessions ended with the password; so do their Biscuits.
	if err := h.revokeSessions(ctx, p.ID, ended); err != nil {
		return err
	}
	h.recordSignIn(c, u, audit.ActionPasswordReset, audit.OutcomeOK, c.RealIP())
	ClearSessionCookie(c)
	setFlash(c, "ok", "flash.password_reset")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// resetRefused answers a refused reset: a dead link with a way to ask for
// another, a refused password with the form again.
func (h *Handler) resetRefused(c echo.Context, vm PasswordVM, err error) error {
	status, err := linkRefusal(c.Request().Context(), err, &vm.Error, &vm.Dead)
	if err != nil {
		return err
	}
	return render(c, status, resetPage(vm))
}

// linkRefusal reads the refusal of a link's form (a reset, an invitation):
// its message into msg, whether the link itself no longer works (410) into
// dead, else 400; an error that is no refusal is returned as it is.
func linkRefusal(ctx context.Context, err error, msg *string, dead *bool) (int, error) {
	var ve *tenants.ValidationError
	if !errors.As(err, &ve) {
		return 0, err
	}
	*msg, *dead = i18n.T(ctx, ve.MessageID), ve.Field == "token"
	if *dead {
		return http.StatusGone, nil
	}
	return http.StatusBadRequest, nil
}

// resetMail writes the reset e-mail for u, in u's language (else the
// partner's) and the partner's wording and brand.
func (h *Handler) resetMail(ctx context.Context, p tenants.Partner, u tenants.User, link string) (email.Message, error) {
	lang := h.cfg.Bundle.Negotiate(u.Language, "", p.Brand.Language, p.Brand.Offered)
	ctx = i18n.WithLocalizer(ctx, h.cfg.Bundle.LocalizerWith(lang, p.Brand.Words))
	name := u.Name
	if name == "" {
		name = u.Email
	}
	data := map[string]any{"Brand": p.Brand.Name, "Name": name, "Email": u.Email}
	vm := MailVM{Lang: lang, Brand: p.Brand.Name,
		Greeting: i18n.T(ctx, "mail.greeting", data), Body: i18n.T(ctx, "mail.reset.body", data),
		ActionLabel: i18n.T(ctx, "mail.reset.action"), ActionURL: link, Note: i18n.T(ctx, "mail.reset.note")}
	return h.brandedMail(ctx, p, u, i18n.T(ctx, "mail.reset.subject", data), vm, link)
}

// brandedMail completes vm with the partner's brand and renders both
// parts of the e-mail to u.
func (h *Handler) brandedMail(ctx context.Context, p tenants.Partner, u tenants.User, subject string, vm MailVM, link string) (email.Message, error) {
	vm.Primary = colorOf(p.Brand.PrimaryColor, "#3a3a3a")
	vm.OnPrimary = themes.OnColor(vm.Primary)
	vm.Text = colorOf(p.Brand.TextColor, "#1f1f1f")
	if p.Brand.HasLogo {
		if u, err := url.Parse(link); err == nil {
			vm.LogoURL = u.Scheme + "://" + u.Host + FilePath(tenants.FileLogo, false)
		}
	}
	var html bytes.Buffer
	if err := mailHTML(vm).Render(ctx, &html); err != nil {
		return email.Message{}, err
	}
	text := vm.Greeting + "\n\n" + vm.Body + "\n\n" + vm.ActionLabel + "\n" + link + "\n\n" + vm.Note + "\n\n-- \n" + vm.Brand + "\n"
	return email.Message{PartnerID: p.ID, FromName: p.Brand.Name, FromAddress: senderOf(p), To: u.Email,
		Subject: subject, Text: text, HTML: html.String()}, nil
}

// senderOf is the address the partner's e-mail comes from: no-reply at
// its primary host, else its first.
func senderOf(p tenants.Partner) string {
	host := p.PrimaryHost
	if host == "" && len(p.Hostnames) > 0 {
		host = p.Hostnames[0]
	}
	return "no-reply@" + host
}

// colorOf is a brand colour checked as "#rrggbb", or fallback.
func colorOf(c, fallback string) string {
	if n, ok := themes.NormalizeColor(c); ok {
		return n
	}
	return fallback
}

// The e-mail's inline styles, from checked colours only.
func mailBar(vm MailVM) templ.SafeCSS {
	return templ.SafeCSS("padding:16px 24px;border-radius:8px 8px 0 0;background:" + vm.Primary + ";color:" + vm.OnPrimary)
}

func mailText(vm MailVM) templ.SafeCSS {
	return templ.SafeCSS("padding:24px;font-size:15px;line-height:1.5;color:" + vm.Text)
}

func mailButton(vm MailVM) templ.SafeCSS {
	return templ.SafeCSS("display:inline-block;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600;background:" +
		vm.Primary + ";color:" + vm.OnPrimary)
}
