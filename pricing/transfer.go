package pricing

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// csvHeader is the first line of a grid's CSV file.
var csvHeader = []string{"family", "product", "zone", "kind", "percent", "price", "tiers", "loss_leader"}

// maxImport bounds the size of an imported file.
const maxImport = 4 << 20

// LineError is a refused import: the 1-based line of the file (the CSV
// header is line 1), the field concerned ("" for the whole line) and an i18n
// message id ("grid.import.header", "grid.import.syntax",
// "grid.import.decimal", "grid.import.bool", "grid.rule.kind", …).
type LineError struct {
	Line      int
	Field     string
	MessageID string
}

// Error describes the refusal for logs.
func (e *LineError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("pricing: import: line %d: %s: %s", e.Line, e.Field, e.MessageID)
	}
	return fmt.Sprintf("pricing: import: line %d: %s", e.Line, e.MessageID)
}

// ExportCSV writes a grid's rules as CSV: the header line, then one line per
// rule with the columns of csvHeader. percent is set for markups only, price
// for fixed prices only and tiers ("upto:price|upto:price|:price") for tiers
// only.
func ExportCSV(w io.Writer, g Grid) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("pricing: export csv: %w", err)
	}
	for _, r := range g.Rules {
		var percent, price, tiers string
		switch r.Kind {
		case RuleMarkup:
			percent = r.Percent.String()
		case RuleFixed:
			price = r.Price.String()
		case RuleTiers:
			tiers = FormatTiers(r.Tiers)
		}
		if err := cw.Write([]string{r.Family, r.Product, r.Zone, r.Kind, percent, price, tiers, strconv.FormatBool(r.LossLeader)}); err != nil {
			return fmt.Errorf("pricing: export csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("pricing: export csv: %w", err)
	}
	return nil
}

// ImportCSV reads rules written by ExportCSV into a Grid holding only its
// Rules; the caller sets the rest. A bad file is refused with a *LineError
// naming the first bad line. Rules are checked on their own and for ties
// here; checks against the catalogue happen when the grid is saved (rule i
// is then on line i+2).
func ImportCSV(r io.Reader) (Grid, error) {
	cr := csv.NewReader(io.LimitReader(r, maxImport))
	cr.FieldsPerRecord = len(csvHeader)
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return Grid{}, &LineError{Line: 1, MessageID: "grid.import.header"}
	}
	for i, h := range head {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) != csvHeader[i] {
			return Grid{}, &LineError{Line: 1, Field: csvHeader[i], MessageID: "grid.import.header"}
		}
	}
	g := Grid{Rules: []Rule{}}
	scopes := map[scopeKey]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Grid{}, &LineError{Line: pe.Line, MessageID: "grid.import.syntax"}
			}
			return Grid{}, fmt.Errorf("pricing: import csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		rule, field, id := parseCSVRule(rec)
		if id != "" {
			return Grid{}, &LineError{Line: line, Field: field, MessageID: id}
		}
		if err := checkImported(len(g.Rules), rule, scopes); err != nil {
			return Grid{}, &LineError{Line: line, Field: err.field, MessageID: err.id}
		}
		g.Rules = append(g.Rules, rule)
	}
	return g, nil
}

// parseCSVRule reads one CSV record; on failure it returns the field and
// message id.
func parseCSVRule(rec []string) (Rule, string, string) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	r := Rule{Family: rec[0], Product: rec[1], Zone: rec[2], Kind: strings.ToLower(rec[3])}
	var err error
	if rec[4] != "" {
		if r.Percent, err = decimal.NewFromString(rec[4]); err != nil {
			return r, "percent", "grid.import.decimal"
		}
	}
	if rec[5] != "" {
		if r.Price, err = decimal.NewFromString(rec[5]); err != nil {
			return r, "price", "grid.import.decimal"
		}
	}
	if r.Tiers, err = ParseTiers(rec[6]); err != nil {
		return r, "tiers", "grid.rule.tiers"
	}
	if rec[7] != "" {
		if r.LossLeader, err = strconv.ParseBool(rec[7]); err != nil {
			return r, "loss_leader", "grid.import.bool"
		}
	}
	return r, "", ""
}

// importProblem is a field and message id found by checkImported.
type importProblem struct{ field, id string }

// checkImported checks an imported rule on its own and against the scopes
// of the rules before it.
func checkImported(i int, r Rule, scopes map[scopeKey]bool) *importProblem {
	if err := validateShape(i, normalize(Grid{Rules: []Rule{r}}).Rules[0]); err != nil {
		var re *RuleError
		errors.As(err, &re)
		field := map[string]string{"grid.rule.kind": "kind", "grid.rule.percent_range": "percent",
			"grid.rule.price": "price", "grid.rule.tiers": "tiers"}[re.MessageID]
		return &importProblem{field, re.MessageID}
	}
	k := scopeOf(normalize(Grid{Rules: []Rule{r}}).Rules[0])
	if scopes[k] {
		return &importProblem{"", "grid.rule.tie"}
	}
	scopes[k] = true
	return nil
}

