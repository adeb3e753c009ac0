package vision

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// handlerTransport serves a client's requests in memory with a handler per
// host ("HOST:PORT"), so that tests of hostile servers need no network and
// run in synctest bubbles. A request to a host without a handler fails as a
// refused connection would.
type handlerTransport struct {
	mu       sync.Mutex
	hosts    map[string]http.Handler
	inFlight int
	maxIn    int      // the most requests in flight at once
	seen     []string // "METHOD URL" of every request, in order
}

func newHandlerTransport() *handlerTransport {
	return &handlerTransport{hosts: make(map[string]http.Handler)}
}

func (ht *handlerTransport) handle(host string, h http.Handler) {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	ht.hosts[host] = h
}

func (ht *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ht.mu.Lock()
	h := ht.hosts[req.URL.Host]
	ht.seen = append(ht.seen, req.Method+" "+req.URL.String())
	ht.inFlight++
	ht.maxIn = max(ht.maxIn, ht.inFlight)
	ht.mu.Unlock()
	defer func() {
		ht.mu.Lock()
		ht.inFlight--
		ht.mu.Unlock()
	}()
	if req.Body != nil {
		defer req.Body.Close()
	}
	if h == nil {
		return nil, fmt.Errorf("dial tcp %s: connection refused", req.URL.Host)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// requests returns the requests seen whose "METHOD URL" contains s.
func (ht *handlerTransport) requests(s string) []string {
	ht.mu.Lock()
	defer ht.mu.Unlock()
	var out []string
	for _, r := range ht.seen {
		if strings.Contains(r, s) {
			out = append(out, r)
		}
	}
	return out
}

// fakeAPI is a vision server for handlerTransport: it opens sessions with
// its tokens, answers keepalives, telemetry and session end, checks the
// bearer token, and serves what routes says for the rest.
type fakeAPI struct {
	mu       sync.Mutex
	tokens   []string // tokens[0] at open; each keepalive rotates to the next, if any
	current  int
	lifetime string // the JSON of expires_in_ms at open; "" leaves it out
	// keepaliveStatus, if not 0, is the status of every keepalive.
	keepaliveStatus int
	keepalives      int
	routes          map[string]http.HandlerFunc // by "METHOD /path"
}

func newFakeAPI(tokens ...string) *fakeAPI {
	return &fakeAPI{tokens: tokens, lifetime: "60000", routes: make(map[string]http.HandlerFunc)}
}

func (f *fakeAPI) route(route string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = h
}

func (f *fakeAPI) token() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[f.current]
}

func (f *fakeAPI) keepaliveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keepalives
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	if route == "POST /v1/sessions" {
		body := `{"token":"` + f.token() + `"`
		if f.lifetime != "" {
			body += `,"expires_in_ms":` + f.lifetime
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, body+"}")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token() {
		http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	h := f.routes[route]
	f.mu.Unlock()
	switch {
	case h != nil:
		h(w, r)
	case route == "POST /v1/session/keepalive":
		f.mu.Lock()
		f.keepalives++
		status := f.keepaliveStatus
		if status == 0 && f.current+1 < len(f.tokens) {
			f.current++
		}
		body := `{"token":"` + f.tokens[f.current] + `"}`
		f.mu.Unlock()
		if status != 0 {
			http.Error(w, `{"error":"keepalive refused"}`, status)
			return
		}
		fmt.Fprint(w, body)
	case route == "POST /v1/telemetry", route == "DELETE /v1/session":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, `{"error":"no such thing"}`, http.StatusNotFound)
	}
}

// newFakeClient opens a client on f at http://vision.test over ht, and
// closes it in t.Cleanup.
func newFakeClient(t *testing.T, ht *handlerTransport, f *fakeAPI, cfg Config) *VisionDataClient {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://vision.test"
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	ht.handle(u.Host, f)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := newClient(context.Background(), cfg, ht)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// assertNoSecret fails if err, an error of its chain (errors.Unwrap and
// Unwrap() []error), or any of their formatted forms holds one of secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error to check")
	}
	var walk func(e error, depth int)
	walk = func(e error, depth int) {
		if e == nil {
			return
		}
		for _, text := range []string{e.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", e, e, e, e, e)} {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("secret %q in the error chain at depth %d (%T): %s", s, depth, e, text)
				}
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap(), depth+1)
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e, depth+1)
			}
		}
	}
	walk(err, 0)
}
