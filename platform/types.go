// Package platform is the only code that talks to the platform API: its types
// mirror the JSON the platform answers (see docs/platform-api.md), its Client
// speaks HTTP to it, and its emulator (package platform/emulator) serves the
// same API for development and tests.
package platform

import "encoding/json"

// Zone is a deployment zone, as GET /v4/products/zones answers it.
type Zone struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Country     string   `json:"country"`
	CountryCode string   `json:"countryCode"`
	City        string   `json:"city"`
	DisplayName string   `json:"displayName,omitempty"`
	Lat         float64  `json:"lat"`
	Lon         float64  `json:"lon"`
	OutboundIPs []string `json:"outboundIPs"`
	Status      string   `json:"status"`
	Tags        []string `json:"tags"`
}

// Memory is a flavor's memory size.
type Memory struct {
	Unit      string `json:"unit"`
	Value     int64  `json:"value"`
	Formatted string `json:"formatted"`
}

// Flavor is an instance size. Price is a legacy figure with no documented
// unit: the price system is the source of truth for prices, so it is kept as
// raw JSON and never used for money.
type Flavor struct {
	Name            string      `json:"name"`
	Mem             int         `json:"mem"`
	CPUs            int         `json:"cpus"`
	GPUs            int         `json:"gpus"`
	Disk            *int        `json:"disk"`
	Price           json.Number `json:"price"`
	Available       bool        `json:"available"`
	Microservice    bool        `json:"microservice"`
	MachineLearning bool        `json:"machine_learning"`
	Nice            int         `json:"nice"`
	PriceID         string      `json:"price_id"`
	Memory          Memory      `json:"memory"`
}

// Variant names one runtime flavour of an instance type (node, python, …).
type Variant struct {
	ID         string `json:"id"`
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	DeployType string `json:"deployType"`
	Logo       string `json:"logo"`
}

// Instance is a runtime, as GET /v2/products/instances answers it.
type Instance struct {
	Type          string   `json:"type"`
	Version       string   `json:"version"`
	Name          string   `json:"name"`
	Variant       Variant  `json:"variant"`
	Description   string   `json:"description"`
	Enabled       bool     `json:"enabled"`
	ComingSoon    bool     `json:"comingSoon"`
	MaxInstances  int      `json:"maxInstances"`
	Tags          []string `json:"tags"`
	Deployments   []string `json:"deployments"`
	Flavors       []Flavor `json:"flavors"`
	DefaultFlavor Flavor   `json:"defaultFlavor"`
	BuildFlavor   Flavor   `json:"buildFlavor"`
}

// Flavor returns the instance's flavor of that name.
func (i Instance) Flavor(name string) (Flavor, bool) {
	for _, f := range i.Flavors {
		if f.Name == name {
			return f, true
		}
	}
	return Flavor{}, false
}

// Plan is an add-on provider's plan.
type Plan struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Slug     string          `json:"slug"`
	Price    json.Number     `json:"price"`
	PriceID  string          `json:"price_id"`
	Features json.RawMessage `json:"features"`
	Zones    []string        `json:"zones"`
}

// AddonProvider is an add-on kind, as GET /v2/products/addonproviders answers it.
type AddonProvider struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	ShortDesc  string   `json:"shortDesc"`
	LogoURL    string   `json:"logoUrl"`
	Status     string   `json:"status"`
	CanUpgrade bool     `json:"canUpgrade"`
	Regions    []string `json:"regions"`
	Plans      []Plan   `json:"plans"`
}

// Plan returns the provider's plan whose slug or id is key.
func (p AddonProvider) Plan(key string) (Plan, bool) {
	for _, pl := range p.Plans {
		if pl.Slug == key || pl.ID == key {
			return pl, true
		}
	}
	return Plan{}, false
}

// PriceSystem is the platform's price list for one zone and currency. Prices
// are kept as json.Number so that they can be parsed into exact decimals.
type PriceSystem struct {
	ZoneID    string            `json:"zone_id"`
	Currency  string            `json:"currency"`
	Runtime   []RuntimePrice    `json:"runtime"`
	Countable []json.RawMessage `json:"countable"`
}

// RuntimePrice is one hourly price of the price system.
type RuntimePrice struct {
	RuntimePolicyID string      `json:"runtime_policy_id"`
	Source          string      `json:"source"`
	Flavor          string      `json:"flavor"`
	TimeUnit        string      `json:"time_unit"`
	Price           json.Number `json:"price"`
	SlugID          string      `json:"slug_id"`
}

