package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/grisaille/grisaille/platform"
)

// errNotFound reports a missing or foreign resource; handlers answer 404.
var errNotFound = errors.New("not found")

// orgRow is an organisations row.
type orgRow struct {
	ID               string `db:"id"`
	AccountID        string `db:"account_id"`
	Name             string `db:"name"`
	Description      string `db:"description"`
	Address          string `db:"address"`
	City             string `db:"city"`
	Zipcode          string `db:"zipcode"`
	Country          string `db:"country"`
	Company          string `db:"company"`
	CustomerFullName string `db:"customer_full_name"`
	VAT              string `db:"vat"`
	BillingEmail     string `db:"billing_email"`
	CreatedAt        int64  `db:"created_at"`
}

const orgColumns = `id, account_id, name, description, address, city, zipcode, country, company, customer_full_name, vat, billing_email, created_at`

func (o orgRow) api() platform.Organisation {
	return platform.Organisation{
		ID: o.ID, Name: o.Name, Description: o.Description, Address: o.Address, City: o.City,
		Zipcode: o.Zipcode, Country: o.Country, Company: o.Company, CustomerFullName: o.CustomerFullName,
		VAT: o.VAT, BillingEmail: o.BillingEmail,
	}
}

// self is the account as the API shows it.
func (a account) self() platform.Self {
	return platform.Self{ID: a.ID, Email: a.Email, Name: a.Name, Lang: "EN"}
}

// org loads the organisation id if acc owns it, errNotFound otherwise.
func (e *Emulator) org(ctx context.Context, acc account, id string) (orgRow, error) {
	var o orgRow
	err := e.db.GetContext(ctx, &o, e.q(`SELECT `+orgColumns+` FROM organisations WHERE id = ? AND account_id = ?`), id, acc.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return o, errNotFound
	}
	if err != nil {
		return o, fmt.Errorf("emulator: get organisation: %w", err)
	}
	return o, nil
}

// orgs lists acc's organisations, oldest first.
func (e *Emulator) orgs(ctx context.Context, acc account) ([]orgRow, error) {
	var out []orgRow
	if err := e.db.SelectContext(ctx, &out, e.q(`SELECT `+orgColumns+` FROM organisations WHERE account_id = ? ORDER BY created_at, id`), acc.ID); err != nil {
		return nil, fmt.Errorf("emulator: list organisations: %w", err)
	}
	return out, nil
}

// fail answers err: 404 for errNotFound, 500 otherwise.
func fail(w http.ResponseWriter, err error, what string) {
	if errors.Is(err, errNotFound) {
		writeError(w, http.StatusNotFound, what+" not found")
		return
	}
	internalError(w, err)
}

// ownedOrg loads the path's organisation {o}, answering 404 when acc does not
// own it.
func (e *Emulator) ownedOrg(w http.ResponseWriter, r *http.Request, acc account) (orgRow, bool) {
	o, err := e.org(r.Context(), acc, r.PathValue("o"))
	if err != nil {
		fail(w, err, "organisation")
		return o, false
	}
	return o, true
}

func (e *Emulator) handleSelf(w http.ResponseWriter, r *http.Request, acc account) {
	writeJSON(w, http.StatusOK, acc.self())
}

// tokenInfo describes the credential of a request, as GET
// /v2/self/tokens/current answers it. The emulator's tokens never expire, so
// expirationDate is left out.
type tokenInfo struct {
	CreationDate   string `json:"creationDate"`
	ExpirationDate string `json:"expirationDate,omitempty"`
}

// handleCurrentToken answers the caller's token information; the official
// CLI reads it (next to /v2/self) to show `clever profile`.
func (e *Emulator) handleCurrentToken(w http.ResponseWriter, r *http.Request, acc account) {
	writeJSON(w, http.StatusOK, tokenInfo{CreationDate: time.UnixMilli(acc.CreatedAt).UTC().Format(time.RFC3339)})
}

// summary is GET /v2/summary as the platform answers it: platform.Summary,
// whose user also lists the applications and add-ons of the caller's
// personal space.
type summary struct {
	User          summaryUser  `json:"user"`
	Organisations []orgSummary `json:"organisations"`
}

// summaryUser is the caller in a summary. An emulator account has no personal
// space, so its lists are empty, but they are there: the official CLI walks
// the applications, add-ons and OAuth consumers of the user and of every
// organisation to resolve `--app` and `--addon` (by id or name).
type summaryUser struct {
	platform.Self
	Applications []platform.Application `json:"applications"`
	Addons       []platform.Addon       `json:"addons"`
	Consumers    []oauthConsumer        `json:"consumers"`
}

// orgSummary is one organisation of a summary, with its OAuth consumers.
type orgSummary struct {
	platform.OrganisationSummary
	Consumers []oauthConsumer `json:"consumers"`
}

