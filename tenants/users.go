package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/grisaille/grisaille/migrations"
	"github.com/grisaille/grisaille/themes"
)

// MaxUserNameLength is the longest user display name accepted, in characters.
const MaxUserNameLength = 100

// UserCreate holds what is given to create a user.
type UserCreate struct {
	// PartnerID is the partner whose console the user signs in to.
	PartnerID string
	// CustomerID is the customer a RoleCustomer user acts for; it must be ""
	// for a RolePartnerAdmin.
	CustomerID string
	// Email is the sign-in address; it is trimmed and lowercased.
	Email string
	// Name is the display name, at most 100 characters (may be empty).
	Name string
	// Password is the initial password, at least MinPasswordLength characters.
	Password string
	// Role is what the user may do.
	Role Role
	// Member is a RoleCustomer user's role in its organisation (owner when
	// ""); it must be "" for a RolePartnerAdmin.
	Member MemberRole
	// Language is "" (use the partner's) or one of themes.Languages().
	Language string
}

// userRow is a users row, without the password hash.
type userRow struct {
	ID         string         `db:"id"`
	PartnerID  string         `db:"partner_id"`
	CustomerID sql.NullString `db:"customer_id"`
	Email      string         `db:"email"`
	Name       string         `db:"name"`
	Role       string         `db:"role"`
	Member     string         `db:"member_role"`
	Language   string         `db:"language"`
	CreatedAt  time.Time      `db:"created_at"`
}

// userColumns lists the columns of userRow.
const userColumns = `id, partner_id, customer_id, email, name, role, member_role, language, created_at`

// user converts the row.
func (r userRow) user() User {
	return User{
		ID:         r.ID,
		PartnerID:  r.PartnerID,
		CustomerID: r.CustomerID.String,
		Email:      r.Email,
		Name:       r.Name,
		Role:       Role(r.Role),
		Member:     MemberRole(r.Member),
		Language:   r.Language,
		CreatedAt:  utc(r.CreatedAt),
	}
}

// normalizeEmail trims and lowercases an address and reports whether it is
// a plain addr-spec ("name@example.com", no display name), 254 bytes at most.
func normalizeEmail(s string) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" || len(e) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || !strings.Contains(e[at+1:], ".") {
		return "", false
	}
	return e, true
}

// validLanguage reports whether lang is "" or a supported language.
func validLanguage(lang string) bool {
	return lang == "" || themes.ValidLanguage(lang)
}

// CreateUser validates and stores a new user with an argon2id password
// hash. A taken email (per partner) returns a DuplicateError; a customer of
// another partner returns ErrNotFound.
func (s *Store) CreateUser(ctx context.Context, uc UserCreate) (User, error) {
	nu, err := s.newUser(ctx, uc)
	if err != nil {
		return User{}, err
	}
	err = s.inTx(ctx, "create user", func(tx *sqlx.Tx) error { return insertUser(ctx, tx, nu) })
	return nu.User, err
}

// pendingUser is a validated user and its password hash, ready to insert.
type pendingUser struct {
	User
	hash string
}

// newUser validates uc and hashes its password. It runs outside any
// transaction: argon2id takes tens of milliseconds, and a write transaction
// would hold the database that long.
func (s *Store) newUser(ctx context.Context, uc UserCreate) (pendingUser, error) {
	email, ok := normalizeEmail(uc.Email)
	if !ok {
		return pendingUser{}, invalid("email", MsgEmailInvalid)
	}
	name := strings.TrimSpace(uc.Name)
	if utf8.RuneCountInString(name) > MaxUserNameLength {
		return pendingUser{}, invalid("name", MsgUserNameTooLong)
	}
	switch {
	case !uc.Role.Valid():
		return pendingUser{}, invalid("role", MsgRoleInvalid)
	case uc.Role == RolePartnerAdmin && uc.CustomerID != "":
		return pendingUser{}, invalid("customer_id", MsgUserCustomerForbidden)
	}
	if !validLanguage(uc.Language) {
		return pendingUser{}, invalid("language", MsgLanguageInvalid)
	}
	member := uc.Member
	switch {
	case uc.Role == RoleCustomer && member == "":
		member = MemberOwner
	case uc.Role == RoleCustomer && !member.Valid(), uc.Role != RoleCustomer && !member.ValidStaff():
		return pendingUser{}, invalid("member", MsgMemberRoleInvalid)
	}
	if err := validatePassword(uc.Password); err != nil {
		return pendingUser{}, err
	}
	hash, err := withHashSlot(ctx, func() (string, error) { return HashPassword(uc.Password) })
	if err != nil {
		return pendingUser{}, err
	}
	return pendingUser{User: User{ID: newID("usr"), PartnerID: uc.PartnerID, CustomerID: uc.CustomerID, Email: email,
		Name: name, Role: uc.Role, Member: member, Language: uc.Language, CreatedAt: s.timestamp()}, hash: hash}, nil
}

