package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/grisaille/grisaille/platform"
)

// catalogueFiles are the reference catalogue answers, copied from the real
// platform's public API (zone par for the price system).
//
//go:embed catalogue/*.json
var catalogueFiles embed.FS

// catalogue is the parsed, read-only product catalogue.
type catalogue struct {
	zonesRaw     []byte
	zoneRaw      map[string]json.RawMessage // by zone name
	instancesRaw []byte
	providersRaw []byte
	priceRaw     map[string]map[string]json.RawMessage // by currency: the price system's fields

	zones     map[string]platform.Zone // by name
	instances []platform.Instance
	providers map[string]platform.AddonProvider // by id
}

// loadCatalogue parses the embedded catalogue files.
func loadCatalogue() (*catalogue, error) {
	c := &catalogue{
		zoneRaw:   map[string]json.RawMessage{},
		priceRaw:  map[string]map[string]json.RawMessage{},
		zones:     map[string]platform.Zone{},
		providers: map[string]platform.AddonProvider{},
	}
	read := func(name string, out any) ([]byte, error) {
		b, err := catalogueFiles.ReadFile("catalogue/" + name)
		if err != nil {
			return nil, fmt.Errorf("emulator: catalogue: %w", err)
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(out); err != nil {
			return nil, fmt.Errorf("emulator: catalogue %s: %w", name, err)
		}
		return b, nil
	}
	var zones []platform.Zone
	var err error
	if c.zonesRaw, err = read("zones.json", &zones); err != nil {
		return nil, err
	}
	var rawZones []json.RawMessage
	if _, err = read("zones.json", &rawZones); err != nil {
		return nil, err
	}
	for i, z := range zones {
		c.zones[z.Name] = z
		c.zoneRaw[z.Name] = rawZones[i]
	}
	if c.instancesRaw, err = read("instances.json", &c.instances); err != nil {
		return nil, err
	}
	var providers []platform.AddonProvider
	if c.providersRaw, err = read("addonproviders.json", &providers); err != nil {
		return nil, err
	}
	for _, p := range providers {
		c.providers[p.ID] = p
	}
	for _, cur := range []string{"EUR", "USD"} {
		m := map[string]json.RawMessage{}
		if _, err = read("price-system-par-"+cur+".json", &m); err != nil {
			return nil, err
		}
		c.priceRaw[cur] = m
	}
	return c, nil
}

// instance finds the runtime of type typ whose variant is variant (its slug
// or its id) and, when version is not empty, of that version. An empty
// variant means the type's own variant (slug equal to the type), else its
// first one.
func (c *catalogue) instance(typ, version, variant string) (platform.Instance, bool) {
	if variant == "" {
		if in, ok := c.instance(typ, version, typ); ok {
			return in, true
		}
	}
	for _, in := range c.instances {
		if in.Type != typ || (version != "" && in.Version != version) {
			continue
		}
		if variant == "" || in.Variant.Slug == variant || in.Variant.ID == variant {
			return in, true
		}
	}
	return platform.Instance{}, false
}

// instanceByVariantID finds the runtime of a stored application.
func (c *catalogue) instanceByVariantID(typ, version, variantID string) platform.Instance {
	in, ok := c.instance(typ, version, variantID)
	if !ok {
		in = platform.Instance{Type: typ, Version: version, Variant: platform.Variant{ID: variantID}}
	}
	return in
}

// flavor returns the flavor of that name, or a stub carrying only the name
// when the catalogue no longer has it.
func flavorOf(in platform.Instance, name string) platform.Flavor {
	if f, ok := in.Flavor(name); ok {
		return f
	}
	return platform.Flavor{Name: name}
}

// zoneID returns the id of the zone called name, or name itself.
func (c *catalogue) zoneID(name string) string {
	if z, ok := c.zones[name]; ok {
		return z.ID
	}
	return name
}

// zoneByNameOrID finds a zone by name or id.
func (c *catalogue) zoneByNameOrID(key string) (platform.Zone, bool) {
	if z, ok := c.zones[key]; ok {
		return z, true
	}
	for _, z := range c.zones {
		if z.ID == key {
			return z, true
		}
	}
	return platform.Zone{}, false
}

// handleZones serves GET /v4/products/zones.
func (e *Emulator) handleZones(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, e.cat.zonesRaw)
}

// handleZone serves GET /v4/products/zones/{name}.
func (e *Emulator) handleZone(w http.ResponseWriter, r *http.Request) {
	raw, ok := e.cat.zoneRaw[r.PathValue("name")]
	if !ok {
		writeError(w, http.StatusNotFound, "zone not found")
		return
	}
	writeRaw(w, http.StatusOK, raw)
}

// handleInstances serves GET /v2/products/instances.
func (e *Emulator) handleInstances(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, e.cat.instancesRaw)
}

// handleProviders serves GET /v2/products/addonproviders.
func (e *Emulator) handleProviders(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusOK, e.cat.providersRaw)
}

// handlePriceSystem serves GET /v4/billing/price-system?zone_id=Z&currency=C.
// The reference prices are zone par's; every known zone gets the same ones.
// A missing parameter or an unsupported currency is a 400, an unknown zone a
// 404.
func (e *Emulator) handlePriceSystem(w http.ResponseWriter, r *http.Request) {
	zoneKey, cur := r.URL.Query().Get("zone_id"), strings.ToUpper(r.URL.Query().Get("currency"))
	if zoneKey == "" || cur == "" {
		writeError(w, http.StatusBadRequest, "zone_id and currency are required")
		return
	}
	if _, ok := e.cat.zoneByNameOrID(zoneKey); !ok {
		writeError(w, http.StatusNotFound, "zone not found")
		return
	}
	base, ok := e.cat.priceRaw[cur]
	if !ok {
		writeError(w, http.StatusBadRequest, "unsupported currency (want EUR or USD)")
		return
	}
	out := make(map[string]json.RawMessage, len(base))
	for k, v := range base {
		out[k] = v
	}
	out["zone_id"], _ = json.Marshal(zoneKey)
	out["currency"], _ = json.Marshal(cur)
	writeJSON(w, http.StatusOK, out)
}