// oauthConsumer is an OAuth consumer of a summary; the emulator has none.
type oauthConsumer struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (e *Emulator) handleSummary(w http.ResponseWriter, r *http.Request, acc account) {
	ctx := r.Context()
	orgs, err := e.orgs(ctx, acc)
	if err != nil {
		internalError(w, err)
		return
	}
	sum := summary{
		User: summaryUser{
			Self: acc.self(), Applications: []platform.Application{}, Addons: []platform.Addon{}, Consumers: []oauthConsumer{},
		},
		Organisations: []orgSummary{},
	}
	for _, o := range orgs {
		apps, err := e.apps(ctx, pushBase(r), o.ID)
		if err != nil {
			internalError(w, err)
			return
		}
		addons, err := e.addons(ctx, o.ID)
		if err != nil {
			internalError(w, err)
			return
		}
		sum.Organisations = append(sum.Organisations, orgSummary{
			OrganisationSummary: platform.OrganisationSummary{
				ID: o.ID, Name: o.Name, Role: "ADMIN", Applications: apps, Addons: addons,
			},
			Consumers: []oauthConsumer{},
		})
	}
	writeJSON(w, http.StatusOK, sum)
}

func (e *Emulator) handleListOrgs(w http.ResponseWriter, r *http.Request, acc account) {
	orgs, err := e.orgs(r.Context(), acc)
	if err != nil {
		internalError(w, err)
		return
	}
	out := make([]platform.Organisation, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, o.api())
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) handleGetOrg(w http.ResponseWriter, r *http.Request, acc account) {
	if o, ok := e.ownedOrg(w, r, acc); ok {
		writeJSON(w, http.StatusOK, o.api())
	}
}

// validOrg checks an organisation body, answering 400 when it is invalid.
func validOrg(w http.ResponseWriter, in platform.Organisation) bool {
	if strings.TrimSpace(in.Name) == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return false
	}
	return true
}

func (e *Emulator) handleCreateOrg(w http.ResponseWriter, r *http.Request, acc account) {
	var in platform.Organisation
	if !decode(w, r, &in) || !validOrg(w, in) {
		return
	}
	o := orgRow{
		ID: "orga_" + uuid.NewString(), AccountID: acc.ID, Name: in.Name, Description: in.Description,
		Address: in.Address, City: in.City, Zipcode: in.Zipcode, Country: in.Country, Company: in.Company,
		CustomerFullName: in.CustomerFullName, VAT: in.VAT, BillingEmail: in.BillingEmail, CreatedAt: e.nowMS(),
	}
	_, err := e.db.NamedExecContext(r.Context(), `INSERT INTO organisations (`+orgColumns+`) VALUES (:id, :account_id, :name, :description, :address, :city, :zipcode, :country, :company, :customer_full_name, :vat, :billing_email, :created_at)`, o)
	if err != nil {
		internalError(w, fmt.Errorf("emulator: create organisation: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, o.api())
}

func (e *Emulator) handleUpdateOrg(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	var in platform.Organisation
	if !decode(w, r, &in) || !validOrg(w, in) {
		return
	}
	o.Name, o.Description, o.Address, o.City, o.Zipcode = in.Name, in.Description, in.Address, in.City, in.Zipcode
	o.Country, o.Company, o.CustomerFullName, o.VAT, o.BillingEmail = in.Country, in.Company, in.CustomerFullName, in.VAT, in.BillingEmail
	_, err := e.db.NamedExecContext(r.Context(), `UPDATE organisations SET name = :name, description = :description, address = :address, city = :city, zipcode = :zipcode, country = :country, company = :company, customer_full_name = :customer_full_name, vat = :vat, billing_email = :billing_email WHERE id = :id`, o)
	if err != nil {
		internalError(w, fmt.Errorf("emulator: update organisation: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, o.api())
}

// handleDeleteOrg deletes an empty organisation; one that still has
// applications or add-ons is a 409.
func (e *Emulator) handleDeleteOrg(w http.ResponseWriter, r *http.Request, acc account) {
	o, ok := e.ownedOrg(w, r, acc)
	if !ok {
		return
	}
	ctx := r.Context()
	var n int
	err := e.db.GetContext(ctx, &n, e.q(`SELECT (SELECT COUNT(*) FROM applications WHERE org_id = ?) + (SELECT COUNT(*) FROM addons WHERE org_id = ?)`), o.ID, o.ID)
	if err != nil {
		internalError(w, fmt.Errorf("emulator: delete organisation: %w", err))
		return
	}
	if n > 0 {
		writeError(w, http.StatusConflict, "the organisation still has applications or add-ons: delete them first")
		return
	}
	if _, err := e.db.ExecContext(ctx, e.q(`DELETE FROM organisations WHERE id = ?`), o.ID); err != nil {
		internalError(w, fmt.Errorf("emulator: delete organisation: %w", err))
		return
	}
	writeSuccess(w, "The organisation has been deleted")
}
