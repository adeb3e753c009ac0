package visiontest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestExpiredSessionsRemoved: expired sessions were kept forever (170
// bytes each). Opening a session sweeps them, at most once a lifetime, and
// using an expired token removes its session.
func TestExpiredSessionsRemoved(t *testing.T) {
	srv := NewServer(t, WithTokenTTL(20*time.Millisecond))
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	open := func() {
		t.Helper()
		resp, err := hc.Post(srv.URL+"/v1/sessions", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	kept := func() int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.sessions)
	}
	for range 50 {
		open()
	}
	time.Sleep(50 * time.Millisecond) // all 50 expire
	open()
	if n := kept(); n != 1 {
		t.Errorf("%d sessions kept after 50 expired and 1 opened, want 1", n)
	}

	time.Sleep(50 * time.Millisecond)
	token := srv.Tokens()[len(srv.Tokens())-1]
	req, _ := http.NewRequest("GET", srv.URL+"/v1/cameras", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || kept() != 0 {
		t.Errorf("an expired token: %s, %d sessions kept; want 401 and 0", resp.Status, kept())
	}
}

func TestTokensBounded(t *testing.T) {
	s := &Server{sessions: make(map[string]*session), opts: options{tokenTTL: time.Minute, maxSessions: MaxSessions}, stats: Stats{Requests: make(map[Endpoint]int)}}
	for range MaxTokensKept + 5 {
		s.openSession(discard{}, nil, &request{})
	}
	if n := len(s.Tokens()); n != MaxTokensKept {
		t.Errorf("%d tokens kept, want %d", n, MaxTokensKept)
	}
}

// TestSessionsBounded: live sessions were unbounded; past MaxSessions,
// opening answers 503 until some expire.
func TestSessionsBounded(t *testing.T) {
	const max = 100
	s := &Server{sessions: make(map[string]*session), opts: options{tokenTTL: time.Hour, maxSessions: max}, stats: Stats{Requests: make(map[Endpoint]int)}}
	for range max {
		s.openSession(discard{}, nil, &request{})
	}
	rec := httptest.NewRecorder()
	s.openSession(rec, nil, &request{})
	if rec.Code != http.StatusServiceUnavailable || len(s.sessions) != max {
		t.Errorf("opening session %d: %d, %d kept; want 503 and %d", max+1, rec.Code, len(s.sessions), max)
	}
	s.ExpireSessions()
	rec = httptest.NewRecorder()
	s.openSession(rec, nil, &request{})
	if rec.Code != http.StatusCreated || len(s.sessions) != 1 {
		t.Errorf("opening a session once all expired: %d, %d kept; want 201 and 1", rec.Code, len(s.sessions))
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
