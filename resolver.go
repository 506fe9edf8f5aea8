package main

import (
	"context"
	"net"
	"time"
)

// newResolver returns the resolver the domain checks ask: the system's, or
// a Go resolver asking only addr (a test's DNS server, an operator's own).
func newResolver(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}
