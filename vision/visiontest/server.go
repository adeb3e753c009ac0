// Package visiontest runs a vision data server in-process, for tests, the
// example program and cmd/visionserver.
//
// A test starts one with a single call and gets it closed by t.Cleanup:
//
//	srv := visiontest.NewServer(t)
//	client, err := vision.NewClient(ctx, vision.Config{BaseURL: srv.URL})
//
// A program uses [Start] (or [Listen] for a fixed address) and
// [Server.Close] or [Server.Shutdown].
//
// The server speaks the vision HTTP API over loopback HTTP/1.1 with JSON:
//
//	POST   /v1/sessions                          open a session: {"token","expires_in_ms"}
//	POST   /v1/session/keepalive                 extend the session: {"expires_in_ms"}
//	DELETE /v1/session                           end the session: 204
//	GET    /v1/cameras                           {"cameras":[{"name","format","width","height"}]}
//	GET    /v1/cameras/{camera}/frames/{seq}     the frame as image/png or image/jpeg, with
//	                                             X-Frame-Seq and X-Frame-Timestamp (RFC 3339)
//	GET    /v1/cameras/{camera}/detections       newline-delimited JSON detections, one per
//	                                             interval, until the client goes away;
//	                                             ?from=SEQ starts there, ?limit=N ends after N;
//	                                             it ends after frame math.MaxInt64
//	POST   /v1/telemetry                         {"counters":{"name":N}}: 204
//
// Every endpoint but session open wants "Authorization: Bearer TOKEN" and
// answers 401 without a live session. Errors are JSON: {"error":"..."}.
// Camera names are path segments, escaped as by [url.PathEscape].
//
// A client cannot make the server hold more than its bounds: a request
// must arrive within [WithReadTimeout] and be at most [MaxUploadBytes], a
// response must be read at the pace of [WithWriteTimeout], an idle
// connection is closed after [WithIdleTimeout], expired sessions are
// removed and at most [MaxSessions] live, and the telemetry reports kept
// are bounded by [MaxTelemetryReports] and [MaxTelemetryBytes].
//
// Faults are switched at run time: [Server.Inject] a [Fault], [Server.Clear]
// them, [Server.Freeze] every endpoint and [Server.Thaw] it. Closing the
// server releases every hanging request, so Close always returns.
package visiontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// An Option configures a server.
type Option func(*options)

type options struct {
	addr         string
	interval     time.Duration
	tokenTTL     time.Duration
	errorLog     *log.Logger
	maxUpload    int64
	readTimeout  time.Duration
	idleTimeout  time.Duration
	writeTimeout time.Duration
	maxSessions  int // MaxSessions; tests lower it
}

// The server's bounds: what a client that misbehaves, or many of them, can
// make it hold.
const (
	// DefaultReadTimeout is how long a client may take to send a request,
	// headers and body, by default (see [WithReadTimeout]).
	DefaultReadTimeout = 30 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may wait for
	// its next request by default (see [WithIdleTimeout]).
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultWriteTimeout is how long a client may take to accept each
	// write of a response by default (see [WithWriteTimeout]).
	DefaultWriteTimeout = 30 * time.Second
	// MaxSessions bounds the live sessions; opening another answers 503.
	// Expired and ended sessions are removed.
	MaxSessions = 1 << 16
	// MaxTokensKept bounds the tokens [Server.Tokens] returns: the most
	// recently issued.
	MaxTokensKept = 1 << 12
	// MaxTelemetryReports and MaxTelemetryBytes bound the telemetry
	// reports kept: past either, the oldest are dropped (and counted in
	// Stats.TelemetryDropped). A report's size is the length of its
	// counters' names plus 16 bytes a counter.
	MaxTelemetryReports = 1 << 10
	MaxTelemetryBytes   = 1 << 20
	// MaxUploadBytes bounds a request body; a larger one answers 413.
	MaxUploadBytes = 64 << 10
)

// WithAddr makes the server listen on addr (HOST:PORT) instead of
// 127.0.0.1:0.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithDetectionInterval sets the time between two detections on a stream
// (default 20ms); 0 or less sends them as fast as the client reads.
func WithDetectionInterval(d time.Duration) Option {
	return func(o *options) { o.interval = d }
}

// WithTokenTTL sets how long a session lives without a keepalive (default
// 1 minute).
func WithTokenTTL(d time.Duration) Option { return func(o *options) { o.tokenTTL = d } }

// WithReadTimeout sets how long a client may take to send a request, its
// headers and its body (default, or if d <= 0, [DefaultReadTimeout]); a
// slower one has its connection closed. The time to answer is not bounded: a hanging or
// stalled response, or a detection stream, lasts as long as it must.
func WithReadTimeout(d time.Duration) Option { return func(o *options) { o.readTimeout = d } }

// WithIdleTimeout sets how long a keep-alive connection may wait for its
// next request before the server closes it (default, or if d <= 0,
// [DefaultIdleTimeout]).
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idleTimeout = d } }

// WithWriteTimeout sets how long a client may take to accept each write of
// a response, a detection or a piece of a body (default, or if d <= 0,
// [DefaultWriteTimeout]); a client that stops reading has its connection
// closed. Unlike [http.Server.WriteTimeout], it does not bound a whole
// response: a detection stream may last for ever, and a hang does not count.
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithErrorLog sets the logger for errors of the underlying [http.Server];
// by default they are discarded.
func WithErrorLog(l *log.Logger) Option { return func(o *options) { o.errorLog = l } }

