package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biscuit-auth/biscuit-go/v2"
)

// wasmPackage is the npm package of the reference implementation.
const wasmPackage = "@biscuit-auth/biscuit-wasm"

// interopDir returns the directory holding node_modules/@biscuit-auth/
// biscuit-wasm: GRISAILLE_BISCUIT_WASM_DIR, else testdata/interop. Without
// it the test fails under CI and is skipped elsewhere.
func interopDir(t *testing.T) string {
	t.Helper()
	dirs := []string{os.Getenv("GRISAILLE_BISCUIT_WASM_DIR"), filepath.Join("testdata", "interop")}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", wasmPackage, "package.json")); err == nil {
			return dir
		}
	}
	msg := "biscuit-wasm is not installed: run `npm ci --prefix tokens/testdata/interop` (or set GRISAILLE_BISCUIT_WASM_DIR to a directory with node_modules/" + wasmPackage + ")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// interopCase is one token and request given to the reference
// implementation.
type interopCase struct {
	Token     string `json:"token"`
	PublicKey string `json:"publicKey"`
	Code      string `json:"code"`
}

// interopResult is the reference implementation's answer.
type interopResult struct {
	Allowed bool   `json:"allowed"`
	Error   string `json:"error"`
}

// authorizerCode returns the datalog of the portal's authorizer for req:
// the ambient facts ambientFacts gives and the policies. Test values only
// (no user input), so printing them is safe here.
func authorizerCode(req Request) string {
	var b strings.Builder
	for _, f := range ambientFacts(req) {
		fmt.Fprintf(&b, "%s;\n", factSource(f))
	}
	b.WriteString(allowPolicy + ";\ndeny if true;\n")
	return b.String()
}

// factSource prints a fact with datalog v3 syntax.
func factSource(f biscuit.Fact) string {
	terms := make([]string, len(f.IDs))
	for i, term := range f.IDs {
		switch v := term.(type) {
		case biscuit.String:
			terms[i] = fmt.Sprintf("%q", string(v))
		case biscuit.Date:
			terms[i] = time.Time(v).UTC().Format(time.RFC3339)
		default:
			terms[i] = term.String()
		}
	}
	return f.Name + "(" + strings.Join(terms, ", ") + ")"
}

func TestInteropBiscuitWasm(t *testing.T) {
	dir := interopDir(t)
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}
	f := newFixture(t)
	ctx := context.Background()
	root, _ := f.mintPartner(t, f.partnerA)
	exp := testNow.Add(time.Hour)
	scoped, _ := f.attenuate(t, root, Restriction{
		Organisation: "org_1", Application: "app_1", Zones: []string{"par", "rbx"},
		Operations: []string{OpAppRead, OpAppDeploy}, ExpiresAt: exp, Session: "s1",
	})
	readOnly, _ := f.attenuate(t, root, Restriction{Zones: []string{}, Operations: []string{OpOrgRead, OpAppRead}})
	none, _ := f.attenuate(t, root, Restriction{Operations: []string{}})
	offline := appendOffline(t, scoped, checkOf(query([]biscuit.Predicate{pred(predOperation, biscuit.Variable("op"))},
		containsExpr([]string{OpAppRead}, "op"))))

	full := Request{Tenant: f.partnerA, Operation: OpAppRead, Organisation: "org_1", Application: "app_1", Zone: "par", Session: "s1", Time: exp}
	with := func(change func(*Request)) Request { r := full; change(&r); return r }
	requests := map[string]Request{
		"full":         full,
		"other tenant": with(func(r *Request) { r.Tenant = f.partnerB }),
		"deploy":       with(func(r *Request) { r.Operation = OpAppDeploy }),
		"write":        with(func(r *Request) { r.Operation = OpAppWrite }),
		"zone mtl":     with(func(r *Request) { r.Zone = "mtl" }),
		"no zone":      with(func(r *Request) { r.Zone = "" }),
		"org_2":        with(func(r *Request) { r.Organisation = "org_2" }),
		"app_2":        with(func(r *Request) { r.Application = "app_2" }),
		"session s2":   with(func(r *Request) { r.Session = "s2" }),
		"expired":      with(func(r *Request) { r.Time = exp.Add(time.Second) }),
		"org read":     with(func(r *Request) { r.Operation = OpOrgRead; r.Zone = "" }),
	}
	tokens := map[string]string{"partner": root, "scoped": scoped, "read-only": readOnly, "no operation": none, "offline": offline}

	var names []string
	var cases []interopCase
	var want []bool
	allowed, denied := 0, 0
	for tn, tok := range tokens {
		for rn, req := range requests {
			_, err := f.svc.Authorize(ctx, tok, req)
			if err != nil && !strings.Contains(errName(err), "ErrDenied") {
				t.Fatalf("%s / %s: got %s from Go, want allowed or denied", tn, rn, errName(err))
			}
			names = append(names, tn+" / "+rn)
			cases = append(cases, interopCase{Token: tok, PublicKey: f.keys.PublicKeyHex(), Code: authorizerCode(req)})
			want = append(want, err == nil)
			if err == nil {
				allowed++
			} else {
				denied++
			}
		}
	}
	if allowed == 0 || denied == 0 {
		t.Fatalf("got %d allowed and %d denied cases, want both kinds", allowed, denied)
	}
	// A token the portal did not sign is refused by both.
	other, err := NewKeyring(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, "wrong key")
	cases = append(cases, interopCase{Token: root, PublicKey: other.PublicKeyHex(), Code: authorizerCode(full)})
	want = append(want, false)

	input, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", "--experimental-wasm-modules", "--no-warnings", filepath.Join("testdata", "interop", "verify.mjs"))
	cmd.Env = append(os.Environ(), "GRISAILLE_BISCUIT_WASM_DIR="+abs)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n") // the package logs a line first
	var got []interopResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if len(got) != len(cases) {
		t.Fatalf("got %d results, want %d", len(got), len(cases))
	}
	for i, name := range names {
		if got[i].Allowed != want[i] {
			t.Errorf("%s: got allowed=%v from biscuit-wasm (%s), want %v as in Go", name, got[i].Allowed, got[i].Error, want[i])
		}
	}
	t.Logf("%d cases (%d allowed, %d denied in Go) agree with biscuit-wasm", len(cases), allowed, denied+1)
}
