package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"

	"github.com/grisaille/grisaille/audit"
	"github.com/grisaille/grisaille/tenants"
	"github.com/grisaille/grisaille/web/i18n"
)

// ChallengeCookie carries a sign-in's second-step challenge, from the
// password to the code.
const ChallengeCookie = "grisaille_2fa"

// TwoFactorVM is a page of two-factor sign-in: the code asked after the
// password, the enrolment (a QR code, its secret and a first code), and the
// recovery codes shown once.
type TwoFactorVM struct {
	Chrome Chrome
	// Action is where the code form posts.
	Action string
	// Enrol shows the secret to add to an app: QR is its otpauth:// URL as
	// a PNG data URL, Secret the same in groups of four to type.
	Enrol      bool
	QR, Secret string
	// Codes are new recovery codes to keep; Continue is where to go next.
	Codes    []string
	Continue string
	// Required says the partner requires two-factor sign-in of this user.
	Required bool
	Error    string
}

// afterPassword continues a sign-in whose password was right: to the
// second step when the user has two-factor sign-in or their partner
// requires it, else straight into a session.
func (h *Handler) afterPassword(c echo.Context, p tenants.Partner, u tenants.User, next string) error {
	ctx := c.Request().Context()
	st, err := h.cfg.Tenants.TwoFactor(ctx, p.ID, u.ID)
	if err != nil {
		return err
	}
	policy, err := h.cfg.Tenants.TwoFactorPolicyOf(ctx, p.ID)
	if err != nil {
		return err
	}
	if !st.Enabled && !policy.Requires(u) {
		h.recordSignIn(c, u, audit.ActionSignIn, audit.OutcomeOK, c.RealIP())
		return h.startSession(c, p, u, next)
	}
	token, err := h.cfg.Tenants.StartChallenge(ctx, u, next)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: ChallengeCookie, Value: token, Path: "/login", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Scheme() == "https", MaxAge: int(tenants.ChallengeTTL / time.Second)})
	return c.Redirect(http.StatusSeeOther, "/login/two-factor")
}

// challenge returns the sign-in challenge of the request's cookie; a gone
// one sends back to the password with a message.
func (h *Handler) challenge(c echo.Context) (tenants.Challenge, string, error) {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ck, err := c.Cookie(ChallengeCookie)
	if err != nil || ck.Value == "" {
		return tenants.Challenge{}, "", tenants.ErrChallengeGone
	}
	ch, err := h.cfg.Tenants.ChallengeOf(ctx, p.ID, ck.Value)
	return ch, ck.Value, err
}

// challengeGone sends a sign-in whose challenge ended back to the password.
func (h *Handler) challengeGone(c echo.Context) error {
	clearChallengeCookie(c)
	setFlash(c, "error", "flash.two_factor_gone")
	return c.Redirect(http.StatusSeeOther, "/login")
}

func clearChallengeCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: ChallengeCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
}

// ShowChallenge asks a sign-in's second step: a code, or the enrolment
// the partner requires.
func (h *Handler) ShowChallenge(c echo.Context) error {
	ch, _, err := h.challenge(c)
	if errors.Is(err, tenants.ErrChallengeGone) {
		return h.challengeGone(c)
	}
	if err != nil {
		return err
	}
	return h.challengePage(c, http.StatusOK, ch, "")
}