// A Server is a running vision data server. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:PORT", with no
	// trailing slash.
	URL string

	opts    options
	ln      net.Listener
	http    *http.Server
	served  chan struct{} // closed when Serve has returned
	closing chan struct{} // closed when Close or Shutdown begins
	once    sync.Once

	mu        sync.Mutex
	closed    bool           // no new handler may start
	handlers  sync.WaitGroup // running handlers; Add only under mu while !closed
	faults    []*installed
	frozen    bool
	release   chan struct{} // closed and replaced by Thaw and Clear
	sessions  map[string]*session
	nextSweep time.Time // when openSession next removes the expired sessions
	tokens    []string  // the last MaxTokensKept issued
	nextID    int
	telemetry []Telemetry
	telBytes  int // the size of telemetry, as MaxTelemetryBytes counts it
	stats     Stats
}

type session struct {
	id      string
	expires time.Time
}

// Telemetry is one telemetry report received by the server.
type Telemetry struct {
	Session  string // the session's ID ("s1", "s2", ...), never its token
	Counters map[string]int64
	Received time.Time
}

// Stats counts what the server has seen.
type Stats struct {
	SessionsOpened int
	SessionsEnded  int
	SessionsActive int // opened, not ended and not expired
	Keepalives     int
	StreamsActive  int // detection streams being served now
	Requests       map[Endpoint]int
	// TelemetryDropped counts the telemetry reports dropped, oldest first,
	// to keep within MaxTelemetryReports and MaxTelemetryBytes.
	TelemetryDropped int
}

// Start starts a server on 127.0.0.1:0 (or the address of [WithAddr]).
func Start(opts ...Option) (*Server, error) {
	o := options{
		addr: "127.0.0.1:0", interval: 20 * time.Millisecond, tokenTTL: time.Minute, maxUpload: MaxUploadBytes,
		readTimeout: DefaultReadTimeout, idleTimeout: DefaultIdleTimeout, writeTimeout: DefaultWriteTimeout,
		maxSessions: MaxSessions,
	}
	for _, opt := range opts {
		opt(&o)
	}
	o.interval = max(o.interval, 0)
	if o.readTimeout <= 0 {
		o.readTimeout = DefaultReadTimeout
	}
	if o.idleTimeout <= 0 {
		o.idleTimeout = DefaultIdleTimeout
	}
	if o.writeTimeout <= 0 {
		o.writeTimeout = DefaultWriteTimeout
	}
	if o.errorLog == nil {
		o.errorLog = log.New(io.Discard, "", 0)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("visiontest: %w", err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		opts:     o,
		ln:       ln,
		served:   make(chan struct{}),
		closing:  make(chan struct{}),
		release:  make(chan struct{}),
		sessions: make(map[string]*session),
		stats:    Stats{Requests: make(map[Endpoint]int)},
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ErrorLog:          o.errorLog,
		ReadHeaderTimeout: min(10*time.Second, o.readTimeout),
		// ReadTimeout bounds reading the request; net/http lifts it once
		// the body is read, so a response may hang or stream for longer.
		ReadTimeout:    o.readTimeout,
		IdleTimeout:    o.idleTimeout,
		MaxHeaderBytes: 64 << 10,
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln) // returns ErrServerClosed after Close or Shutdown
	}()
	return s, nil
}

// Listen starts a server on addr; it is Start(WithAddr(addr), opts...).
func Listen(addr string, opts ...Option) (*Server, error) {
	return Start(append([]Option{WithAddr(addr)}, opts...)...)
}

// NewServer starts a server for a test and closes it in t.Cleanup. It fails
// the test if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("visiontest.NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server now: it stops listening, releases every hanging or
// stalled request, ends every detection stream, closes every connection, and
// returns when every handler has returned. It is safe to call more than once
// and concurrently with Shutdown.
func (s *Server) Close() {
	s.begin()
	_ = s.http.Close()
	s.handlers.Wait()
	<-s.served
}

// Shutdown stops the server gracefully: it stops listening, releases every
// hanging or stalled request (they answer 503) and ends every detection
// stream, then waits for the responses in flight to finish, like
// [http.Server.Shutdown]. If ctx ends first it closes every connection as
// Close does and returns ctx's error. It returns when every handler has
// returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.begin()
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close()
	}
	s.handlers.Wait()
	<-s.served
	return err
}

func (s *Server) begin() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
	})
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = make(map[Endpoint]int, len(s.stats.Requests))
	for k, v := range s.stats.Requests {
		st.Requests[k] = v
	}
	now := time.Now()
	for _, sess := range s.sessions {
		if now.Before(sess.expires) {
			st.SessionsActive++
		}
	}
	return st
}

// Telemetry returns the telemetry reports received so far, oldest first.
func (s *Server) Telemetry() []Telemetry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Telemetry(nil), s.telemetry...)
}

// Tokens returns the session tokens the server has issued, oldest first,
// for tests that check a client never reveals them: every token, up to the
// last [MaxTokensKept].
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// ExpireSessions makes every session expire now, as if keepalives had
// stopped, and removes them.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// errShuttingDown ends a request released by the server closing.
var errShuttingDown = errors.New("server shutting down")

// hang blocks until the hang is released (true), or the request's context
// ends or the server closes (false).
func (s *Server) hang(ctx context.Context) bool {
	s.mu.Lock()
	rel := s.release
	s.mu.Unlock()
	select {
	case <-rel:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// sleep waits for d; false if the request's context ended or the server
// closed first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-ctx.Done():
			return false
		case <-s.closing:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails, see crypto/rand
	return hex.EncodeToString(b)
}