// Self is the authenticated caller (GET /v2/self).
type Self struct {
	ID                string `json:"id"`
	Email             string `json:"email"`
	Name              string `json:"name"`
	Lang              string `json:"lang"`
	PartnerID         string `json:"partnerId,omitempty"`
	PartnerName       string `json:"partnerName,omitempty"`
	PartnerConsoleURL string `json:"partnerConsoleUrl,omitempty"`
}

// Summary is GET /v2/summary.
type Summary struct {
	User          Self                  `json:"user"`
	Organisations []OrganisationSummary `json:"organisations"`
}

// OrganisationSummary is one organisation of a summary.
type OrganisationSummary struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Role         string        `json:"role"`
	Applications []Application `json:"applications"`
	Addons       []Addon       `json:"addons"`
}

// Organisation is a platform organisation (ids look like orga_<uuid>). The
// same shape is sent to create or update one.
type Organisation struct {
	ID               string `json:"id,omitempty"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	Address          string `json:"address"`
	City             string `json:"city"`
	Zipcode          string `json:"zipcode"`
	Country          string `json:"country"`
	Company          string `json:"company"`
	CustomerFullName string `json:"customerFullName"`
	VAT              string `json:"VAT"`
	BillingEmail     string `json:"billingEmail"`
}

// Application states.
const (
	StateShouldBeUp   = "SHOULD_BE_UP"
	StateShouldBeDown = "SHOULD_BE_DOWN"
	StateWantsToBeUp  = "WANTS_TO_BE_UP"
)

// ApplicationCreate is the body of POST /v2/organisations/{o}/applications.
type ApplicationCreate struct {
	Name            string            `json:"name"`
	Description     string            `json:"description"`
	Zone            string            `json:"zone"`
	Deploy          string            `json:"deploy"`
	InstanceType    string            `json:"instanceType"`
	InstanceVersion string            `json:"instanceVersion"`
	InstanceVariant string            `json:"instanceVariant"`
	MinInstances    int               `json:"minInstances"`
	MaxInstances    int               `json:"maxInstances"`
	MinFlavor       string            `json:"minFlavor"`
	MaxFlavor       string            `json:"maxFlavor"`
	BuildFlavor     string            `json:"buildFlavor,omitempty"`
	SeparateBuild   bool              `json:"separateBuild"`
	StickySessions  bool              `json:"stickySessions"`
	ForceHTTPS      string            `json:"forceHttps,omitempty"`
	Tags            []string          `json:"tags"`
	Env             map[string]string `json:"env,omitempty"`
}

// ApplicationUpdate is the body of PUT /v2/organisations/{o}/applications/{a}:
// only the fields set are changed.
type ApplicationUpdate struct {
	Name         *string `json:"name,omitempty"`
	Description  *string `json:"description,omitempty"`
	MinInstances *int    `json:"minInstances,omitempty"`
	MaxInstances *int    `json:"maxInstances,omitempty"`
	MinFlavor    *string `json:"minFlavor,omitempty"`
	MaxFlavor    *string `json:"maxFlavor,omitempty"`
	// BuildFlavor and SeparateBuild set the size builds run on, apart
	// from the instances when SeparateBuild is true.
	BuildFlavor   *string `json:"buildFlavor,omitempty"`
	SeparateBuild *bool   `json:"separateBuild,omitempty"`
}

// AppInstance is an application's runtime and scaling.
type AppInstance struct {
	Type         string  `json:"type"`
	Version      string  `json:"version"`
	Variant      Variant `json:"variant"`
	MinInstances int     `json:"minInstances"`
	MaxInstances int     `json:"maxInstances"`
	MinFlavor    Flavor  `json:"minFlavor"`
	MaxFlavor    Flavor  `json:"maxFlavor"`
	// Lifetime is REGULAR for an application (TASK for a task).
	Lifetime string `json:"lifetime"`
}

// AppDeployment says how code reaches an application.
type AppDeployment struct {
	Type    string `json:"type"`
	URL     string `json:"url"`
	HTTPURL string `json:"httpUrl"`
}

// Vhost is one domain name of an application.
type Vhost struct {
	FQDN string `json:"fqdn"`
}

// Application is a platform application (ids look like app_<uuid>).
type Application struct {
	ID           string        `json:"id"`
	OwnerID      string        `json:"ownerId"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Zone         string        `json:"zone"`
	ZoneID       string        `json:"zoneId"`
	Instance     AppInstance   `json:"instance"`
	Deployment   AppDeployment `json:"deployment"`
	Vhosts       []Vhost       `json:"vhosts"`
	State        string        `json:"state"`
	Env          []EnvVar      `json:"env"`
	Tags         []string      `json:"tags"`
	CreationDate int64         `json:"creationDate"`
	// CommitID is the commit last deployed, "" before the first push.
	CommitID      string `json:"commitId,omitempty"`
	BuildFlavor   Flavor `json:"buildFlavor"`
	SeparateBuild bool   `json:"separateBuild"`
}

