// Package vision is a client for the vision data API: cameras, their frames
// as PNG or JPEG images, and live detection streams. Its [VisionDataClient]
// and [DataSourceManager] close under a deadline with Close and CloseContext
// methods that cleanupgen generates (zz_generated_cleanup.go).
//
// A client holds a session on the server, a keepalive goroutine, one
// goroutine per detection stream, buffered telemetry and its own HTTP
// transport. Closing it first ends the calls in flight, whatever their
// context: Cameras, Frame and Detections still waiting for the server
// return an error that wraps runtime.ErrClosed. Then, in order, it:
//
//  1. drains the detection streams: stops reading them and delivers the
//     detections already read, then closes their channels (500ms at most:
//     a consumer that stopped reading cannot hold Close up);
//  2. flushes the telemetry to the server;
//  3. ends the session on the server;
//  4. cancels the client's context, which stops the keepalive, every stream
//     and every request still running;
//  5. waits for the client's goroutines to return;
//  6. closes the transport's idle connections.
//
// Close returns by its deadline (5s, or the context's for CloseContext)
// whatever the server does, and reports every step that did not succeed in
// a *runtime.CleanupError.
//
// A server, or whoever answers at BaseURL or behind its redirects, cannot
// take the client down nor learn its secrets. The client bounds what it
// reads and holds: a JSON response to Config.MaxResponseBytes (1 MiB), a
// frame to Config.MaxFrameBytes (8 MiB) and Config.MaxFramePixels (16 Mi
// pixels, checked in the image's header before decoding), a line of a
// detection stream to Config.MaxLineBytes (64 KiB), and the requests of
// Cameras and Frame in flight, and so their connections, to
// Config.MaxConns (16). The keepalive's pace is clamped and backs off when
// the server fails. The session token goes only to BaseURL's origin
// (scheme, host and port), redirects included; no error the client
// returns, no error those wrap, and no log line it writes carries a token
// it has held (rotated ones too) or BaseURL's password.
//
//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen
package vision

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	_ "image/jpeg" // frames are PNG or JPEG
	_ "image/png"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Config configures a client. Only BaseURL is required.
