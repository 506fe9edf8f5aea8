// Command http measures the portal over HTTP on this machine and prints the
// figures (make bench-http). It starts the platform emulator, the portal
// (on SQLite, and on PostgreSQL when GRISAILLE_TEST_POSTGRES names a
// server, one instance and two behind a loopback balancer) and a bare
// httputil.ReverseProxy that only swaps the credential, drives each with
// the same load (wrk), interleaved, several runs, and prints medians:
//
//   - an API call through the portal, next to the platform direct and to
//     the bare proxy: added p50 and kept throughput;
//   - the dashboard's two platform calls made straight to the platform:
//     the most dashboards the machine can serve while it runs the platform;
//   - the console's dashboard and pricing page: requests per second, p50
//     and p99 at 10 and 50 connections;
//   - the dashboard of a customer with 1,000 applications next to one with
//     2, and the platform's own list of those applications;
//   - the portal's RSS after 100,000 requests, and warm and idle (its own
//     memory and its binary's mapped pages).
//
// The load tool shares the machine's cores with what it measures: compare
// the ratios of one run, not absolute figures across machines.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grisaille/grisaille/migrations"
)

var (
	runs     = flag.Int("runs", 3, "interleaved runs of each measure; the median is printed")
	duration = flag.Duration("duration", 5*time.Second, "length of one load run")
	postgres = flag.String("postgres", os.Getenv("GRISAILLE_TEST_POSTGRES"), "a PostgreSQL server URL, to measure the portal on it too")
	only     = flag.String("only", "", "measure only the setups whose name contains this (SQLite, PostgreSQL, two instances)")
)

const platformToken = "bench-platform-token"

func main() {
	flag.Parse()
	if _, err := exec.LookPath("wrk"); err != nil && *signInBurst == 0 {
		fail(errors.New("wrk is not installed (apt-get install wrk)"))
	}
	work, err := os.MkdirTemp("", "grisaille-bench-")
	check(err)
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "grisaille")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	emuPort := freePort()
	emu := start(bin, nil, "emulator", "--data", filepath.Join(work, "emu"), "--emulator-addr", "127.0.0.1:"+emuPort,
		"--accounts", "bench:"+platformToken)
	defer emu.stop()
	emuURL := "http://127.0.0.1:" + emuPort
	waitFor(emuURL + "/v4/products/zones")
	if *signInBurst > 0 {
		measureSignIns(bin, work, emuURL, *signInBurst)
		return
	}

	fmt.Printf("Grisaille over HTTP: %d runs of %v each, medians (wrk on the same machine)\n", *runs, *duration)
	setups := []struct {
		name, database string
		instances      int
	}{{"SQLite", "", 1}}
	if *postgres != "" {
		setups = append(setups, struct {
			name, database string
			instances      int
		}{"PostgreSQL", newDatabase(*postgres, "bench_one"), 1}, struct {
			name, database string
			instances      int
		}{"PostgreSQL, two instances behind a balancer", newDatabase(*postgres, "bench_two"), 2})
	}
	for _, s := range setups {
		if *only != "" && !strings.Contains(s.name, *only) {
			continue
		}
		measure(bin, work, emuURL, s.name, s.database, s.instances)
	}
}