// Instance states, as GET …/applications/{a}/instances answers them.
const (
	InstanceUp        = "UP"
	InstanceDeploying = "DEPLOYING"
)

// AppInstanceRun is one running instance of an application.
type AppInstanceRun struct {
	ID             string `json:"id"`
	AppID          string `json:"appId"`
	IP             string `json:"ip"`
	AppPort        int    `json:"appPort"`
	State          string `json:"state"`
	Flavor         Flavor `json:"flavor"`
	Commit         string `json:"commit"`
	DeployNumber   int64  `json:"deployNumber"`
	DeployID       string `json:"deployId"`
	InstanceNumber int    `json:"instanceNumber"`
	DisplayName    string `json:"displayName"`
	CreationDate   int64  `json:"creationDate"`
}

// AddonEnv is the environment one linked add-on gives an application.
type AddonEnv struct {
	AddonID   string   `json:"addon_id"`
	AddonName string   `json:"addon_name"`
	Env       []EnvVar `json:"env"`
}

// DependencyEnv is the exposed environment of one application another
// depends on.
type DependencyEnv struct {
	AppID   string   `json:"app_id"`
	AppName string   `json:"app_name"`
	Env     []EnvVar `json:"env"`
}

// EnvVar is one environment variable of an application.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Deployment states.
const (
	DeploymentWIP       = "WIP"
	DeploymentOK        = "OK"
	DeploymentFail      = "FAIL"
	DeploymentCancelled = "CANCELLED"
)

// Deployment is one deployment of an application.
type Deployment struct {
	UUID   string `json:"uuid"`
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Action string `json:"action"`
	Commit string `json:"commit"`
	Cause  string `json:"cause"`
	Date   int64  `json:"date"`
}

// AddonCreate is the body of POST /v2/organisations/{o}/addons.
type AddonCreate struct {
	Name       string            `json:"name"`
	ProviderID string            `json:"providerId"`
	Plan       string            `json:"plan"`
	Region     string            `json:"region"`
	Options    map[string]string `json:"options"`
}

// AddonProviderRef is the provider as an add-on carries it.
type AddonProviderRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ShortDesc string `json:"shortDesc"`
	LogoURL   string `json:"logoUrl"`
}

// AddonPlanRef is the plan as an add-on carries it.
type AddonPlanRef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Slug    string `json:"slug"`
	PriceID string `json:"price_id"`
}

// Addon is a platform add-on (ids look like addon_<uuid>).
type Addon struct {
	ID           string           `json:"id"`
	RealID       string           `json:"realId"`
	Name         string           `json:"name"`
	Region       string           `json:"region"`
	ZoneID       string           `json:"zoneId"`
	Provider     AddonProviderRef `json:"provider"`
	Plan         AddonPlanRef     `json:"plan"`
	CreationDate int64            `json:"creationDate"`
}

// Consumption is one usage line for invoicing.
type Consumption struct {
	OwnerID      string      `json:"ownerId"`
	ResourceID   string      `json:"resourceId"`
	ResourceType string      `json:"resourceType"`
	Zone         string      `json:"zone"`
	SlugID       string      `json:"slugId"`
	Quantity     json.Number `json:"quantity"`
	Unit         string      `json:"unit"`
	From         string      `json:"from"`
	To           string      `json:"to"`
}

// APIError is the platform's error body: {id, message, type:"error"}.
// ErrorNoFavouriteVhost is the platform's error id of an application
// without a favourite vhost (a 404 its CLI tests for).
const ErrorNoFavouriteVhost = 4021

type APIError struct {
	ID      int    `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type"`
}