type Config struct {
	// BaseURL is the server's URL, e.g. "http://127.0.0.1:8080". The
	// session token is sent only to its origin (scheme, host and port). A
	// user and password in it (http://user:pass@host) are sent as Basic
	// auth to open the session, and never appear in an error or a log.
	BaseURL string

	// KeepaliveInterval is the time between two keepalives of the session,
	// at least 1ms. Default: a third of the session's lifetime as the
	// server reports it, kept between 100ms and 10 minutes, and 20s if the
	// server reports no lifetime or a negative one. After a failed
	// keepalive the client waits twice as long as before, up to 1 minute
	// (or the interval, if longer), less up to a quarter at random, and
	// goes back to the interval once one succeeds.
	KeepaliveInterval time.Duration
	// FrameCacheSize is how many frames the client keeps in memory; a
	// negative value disables the cache. Default 64.
	FrameCacheSize int
	// MaxFrameBytes bounds a frame's encoded image. Default 8 MiB.
	MaxFrameBytes int64
	// MaxFramePixels bounds a frame's width times height, which Frame reads
	// from the image's header before it decodes anything: a few bytes of
	// PNG can claim gigapixels, and decoding allocates for every pixel.
	// Frame rejects a larger image with ErrTooLarge, with HeaderOnly too.
	// Default 16 Mi (1<<24, e.g. 4096x4096; a 4K UHD frame is half that).
	MaxFramePixels int64
	// MaxConns bounds the requests of Cameras and Frame in flight at once,
	// and so the connections they open to the server; further calls wait
	// for one to finish, until their context ends or Close begins. Each
	// detection stream holds a connection of its own besides, and so can
	// the client's keepalive and Close. Default 16.
	MaxConns int
	// MaxResponseBytes bounds a JSON response. Default 1 MiB.
	MaxResponseBytes int64
	// MaxLineBytes bounds one line of a detection stream. Default 64 KiB.
	MaxLineBytes int
	// DetectionBuffer is the capacity of the channels Detections returns.
	// Default 16.
	DetectionBuffer int
	// HeaderOnly makes Frame decode only the image header (format and size)
	// instead of the whole image. It is faster, but misses images truncated
	// after their header.
	HeaderOnly bool
	// Logger receives the client's events (failed keepalives). No session
	// token the client has held, nor BaseURL's password, appears in them.
	// Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.FrameCacheSize == 0 {
		c.FrameCacheSize = 64
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 8 << 20
	}
	if c.MaxFramePixels <= 0 {
		c.MaxFramePixels = 1 << 24
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 16
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 1 << 20
	}
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = 64 << 10
	}
	if c.DetectionBuffer <= 0 {
		c.DetectionBuffer = 16
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// A Camera is a camera the server has.
type Camera struct {
	Name   string `json:"name"`
	Format string `json:"format"` // "png" or "jpeg"
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// A Frame is one image of a camera. Frames come from a cache shared by the
// callers of Frame: a Frame and its Data must not be modified.
type Frame struct {
	Camera    string
	Seq       int64
	Format    string // "png" or "jpeg", from the image itself
	Width     int
	Height    int
	Timestamp time.Time // when the camera took it
	Data      []byte    // the encoded image
}

// Size returns the size of the encoded image in bytes.
func (f *Frame) Size() int { return len(f.Data) }

// A Detection is an object the server found in a frame. A Detection whose
// Err is set is the last value on its channel and says why the stream broke
// (a malformed or too long line, a reset connection); a stream that ends
// because its context ended, the client closed or the server finished it
// sends none.
type Detection struct {
	Camera string    `json:"camera"`
	Seq    int64     `json:"seq"` // the frame it was found in
	Label  string    `json:"label"`
	Score  float64   `json:"score"` // 0..1
	Box    Box       `json:"box"`
	Time   time.Time `json:"time"`
	Err    error     `json:"-"`
}

// A Box is a bounding box in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// VisionDataClient is a session with a vision data server. Its methods are
// safe for concurrent use. Once Close has begun they return
// runtime.ErrClosed.
//
//cleanup:client timeout=5s
type VisionDataClient struct {
	guard runtime.Guard

	cfg   Config      //cleanup:ignore
	api   *api        //cleanup:nil
	cache *frameCache //cleanup:nil
	// conns holds a token for each request of Cameras and Frame in flight:
	// Config.MaxConns of them.
	conns chan struct{} //cleanup:ignore
	// ctx is done when the client closes; the keepalive, the streams and
	// flushes run under it.
	ctx  context.Context //cleanup:nil
	life *lifetime       //cleanup:nil

	// The teardown, in the order of the package documentation.
	streams   *streamSet         //cleanup:close Drain order=0 timeout=500ms
	telemetry *telemetry         //cleanup:close Flush order=1 timeout=1s
	session   *session           //cleanup:close End order=2 timeout=1s
	cancel    context.CancelFunc //cleanup:cancel order=3
	wg        *sync.WaitGroup    //cleanup:wait order=4 timeout=1s
	transport *http.Transport    //cleanup:close CloseIdleConnections order=5
}

// lifetime starts the client's goroutines until the client's context is
// cancelled; after that it starts none, so that wg.Add never races the
// teardown's wg.Wait.
type lifetime struct {
	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc
	wg      *sync.WaitGroup
}

// goroutine runs fn in a new goroutine tracked by wg, unless the client has
// stopped.
func (l *lifetime) goroutine(fn func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		fn()
	}()
	return true
}

func (l *lifetime) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.cancel()
}

// NewClient opens a session on the server at cfg.BaseURL and returns a
// client for it. ctx bounds the opening only; the client lives until Close.
func NewClient(ctx context.Context, cfg Config) (*VisionDataClient, error) {
	return newClient(ctx, cfg, nil)
}