// measure starts the portal (instances of it, sharing the database) and
// prints its figures.
func measure(bin, work, emuURL, name, database string, instances int) {
	fmt.Printf("\n== %s ==\n", name)
	dir := filepath.Join(work, strings.NewReplacer(" ", "-", ",", "").Replace(name))
	env := []string{"GRISAILLE_SECRET_KEY=" + randomHex(), "GRISAILLE_BISCUIT_ROOT_KEY=" + randomHex(), "GRISAILLE_LOG_LEVEL=warn"}
	if database != "" {
		env = append(env, "GRISAILLE_DATABASE="+database)
	}
	var ports []string
	var procs []*process
	for i := range instances {
		port := freePort()
		args := []string{"serve", "--addr", "127.0.0.1:" + port, "--data", dir, "--platform-url", emuURL, "--platform-token", platformToken}
		if i == 0 {
			args = append(args, "--demo")
		}
		p := start(bin, env, args...)
		defer p.stop()
		waitFor("http://127.0.0.1:" + port + "/healthz")
		ports = append(ports, port)
		procs = append(procs, p)
	}
	portal := ports[0]
	if instances > 1 {
		portal = balance(ports)
	}
	token := strings.TrimSpace(output(bin, env, "token", "mint", "--data", dir, "--partner", "acme", "--customer", "dev@acme.example", "--label", "bench"))
	org := firstOrganisation(portal, "acme.localhost", token)
	cookie := signIn(portal, "dev@acme.example")

	// An API call: the platform direct, the bare proxy, the portal.
	bare := bareProxy(emuURL)
	appsPath := "/v2/organisations/" + org + "/applications"
	targets := []target{
		{"platform direct", "http://127.0.0.1:" + hostPort(emuURL) + appsPath, "", "Authorization: Bearer " + platformToken, ""},
		{"bare reverse proxy", "http://127.0.0.1:" + bare + appsPath, "", "Authorization: Bearer " + token, ""},
		{"portal", "http://127.0.0.1:" + portal + appsPath, "acme.localhost", "Authorization: Bearer " + token, ""},
	}
	api := interleave(targets, 10)
	direct, proxy, portalRes := api[0], api[1], api[2]
	fmt.Printf("API call (list applications, 10 connections):\n")
	for i, t := range targets {
		fmt.Printf("  %-20s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n", t.name, api[i].rps, api[i].p50, api[i].p99)
	}
	fmt.Printf("  portal adds %.2f ms p50 over direct, %.2f ms over the bare proxy; keeps %.0f%% of direct throughput, %.0f%% of the bare proxy's\n",
		portalRes.p50-direct.p50, portalRes.p50-proxy.p50, 100*portalRes.rps/direct.rps, 100*portalRes.rps/proxy.rps)

	// The console. The dashboard's two platform calls, made straight to
	// the platform by the same load, bound what the dashboard can serve
	// on this machine: the platform shares its cores.
	if instances == 1 {
		pair := interleave([]target{{"the dashboard's two calls", "http://127.0.0.1:" + hostPort(emuURL) + appsPath, "",
			"Authorization: Bearer " + platformToken, alternate(work, appsPath, "/v2/organisations/"+org+"/addons")}}, 10)[0]
		fmt.Printf("the dashboard's two platform calls, straight to the platform (10 connections): %.0f pairs/s, the most dashboards this machine can serve\n", pair.rps/2)
	}
	for _, conns := range []int{10, 50} {
		pages := interleave([]target{
			{"dashboard", "http://127.0.0.1:" + portal + "/console", "acme.localhost", "Cookie: " + cookie, ""},
			{"pricing page", "http://127.0.0.1:" + portal + "/console/pricing", "acme.localhost", "Cookie: " + cookie, ""},
		}, conns)
		for i, n := range []string{"dashboard", "pricing page"} {
			fmt.Printf("console %-13s %2d connections: %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n", n, conns, pages[i].rps, pages[i].p50, pages[i].p99)
		}
	}

	// A customer with 1,000 applications next to one with 2 (Globex's).
	if instances == 1 {
		big := signIn(portal, "dev@globex.example")
		globexToken := strings.TrimSpace(output(bin, env, "token", "mint", "--data", dir, "--partner", "globex", "--customer", "dev@globex.example", "--label", "bench"))
		globexOrg := firstOrganisation(portal, "globex.localhost", globexToken)
		before := interleave([]target{{"dashboard, few apps", "http://127.0.0.1:" + portal + "/console", "globex.localhost", "Cookie: " + big, ""}}, 10)[0]
		createApps(emuURL, globexOrg, 1000)
		after := interleave([]target{{"dashboard, 1,000 apps", "http://127.0.0.1:" + portal + "/console", "globex.localhost", "Cookie: " + big, ""}}, 10)[0]
		fmt.Printf("dashboard with 1,000 applications: p50 %.2f ms, %0.f req/s; with 2: p50 %.2f ms, %0.f req/s (%.1f× the cost)\n",
			after.p50, after.rps, before.p50, before.rps, before.rps/after.rps)
		// The platform's list has no pages: its answer for 1,000
		// applications, straight.
		list := interleave([]target{{"1,000 applications straight", "http://127.0.0.1:" + hostPort(emuURL) + "/v2/organisations/" + globexOrg + "/applications", "",
			"Authorization: Bearer " + platformToken, ""}}, 10)[0]
		fmt.Printf("  the platform's list of those 1,000 applications, straight to it: p50 %.2f ms, %.0f req/s\n", list.p50, list.rps)
	}

	// Memory: right after a burst of requests, then warm and idle (the
	// portal hands memory back after 30 s without a request).
	total := 0
	for total < 100_000 {
		r := load(target{"dashboard", "http://127.0.0.1:" + ports[0] + "/console", "acme.localhost", "Cookie: " + cookie, ""}, 10)
		total += r.requests
	}
	busy, _, _ := memory(procs[0].cmd.Process.Pid)
	time.Sleep(45 * time.Second)
	idle, anon, file := memory(procs[0].cmd.Process.Pid)
	fmt.Printf("RSS of an instance: %.1f MB right after %d more requests, %.1f MB warm and idle (45 s later): %.1f MB its own, %.1f MB its binary's mapped pages\n",
		busy, total, idle, anon, file)
}

