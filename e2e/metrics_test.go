package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsAddress runs the portal with --metrics-addr: the metrics answer
// there, with the platform calls the demo made, and not on a partner's host.
func TestMetricsAddress(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	p := startPortal(t, "--metrics-addr", addr)
	var res *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err = http.Get("http://" + addr + "/metrics"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `grisaille_platform_calls_total{endpoint="create application",outcome="ok"}`) ||
		!strings.Contains(string(body), "go_sql_open_connections") {
		t.Errorf("metrics: %d, without the demo's platform calls or the database pool:\n%.2000s", res.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+p.Port+"/metrics", nil)
	req.Host = "acme.localhost"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("Acme's host answers /metrics with %d, want 404", res.StatusCode)
	}
}