// gridJSON is a grid's JSON form.
type gridJSON struct {
	Name       string     `json:"name"`
	CustomerID string     `json:"customer_id,omitempty"`
	Currency   string     `json:"currency"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidTo    *time.Time `json:"valid_to"`
	Rules      []ruleJSON `json:"rules"`
}

// ruleJSON is a rule's JSON form; decimals are strings.
type ruleJSON struct {
	ID         string           `json:"id,omitempty"`
	Family     string           `json:"family,omitempty"`
	Product    string           `json:"product,omitempty"`
	Zone       string           `json:"zone,omitempty"`
	Kind       string           `json:"kind"`
	Percent    *decimal.Decimal `json:"percent,omitempty"`
	Price      *decimal.Decimal `json:"price,omitempty"`
	Tiers      []tierJSON       `json:"tiers,omitempty"`
	LossLeader bool             `json:"loss_leader"`
}

// tierJSON is a tier's JSON form; up_to null is unbounded.
type tierJSON struct {
	UpTo  *decimal.Decimal `json:"up_to"`
	Price decimal.Decimal  `json:"price"`
}

// ExportJSON writes a grid (name, customer, currency, dates and rules; not
// its id, partner or version) as indented JSON.
func ExportJSON(w io.Writer, g Grid) error {
	out := gridJSON{Name: g.Name, CustomerID: g.CustomerID, Currency: g.Currency, ValidFrom: g.ValidFrom,
		ValidTo: g.ValidTo, Rules: make([]ruleJSON, 0, len(g.Rules))}
	for _, r := range g.Rules {
		rj := ruleJSON{ID: r.ID, Family: r.Family, Product: r.Product, Zone: r.Zone, Kind: r.Kind, LossLeader: r.LossLeader}
		switch r.Kind {
		case RuleMarkup:
			rj.Percent = &r.Percent
		case RuleFixed:
			rj.Price = &r.Price
		case RuleTiers:
			for _, t := range r.Tiers {
				rj.Tiers = append(rj.Tiers, tierJSON{UpTo: t.UpTo, Price: t.Price})
			}
		}
		out.Rules = append(out.Rules, rj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("pricing: export json: %w", err)
	}
	return nil
}

// ImportJSON reads a grid written by ExportJSON. A bad file is refused with
// a *LineError naming the line of the fault or of the bad rule, and the
// field ("rules[2].kind").
func ImportJSON(r io.Reader) (Grid, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxImport))
	if err != nil {
		return Grid{}, fmt.Errorf("pricing: import json: %w", err)
	}
	var gj gridJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gj); err != nil {
		return Grid{}, jsonLineError(data, dec, err)
	}
	g := Grid{Name: gj.Name, CustomerID: gj.CustomerID, Currency: gj.Currency, ValidFrom: gj.ValidFrom.UTC(), Rules: []Rule{}}
	if gj.ValidTo != nil {
		t := gj.ValidTo.UTC()
		g.ValidTo = &t
	}
	lines := ruleLines(data)
	scopes := map[scopeKey]bool{}
	for i, rj := range gj.Rules {
		rule := Rule{ID: rj.ID, Family: rj.Family, Product: rj.Product, Zone: rj.Zone, Kind: rj.Kind, LossLeader: rj.LossLeader}
		if rj.Percent != nil {
			rule.Percent = *rj.Percent
		}
		if rj.Price != nil {
			rule.Price = *rj.Price
		}
		for _, t := range rj.Tiers {
			rule.Tiers = append(rule.Tiers, Tier{UpTo: t.UpTo, Price: t.Price})
		}
		if p := checkImported(i, rule, scopes); p != nil {
			line := 0
			if i < len(lines) {
				line = lines[i]
			}
			field := fmt.Sprintf("rules[%d]", i)
			if p.field != "" {
				field += "." + p.field
			}
			return Grid{}, &LineError{Line: line, Field: field, MessageID: p.id}
		}
		g.Rules = append(g.Rules, rule)
	}
	return g, nil
}

// jsonLineError converts a decoding error into a *LineError at the line of
// its offset.
func jsonLineError(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &LineError{Line: lineAt(data, se.Offset), MessageID: "grid.import.syntax"}
	case errors.As(err, &te):
		return &LineError{Line: lineAt(data, te.Offset), Field: te.Field, MessageID: "grid.import.syntax"}
	default:
		// unknown fields and bad decimals carry no offset: the decoder has
		// read up to the fault
		return &LineError{Line: lineAt(data, dec.InputOffset()), MessageID: "grid.import.syntax"}
	}
}

// ruleLines returns the line on which each element of the top-level "rules"
// array starts, or nil when the data cannot be walked.
func ruleLines(data []byte) []int {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "rules" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		var lines []int
		for dec.More() {
			// InputOffset is the end of the previous token: skip the
			// separator and spaces to the element's first byte
			off := dec.InputOffset()
			for off < int64(len(data)) && strings.ContainsRune(", \t\r\n", rune(data[off])) {
				off++
			}
			lines = append(lines, lineAt(data, off))
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return lines
			}
		}
		return lines
	}
	return nil
}

// lineAt returns the 1-based line holding byte offset off of data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