// target is one URL to load, with its Host and a header; script, when
// set, is a wrk Lua script that chooses each request's path.
type target struct {
	name, url, host, header string
	script                  string
}

// result is what one load run measured.
type result struct {
	rps, p50, p99 float64
	requests      int
}

// interleave loads each target in turn, runs times, and returns each one's
// medians.
func interleave(targets []target, conns int) []result {
	all := make([][]result, len(targets))
	for range *runs {
		for i, t := range targets {
			all[i] = append(all[i], load(t, conns))
		}
	}
	out := make([]result, len(targets))
	for i, rs := range all {
		out[i] = result{rps: median(rs, func(r result) float64 { return r.rps }), p50: median(rs, func(r result) float64 { return r.p50 }),
			p99: median(rs, func(r result) float64 { return r.p99 })}
	}
	return out
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, 0, len(rs))
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	return v[len(v)/2]
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)`)
	wrkErrors   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// load runs wrk on a target for the run duration.
func load(t target, conns int) result {
	args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + duration.String(), "--latency", "-H", t.header}
	if t.host != "" {
		args = append(args, "-H", "Host: "+t.host)
	}
	if t.script != "" {
		args = append(args, "-s", t.script)
	}
	out, err := exec.Command("wrk", append(args, t.url)...).CombinedOutput()
	if err != nil {
		fail(fmt.Errorf("wrk %s: %v\n%s", t.name, err, out))
	}
	if m := wrkErrors.FindSubmatch(out); m != nil {
		fail(fmt.Errorf("wrk %s: %s answers were errors\n%s", t.name, m[1], out))
	}
	var r result
	if m := wrkRPS.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := wrkRequests.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	for _, m := range wrkLatency.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		switch string(m[3]) {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if string(m[1]) == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	return r
}

// process is a started grisaille command.
type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func start(bin string, env []string, args ...string) *process {
	p := &process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	check(p.cmd.Start())
	return p
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

func output(bin string, env []string, args ...string) string {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		fail(fmt.Errorf("grisaille %s: %v", strings.Join(args, " "), err))
	}
	return string(out)
}

func waitFor(u string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode < 500 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	fail(fmt.Errorf("%s does not answer", u))
}

// bareProxy is the reference: a reverse proxy that swaps the customer's
// credential for the platform's and does nothing else.
func bareProxy(platform string) string {
	u, err := url.Parse(platform)
	check(err)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Header.Set("Authorization", "Bearer "+platformToken)
	}}
	return serve(rp)
}

// balance is a round-robin loopback balancer in front of ports.
func balance(ports []string) string {
	var next atomic.Uint64
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(&url.URL{Scheme: "http", Host: "127.0.0.1:" + ports[next.Add(1)%uint64(len(ports))]})
		r.Out.Host = r.In.Host
	}, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	return serve(rp)
}

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return hostPort("http://" + ln.Addr().String())
}

func hostPort(u string) string {
	pu, err := url.Parse(u)
	check(err)
	return pu.Port()
}

// request sends one request to the portal on port for host.
func request(method, port, host, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	req, err := http.NewRequest(method, "http://127.0.0.1:"+port+path, body)
	check(err)
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	check(err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func firstOrganisation(port, host, token string) string {
	_, body := request(http.MethodGet, port, host, "/v2/organisations", nil, "Authorization", "Bearer "+token)
	var orgs []struct{ ID string }
	check(json.Unmarshal(body, &orgs))
	if len(orgs) == 0 {
		fail(errors.New("the customer token sees no organisation"))
	}
	return orgs[0].ID
}

var csrf = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in as a demo user and returns the cookies to send.
func signIn(port, email string) string {
	host := strings.SplitN(email, "@", 2)[1]
	host = strings.TrimSuffix(host, ".example") + ".localhost"
	res, page := request(http.MethodGet, port, host, "/login", nil)
	m := csrf.FindSubmatch(page)
	if m == nil {
		fail(errors.New("no sign-in form"))
	}
	var cookies []string
	for _, c := range res.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	form := url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {"grisaille-demo"}}
	res, _ = request(http.MethodPost, port, host, "/login", strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", strings.Join(cookies, "; "))
	for _, c := range res.Cookies() {
		if c.Name == "session" {
			return "session=" + c.Value
		}
	}
	fail(fmt.Errorf("sign in as %s: %d", email, res.StatusCode))
	return ""
}

// createApps creates node applications straight on the platform.
func createApps(platform, org string, n int) {
	res, err := http.Get(platform + "/v2/products/instances")
	check(err)
	var instances []struct {
		Type, Version string
		Variant       struct{ ID, Slug string }
	}
	check(json.NewDecoder(res.Body).Decode(&instances))
	res.Body.Close()
	i := slices.IndexFunc(instances, func(in struct {
		Type, Version string
		Variant       struct{ ID, Slug string }
	}) bool {
		return in.Variant.Slug == "node"
	})
	if i < 0 {
		fail(errors.New("the platform has no node runtime"))
	}
	node := instances[i]
	for i := range n {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("bench-%d", i), "zone": "par", "deploy": "git",
			"instanceType": node.Type, "instanceVersion": node.Version, "instanceVariant": node.Variant.ID,
			"minInstances": 1, "maxInstances": 1, "minFlavor": "XS", "maxFlavor": "XS"})
		req, _ := http.NewRequest(http.MethodPost, platform+"/v2/organisations/"+org+"/applications", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+platformToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		check(err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			fail(fmt.Errorf("create application %d: %d", i, res.StatusCode))
		}
	}
}

// alternate writes a wrk script that requests the paths in turn.
func alternate(dir string, paths ...string) string {
	var quoted []string
	for _, p := range paths {
		quoted = append(quoted, strconv.Quote(p))
	}
	script := filepath.Join(dir, fmt.Sprintf("alternate-%d.lua", len(paths)))
	check(os.WriteFile(script, []byte(`local paths = {`+strings.Join(quoted, ", ")+`}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i % #paths) + 1])
end
`), 0o644))
	return script
}

// memory is a process's resident memory in MB: all of it, its own
// (anonymous) and the mapped files' (its binary).
func memory(pid int) (total, anon, file float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		for key, dst := range map[string]*float64{"VmRSS:": &total, "RssAnon:": &anon, "RssFile:": &file} {
			if kb, ok := strings.CutPrefix(s.Text(), key); ok {
				v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 64)
				*dst = v / 1024
			}
		}
	}
	return total, anon, file
}

// newDatabase creates a fresh database on the server and returns its URL.
func newDatabase(server, name string) string {
	u, err := url.Parse(server)
	check(err)
	name += "_" + randomHex()[:8]
	db, err := migrations.Open(context.Background(), server)
	check(err)
	defer db.Close()
	_, err = db.Exec("CREATE DATABASE " + name)
	check(err)
	u.Path = "/" + name
	return u.String()
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return hostPort("http://" + ln.Addr().String())
}

func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-http:", err)
	os.Exit(1)
}