func (h *Handler) challengePage(c echo.Context, status int, ch tenants.Challenge, errText string) error {
	ctx := c.Request().Context()
	vm := TwoFactorVM{Chrome: h.chrome(c, i18n.T(ctx, "twofactor.title")), Action: "/login/two-factor", Error: errText}
	if ch.Enrol {
		vm.Action, vm.Required = "/login/two-factor/enrol", true
		if err := h.enrolment(c, ch.User, &vm); err != nil {
			return err
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, twoFactorPage(vm))
}

// enrolment fills vm with the user's pending secret.
func (h *Handler) enrolment(c echo.Context, u tenants.User, vm *TwoFactorVM) error {
	p, _ := tenants.PartnerFrom(c.Request().Context())
	key, err := h.cfg.Tenants.PendingTOTP(c.Request().Context(), p.Brand.Name, u)
	if err != nil {
		return err
	}
	vm.Enrol = true
	vm.QR, err = qrDataURL(key)
	vm.Secret = groupsOf(key.Secret(), 4)
	return err
}

// qrDataURL is a key's QR code as a PNG data URL.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// groupsOf splits s in groups of n, for reading aloud or typing.
func groupsOf(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// PassChallenge checks a sign-in's second step and opens the session.
func (h *Handler) PassChallenge(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ch, token, err := h.challenge(c)
	if err == nil {
		ch, err = h.cfg.Tenants.PassChallenge(ctx, p.ID, token, c.FormValue("code"), c.RealIP())
	}
	if err != nil {
		return h.challengeRefused(c, ch, err)
	}
	clearChallengeCookie(c)
	h.recordSignIn(c, ch.User, audit.ActionSignIn, audit.OutcomeOK, "two-factor, from "+c.RealIP())
	return h.startSession(c, p, ch.User, ch.Next)
}

// EnrolChallenge completes the enrolment a partner requires at sign-in,
// opens the session and shows the new recovery codes once.
func (h *Handler) EnrolChallenge(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := tenants.PartnerFrom(ctx)
	ch, token, err := h.challenge(c)
	var codes []string
	if err == nil {
		ch, codes, err = h.cfg.Tenants.EnrolChallenge(ctx, p.ID, token, c.FormValue("code"), c.RealIP())
	}
	if err != nil {
		return h.challengeRefused(c, ch, err)
	}
	clearChallengeCookie(c)
	h.recordSignIn(c, ch.User, audit.ActionTwoFactorOn, audit.OutcomeOK, "")
	h.recordSignIn(c, ch.User, audit.ActionSignIn, audit.OutcomeOK, "two-factor enrolled, from "+c.RealIP())
	if err := h.openSession(c, p, ch.User); err != nil {
		return err
	}
	return h.recoveryCodesPage(c, codes, destination(ch.User, ch.Next))
}

// challengeRefused answers a refused second step: back to the password
// when the challenge is gone, a wait when locked, the form again with what
// is wrong.
func (h *Handler) challengeRefused(c echo.Context, ch tenants.Challenge, err error) error {
	ctx := c.Request().Context()
	var locked *tenants.LockedError
	var verr *tenants.ValidationError
	switch {
	case errors.Is(err, tenants.ErrChallengeGone):
		h.recordSignIn(c, ch.User, audit.ActionTwoFactorFailed, audit.OutcomeDenied, "challenge ended, from "+c.RealIP())
		return h.challengeGone(c)
	case errors.As(err, &locked):
		if locked.Started {
			h.recordSignIn(c, ch.User, audit.ActionSignInLocked, audit.OutcomeDenied,
				"second step "+locked.Kind+" locked until "+locked.Until.Format(time.RFC3339)+", from "+c.RealIP())
		}
		return h.challengePage(c, http.StatusTooManyRequests, ch, retryLocked(c, locked))
	case errors.As(err, &verr):
		h.recordSignIn(c, ch.User, audit.ActionTwoFactorFailed, audit.OutcomeDenied, c.RealIP())
		return h.challengePage(c, http.StatusUnauthorized, ch, i18n.T(ctx, verr.MessageID))
	}
	return err
}

// recoveryCodesPage shows new recovery codes once, then a way on.
func (h *Handler) recoveryCodesPage(c echo.Context, codes []string, next string) error {
	ctx := c.Request().Context()
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, recoveryCodesPage(TwoFactorVM{Chrome: h.chrome(c, i18n.T(ctx, "twofactor.codes.title")),
		Codes: codes, Continue: next}))
}

// ShowEnrolTwoFactor shows the signed-in user the secret to add to their
// app.
func (h *Handler) ShowEnrolTwoFactor(c echo.Context) error {
	return h.accountEnrolPage(c, http.StatusOK, "")
}

func (h *Handler) accountEnrolPage(c echo.Context, status int, errText string) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	vm := TwoFactorVM{Chrome: h.chrome(c, i18n.T(ctx, "twofactor.enrol.title")), Action: "/account/two-factor", Error: errText}
	if err := h.enrolment(c, u, &vm); err != nil {
		var verr *tenants.ValidationError
		if errors.As(err, &verr) {
			setFlash(c, "ok", "flash.two_factor_already")
			return c.Redirect(http.StatusSeeOther, "/account")
		}
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, twoFactorPage(vm))
}

// EnrolTwoFactor confirms the signed-in user's secret with a first code
// and shows their recovery codes.
func (h *Handler) EnrolTwoFactor(c echo.Context) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	codes, err := h.cfg.Tenants.EnableTOTP(ctx, u.PartnerID, u.ID, c.FormValue("code"))
	var verr *tenants.ValidationError
	if errors.As(err, &verr) {
		return h.accountEnrolPage(c, http.StatusBadRequest, i18n.T(ctx, verr.MessageID))
	}
	if err != nil {
		return err
	}
	h.audit(c, audit.ActionTwoFactorOn, "", nil)
	return h.recoveryCodesPage(c, codes, "/account")
}

// DisableTwoFactor turns the signed-in user's two-factor sign-in off, once
// a current code proves they hold it.
func (h *Handler) DisableTwoFactor(c echo.Context) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	if err := h.cfg.Tenants.DisableTOTP(ctx, u, c.FormValue("code")); err != nil {
		return h.twoFactorRefused(c, err)
	}
	h.audit(c, audit.ActionTwoFactorOff, "", nil)
	setFlash(c, "ok", "flash.two_factor_off")
	return c.Redirect(http.StatusSeeOther, "/account")
}

// NewRecoveryCodes replaces the signed-in user's recovery codes, once a
// current code proves they hold their second factor.
func (h *Handler) NewRecoveryCodes(c echo.Context) error {
	ctx := c.Request().Context()
	u, _ := tenants.UserFrom(ctx)
	codes, err := h.cfg.Tenants.NewRecoveryCodes(ctx, u.PartnerID, u.ID, c.FormValue("code"))
	if err != nil {
		return h.twoFactorRefused(c, err)
	}
	h.audit(c, audit.ActionRecoveryCodes, "", nil)
	return h.recoveryCodesPage(c, codes, "/account")
}

// twoFactorRefused shows the account page with a refused change of its
// two-factor sign-in.
func (h *Handler) twoFactorRefused(c echo.Context, err error) error {
	ctx := c.Request().Context()
	var verr *tenants.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	p, _ := tenants.PartnerFrom(ctx)
	return h.accountView(c, http.StatusBadRequest, AccountVM{TwoFactorError: i18n.T(ctx, verr.MessageID, map[string]any{"Brand": p.Brand.Name})})
}