// newClient is NewClient; rt, if not nil, replaces the transport for
// requests, so that tests can run the client in a synctest bubble.
func newClient(ctx context.Context, cfg Config, rt http.RoundTripper) (*VisionDataClient, error) {
	cfg.setDefaults()
	u, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	secrets := new(secrets)
	if pw, ok := u.User.Password(); ok {
		secrets.add(pw)
		// As the Authorization header carries it, which a server may echo.
		secrets.add(base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pw)))
	}
	// The client keeps BaseURL's user and password only behind a pointer,
	// sent as Basic auth where no token is (opening the session), so that
	// printing the client, its Config or its errors cannot show them.
	user := u.User
	u.User = nil
	cfg.BaseURL = u.String()
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		// The default is 10 MiB; no response of the API needs more than a
		// few hundred bytes of headers.
		MaxResponseHeaderBytes: 64 << 10,
	}
	if rt == nil {
		rt = transport
	}
	a := &api{
		hc:      &http.Client{Transport: rt, CheckRedirect: sameOriginAuth(u)},
		base:    strings.TrimSuffix(u.String(), "/"),
		user:    user,
		cfg:     &cfg,
		secrets: secrets,
	}
	var open struct {
		Token       string `json:"token"`
		ExpiresInMS int64  `json:"expires_in_ms"`
	}
	if err := a.getJSON(ctx, "open session", "POST", "/v1/sessions", nil, &open); err != nil {
		transport.CloseIdleConnections()
		return nil, err
	}
	if !validToken(open.Token) {
		// The session, if any, expires on the server: the client cannot
		// use, nor safely end, a token it cannot send.
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("vision: open session: %w: no valid bearer token", ErrBadResponse)
	}
	a.setToken(secret(open.Token))

	base, cancel := context.WithCancel(context.Background())
	wg := new(sync.WaitGroup)
	life := &lifetime{cancel: cancel, wg: wg}
	c := &VisionDataClient{
		cfg:       cfg,
		api:       a,
		cache:     newFrameCache(cfg.FrameCacheSize),
		conns:     make(chan struct{}, cfg.MaxConns),
		ctx:       base,
		life:      life,
		streams:   newStreamSet(),
		telemetry: &telemetry{api: a},
		session:   &session{api: a},
		cancel:    life.stop,
		wg:        wg,
		transport: transport,
	}
	pace := keepalivePace(cfg.KeepaliveInterval, open.ExpiresInMS)
	sess, tel := c.session, c.telemetry // goroutines never read c's fields: Close drops them
	life.goroutine(func() { sess.keepalive(base, pace, cfg.Logger, tel) })
	return c, nil
}

// Cameras lists the server's cameras. The request ends when ctx ends or
// Close begins, whichever comes first; then the error wraps ctx's error or
// runtime.ErrClosed.
func (c *VisionDataClient) Cameras(ctx context.Context) ([]Camera, error) {
	ctx, leave, err := c.guard.EnterContext(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	var list struct {
		Cameras []Camera `json:"cameras"`
	}
	err = c.withConn(ctx, "cameras", func() error {
		return c.api.getJSON(ctx, "cameras", "GET", "/v1/cameras", nil, &list)
	})
	if err != nil {
		c.telemetry.add("errors", 1)
		return nil, closedError(ctx, err)
	}
	return list.Cameras, nil
}

// withConn runs fn, the request of a Cameras or Frame call, once fewer than
// Config.MaxConns are in flight; if ctx ends first, it returns ctx's cause.
func (c *VisionDataClient) withConn(ctx context.Context, op string, fn func() error) error {
	select {
	case c.conns <- struct{}{}:
	default:
		select {
		case c.conns <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("vision: %s: waiting for one of %d connections: %w", op, cap(c.conns), context.Cause(ctx))
		}
	}
	defer func() { <-c.conns }()
	return fn()
}

// closedError makes err, the error of a call whose context ctx came from
// Guard.EnterContext, wrap runtime.ErrClosed if Close cut the call short.
func closedError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, runtime.ErrClosed) && !errors.Is(err, runtime.ErrClosed) {
		return fmt.Errorf("%w (%w)", err, cause)
	}
	return err
}