// insertUser stores a validated user inside the caller's transaction.
func insertUser(ctx context.Context, tx *sqlx.Tx, u pendingUser) error {
	if u.Role == RoleCustomer && u.CustomerID == "" {
		return invalid("customer_id", MsgUserCustomerRequired)
	}
	if err := partnerExists(ctx, tx, u.PartnerID); err != nil {
		return err
	}
	customerID := sql.NullString{String: u.CustomerID, Valid: u.CustomerID != ""}
	if customerID.Valid {
		if err := customerExists(ctx, tx, u.PartnerID, u.CustomerID); err != nil {
			return err
		}
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE partner_id = ? AND email = ?`),
		u.PartnerID, u.Email); err != nil {
		return fmt.Errorf("tenants: create user: %w", err)
	}
	if n > 0 {
		return duplicate("email", MsgEmailTaken)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO users (id, partner_id, customer_id, email, name, password_hash,
		role, member_role, language, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.PartnerID, customerID, u.Email, u.Name, u.hash, string(u.Role), string(u.Member), u.Language, u.CreatedAt)
	if migrations.IsUniqueViolation(err) {
		return duplicate("email", MsgEmailTaken)
	}
	if err != nil {
		return fmt.Errorf("tenants: create user: %w", err)
	}
	return nil
}

// UserByEmail returns a partner's user by sign-in email (trimmed and
// lowercased); ErrNotFound when none.
func (s *Store) UserByEmail(ctx context.Context, partnerID, email string) (User, error) {
	norm, ok := normalizeEmail(email)
	if !ok {
		return User{}, ErrNotFound
	}
	users, err := s.usersWhere(ctx, `partner_id = ? AND email = ?`, partnerID, norm)
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, ErrNotFound
	}
	return users[0], nil
}

// User returns a partner's user; another partner's user id returns
// ErrNotFound.
func (s *Store) User(ctx context.Context, partnerID, id string) (User, error) {
	var row userRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+userColumns+` FROM users WHERE partner_id = ? AND id = ?`),
		partnerID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("tenants: user: %w", err)
	}
	return row.user(), nil
}

// Users returns every user of a partner (admins and customers' users),
// ordered by email.
func (s *Store) Users(ctx context.Context, partnerID string) ([]User, error) {
	return s.usersWhere(ctx, `partner_id = ?`, partnerID)
}

// UsersOfCustomer returns the users of a partner's customer, ordered by
// email; another partner's customer has none.
func (s *Store) UsersOfCustomer(ctx context.Context, partnerID, customerID string) ([]User, error) {
	return s.usersWhere(ctx, `partner_id = ? AND customer_id = ?`, partnerID, customerID)
}

// usersWhere lists the users matching a condition, ordered by email.
func (s *Store) usersWhere(ctx context.Context, cond string, args ...any) ([]User, error) {
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+userColumns+` FROM users WHERE `+cond+` ORDER BY email`),
		args...); err != nil {
		return nil, fmt.Errorf("tenants: users: %w", err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// Authenticate checks a sign-in on a partner's console and returns the
// user. An unknown email and a wrong password both return
// ErrInvalidCredentials, after the same argon2id work.
func (s *Store) Authenticate(ctx context.Context, partnerID, email, password string) (User, error) {
	var row struct {
		userRow
		PasswordHash string `db:"password_hash"`
	}
	normalized, _ := normalizeEmail(email)
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+userColumns+`, password_hash FROM users
		WHERE partner_id = ? AND email = ?`), partnerID, normalized)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("tenants: authenticate: %w", err)
	}
	// An unknown address and a password too long cost one hash, as a
	// wrong password does: the same answer in the same time.
	known := err == nil && len(password) <= MaxPasswordLength && row.PasswordHash != noPassword
	hash, pw := row.PasswordHash, password
	if !known {
		hash, pw = dummyHash(), password[:min(len(password), MaxPasswordLength)]
	}
	ok, err := withHashSlot(ctx, func() (bool, error) { return CheckPassword(hash, pw) })
	if errors.Is(err, ErrBusy) {
		return User{}, err
	}
	if !known {
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("tenants: authenticate %s: %w", row.ID, err)
	}
	if !ok {
		return User{}, ErrInvalidCredentials
	}
	return row.user(), nil
}

// SetUserLanguage stores a user's chosen language ("" to follow the
// partner's).
func (s *Store) SetUserLanguage(ctx context.Context, partnerID, userID, lang string) error {
	if !validLanguage(lang) {
		return invalid("language", MsgLanguageInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE users SET language = ? WHERE partner_id = ? AND id = ?`),
		lang, partnerID, userID)
	return s.afterSessionChange(ctx, affectedOne(res, err, "set user language"))
}

// SetPassword validates and stores a new password for a partner's user and
// ends every session of the user, in one transaction.
func (s *Store) SetPassword(ctx context.Context, partnerID, userID, password string) error {
	hash, err := s.passwordHash(ctx, password)
	if err != nil {
		return err
	}
	return s.afterSessionChange(ctx, s.inTx(ctx, "set password", func(tx *sqlx.Tx) error {
		_, err := setPasswordTx(ctx, tx, partnerID, userID, hash)
		return err
	}))
}

// passwordHash validates a new password and hashes it.
func (s *Store) passwordHash(ctx context.Context, password string) (string, error) {
	if err := validatePassword(password); err != nil {
		return "", err
	}
	return withHashSlot(ctx, func() (string, error) { return HashPassword(password) })
}

// setPasswordTx stores a user's password hash and ends every session of
// the user, inside tx; it returns the ids of the sessions ended.
func setPasswordTx(ctx context.Context, tx *sqlx.Tx, partnerID, userID, hash string) ([]string, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ? WHERE partner_id = ? AND id = ?`),
		hash, partnerID, userID)
	if err := affectedOne(res, err, "set password"); err != nil {
		return nil, err
	}
	return endSessionsTx(ctx, tx, partnerID, userID, "", "")
}
