package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

var signInBurst = flag.Int("signin", 0, "measure only this many parallel sign-ins (make bench-signin): the portal's peak RSS and the answers")

// measureSignIns starts the portal on SQLite and sends n sign-ins at once,
// twice: with the right password (each costs a password hash) and with n
// wrong ones for n accounts from one address (the throttle locks the
// address). It prints the answers and the portal's peak RSS, sampled every
// 10 ms, next to its RSS before.
func measureSignIns(bin, work, emuURL string, n int) {
	dir := filepath.Join(work, "signin")
	env := []string{"GRISAILLE_SECRET_KEY=" + randomHex(), "GRISAILLE_BISCUIT_ROOT_KEY=" + randomHex(), "GRISAILLE_LOG_LEVEL=error"}
	port := freePort()
	p := start(bin, env, "serve", "--addr", "127.0.0.1:"+port, "--data", dir, "--platform-url", emuURL,
		"--platform-token", platformToken, "--demo")
	defer p.stop()
	waitFor("http://127.0.0.1:" + port + "/healthz")
	signIn(port, "dev@acme.example") // warm
	idle, _, _ := memory(p.cmd.Process.Pid)
	fmt.Printf("%d parallel sign-ins on acme.localhost (SQLite); RSS before: %.1f MB\n", n, idle)
	for _, round := range []struct {
		name     string
		email    func(i int) string
		password string
	}{
		{"the right password", func(int) string { return "dev@acme.example" }, "grisaille-demo"},
		{"wrong passwords, one account each, one address", func(i int) string { return fmt.Sprintf("nobody%d@acme.example", i) }, "wrong password"},
	} {
		forms := make([]struct {
			form   url.Values
			cookie string
		}, n)
		for i := range forms {
			res, page := request(http.MethodGet, port, "acme.localhost", "/login", nil)
			m := csrf.FindSubmatch(page)
			if m == nil {
				fail(errors.New("no sign-in form"))
			}
			var cookies []string
			for _, c := range res.Cookies() {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			forms[i].form = url.Values{"_csrf": {string(m[1])}, "email": {round.email(i)}, "password": {round.password}}
			forms[i].cookie = strings.Join(cookies, "; ")
		}
		var peak float64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				if rss, _, _ := memory(p.cmd.Process.Pid); rss > peak {
					peak = rss
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		began := time.Now()
		for i := range forms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := request(http.MethodPost, port, "acme.localhost", "/login", strings.NewReader(forms[i].form.Encode()),
					"Content-Type", "application/x-www-form-urlencoded", "Cookie", forms[i].cookie)
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		took := time.Since(began)
		close(stop)
		<-sampled
		var answers []string
		for code, count := range statuses {
			answers = append(answers, fmt.Sprintf("%d × %d %s", count, code, http.StatusText(code)))
		}
		sort.Strings(answers)
		fmt.Printf("  %s: peak RSS %.1f MB (%.1f× the RSS before), all answered in %v: %s\n",
			round.name, peak, peak/idle, took.Round(time.Millisecond), strings.Join(answers, ", "))
	}
}
