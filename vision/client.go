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
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // frames are PNG or JPEG
	_ "image/png"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
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

// parseBaseURL parses Config.BaseURL. Its errors never hold the string:
// a BaseURL may carry a password (http://user:pass@host), and a
// misconfigured deployment logs this error first.
func parseBaseURL(raw string) (*url.URL, error) {
	const want = "want http[s]://HOST[:PORT][/PATH]"
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes raw, and its reasons quote parts of it.
		return nil, fmt.Errorf("vision: bad BaseURL: not a URL; %s", want)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vision: bad BaseURL %q: %s", u.Redacted(), want)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u, nil
}

// sameOriginAuth returns a CheckRedirect function that sends the session
// token only to base's origin (scheme, host and port, as browsers define
// origins): http.Client keeps the Authorization header on a redirect to the
// same host on another port, which may be another program.
func sameOriginAuth(base *url.URL) func(*http.Request, []*http.Request) error {
	origin := originOf(base)
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if originOf(req.URL) != origin {
			req.Header.Del("Authorization")
		}
		return nil
	}
}

// originOf returns u's scheme, host and port, the port made explicit.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// keepalivePace returns the time between two keepalives: interval if set,
// or a third of the session's lifetime, which the server reports in
// milliseconds and may report missing, negative or absurdly large.
func keepalivePace(interval time.Duration, lifetimeMS int64) time.Duration {
	const (
		minPace     = 100 * time.Millisecond
		maxPace     = 10 * time.Minute
		defaultPace = 20 * time.Second
	)
	switch {
	case interval > 0:
		return max(interval, time.Millisecond)
	case lifetimeMS <= 0:
		return defaultPace
	case lifetimeMS/3 >= maxPace.Milliseconds(): // no overflow: compared in ms
		return maxPace
	}
	return max(time.Duration(lifetimeMS)*time.Millisecond/3, minPace)
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

// Frame returns frame seq of camera, from the cache or the server. It checks
// that the image is a complete PNG or JPEG (only its header with
// Config.HeaderOnly) of at most Config.MaxFramePixels pixels. The request
// ends when ctx ends or Close begins, whichever comes first; then the error
// wraps ctx's error or runtime.ErrClosed.
func (c *VisionDataClient) Frame(ctx context.Context, camera string, seq int64) (*Frame, error) {
	if err := c.guard.Enter(); err != nil {
		return nil, err
	}
	defer c.guard.Leave()
	// A cached frame needs no context that ends with Close.
	if f, ok := c.cachedFrame(frameKey{camera, seq}); ok {
		return f, nil
	}
	ctx, leave, err := c.guard.EnterContext(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	f, err := c.frame(ctx, camera, seq)
	return f, closedError(ctx, err)
}

func (c *VisionDataClient) cachedFrame(key frameKey) (*Frame, bool) {
	f, ok := c.cache.get(key)
	if ok {
		c.telemetry.add("frame_cache_hits", 1)
	}
	return f, ok
}

// frame is Frame without the guard; the caller holds it.
func (c *VisionDataClient) frame(ctx context.Context, camera string, seq int64) (*Frame, error) {
	key := frameKey{camera, seq}
	if f, ok := c.cachedFrame(key); ok {
		return f, nil
	}
	op := fmt.Sprintf("frame %q/%d", camera, seq)
	if err := checkCamera(camera); err != nil {
		return nil, fmt.Errorf("vision: %s: %w", op, err)
	}
	if seq < 0 {
		return nil, fmt.Errorf("vision: %s: want a sequence number >= 0", op)
	}
	var f *Frame
	err := c.withConn(ctx, op, func() (err error) {
		f, err = c.fetchFrame(ctx, op, key)
		return err
	})
	if err != nil {
		c.telemetry.add("errors", 1)
		return nil, err
	}
	c.telemetry.add("frames_fetched", 1)
	c.telemetry.add("frame_bytes", int64(len(f.Data)))
	c.cache.put(key, f)
	return f, nil
}

// checkCamera rejects the camera names that cannot be a path segment of
// the API's URLs: url.PathEscape leaves "." and ".." alone, and a server
// or proxy resolves them as dot segments (/v1/cameras/../frames/1).
func checkCamera(camera string) error {
	switch camera {
	case "":
		return errors.New("want a camera name")
	case ".", "..":
		return fmt.Errorf("camera name %q is a dot segment, not a name", camera)
	}
	return nil
}

func (c *VisionDataClient) fetchFrame(ctx context.Context, op string, key frameKey) (*Frame, error) {
	resp, err := c.api.do(ctx, op, "GET", "/v1/cameras/"+url.PathEscape(key.camera)+"/frames/"+strconv.FormatInt(key.seq, 10), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readAtMost(resp.Body, c.cfg.MaxFrameBytes)
	if err != nil {
		return nil, c.api.wrap(op, err)
	}
	f := &Frame{Camera: key.camera, Seq: key.seq, Data: data}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("vision: %s: %w: %d bytes of %s: %s", op, ErrBadImage, len(data), c.contentType(resp), c.api.redact(err.Error()))
	}
	// Decoding allocates for every pixel the header claims: check first.
	if px, ok := pixels(cfg.Width, cfg.Height); !ok || px > c.cfg.MaxFramePixels {
		return nil, fmt.Errorf("vision: %s: %w: a %dx%d %s image, more than %d pixels", op, ErrTooLarge, cfg.Width, cfg.Height, format, c.cfg.MaxFramePixels)
	}
	if !c.cfg.HeaderOnly {
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("vision: %s: %w: %d bytes of %s: %s", op, ErrBadImage, len(data), format, c.api.redact(err.Error()))
		}
	}
	f.Format, f.Width, f.Height = format, cfg.Width, cfg.Height
	if ts := resp.Header.Get("X-Frame-Timestamp"); ts != "" {
		if f.Timestamp, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return nil, fmt.Errorf("vision: %s: %w: bad X-Frame-Timestamp", op, ErrBadResponse)
		}
	}
	return f, nil
}

// pixels returns w*h, and false if either is negative or the product
// overflows an int64.
func pixels(w, h int) (int64, bool) {
	if w < 0 || h < 0 {
		return 0, false
	}
	if w != 0 && int64(h) > math.MaxInt64/int64(w) {
		return 0, false
	}
	return int64(w) * int64(h), true
}

// contentType returns resp's Content-Type for an error message: redacted,
// since a server may echo a secret in it, then shortened and quoted.
func (c *VisionDataClient) contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return strconv.Quote(shorten(c.api.redact(ct), 64))
	}
	return "unknown type"
}

// Detections opens camera's detection stream and returns a channel of its
// detections. Opening the stream ends when ctx ends or Close begins; then
// the error wraps ctx's error or runtime.ErrClosed. A goroutine of the
// client reads the stream; the channel is closed when ctx ends, the stream
// ends or the client closes. A consumer may stop reading at any time:
// ending ctx or closing the client releases the goroutine.
func (c *VisionDataClient) Detections(ctx context.Context, camera string) (<-chan Detection, error) {
	gctx, leave, err := c.guard.EnterContext(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	dets, err := c.detections(ctx, gctx, camera, "")
	return dets, closedError(gctx, err)
}

// detections opens a stream; query, if not empty, is appended to the URL.
// ctx bounds the stream, open bounds opening it (ctx, or a context that
// also ends when Close begins).
func (c *VisionDataClient) detections(ctx, open context.Context, camera, query string) (<-chan Detection, error) {
	op := fmt.Sprintf("detections %q", camera)
	if err := checkCamera(camera); err != nil {
		return nil, fmt.Errorf("vision: %s: %w", op, err)
	}
	// The stream's goroutine never reads c's fields: Close drops them.
	r := &streamReader{camera: camera, base: c.ctx, tel: c.telemetry, api: c.api, maxLine: c.cfg.MaxLineBytes}
	streams := c.streams
	// The stream lives until ctx ends, the client closes or Drain stops it;
	// while it opens, also until open ends.
	sctx, scancel := context.WithCancel(c.ctx)
	stopOpen := context.AfterFunc(open, scancel)
	path := "/v1/cameras/" + url.PathEscape(camera) + "/detections"
	if query != "" {
		path += "?" + query
	}
	resp, err := c.api.do(sctx, op, "GET", path, nil)
	if err != nil || !stopOpen() {
		// !stopOpen(): open ended as the response came; treat it as if it
		// had ended before.
		stopOpen()
		scancel()
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("vision: %s: %w", op, context.Cause(open))
		} else if open.Err() != nil && !errors.Is(err, open.Err()) {
			err = fmt.Errorf("%w (%w)", err, context.Cause(open))
		}
		c.telemetry.add("errors", 1)
		return nil, err
	}
	stopAfter := context.AfterFunc(ctx, scancel)
	out := make(chan Detection, c.cfg.DetectionBuffer)
	st := &stream{stopReading: scancel, done: make(chan struct{})}
	streams.add(st)
	run := func() {
		defer streams.remove(st)
		defer close(st.done)
		defer close(out)
		defer stopAfter()
		defer scancel()
		defer resp.Body.Close()
		r.read(ctx, sctx, resp, out)
	}
	if !c.life.goroutine(run) {
		// The client's context was cancelled although this call holds the
		// guard: Close gave up waiting for it.
		streams.remove(st)
		stopAfter()
		scancel()
		resp.Body.Close()
		return nil, runtime.ErrClosed
	}
	return out, nil
}

// streamReader is what a stream's goroutine uses.
type streamReader struct {
	camera  string
	base    context.Context // the client's context
	tel     *telemetry
	api     *api
	maxLine int
}

// read reads detections from resp and delivers them to out until the stream
// ends, ctx ends or the client closes. sctx is the request's context: when
// Drain cancels it, the detections already read are still delivered.
func (r *streamReader) read(ctx, sctx context.Context, resp *http.Response, out chan<- Detection) {
	send := func(d Detection) bool {
		select {
		case out <- d:
			return true
		case <-ctx.Done():
			return false
		case <-r.base.Done():
			return false
		}
	}
	fail := func(err error) {
		r.tel.add("errors", 1)
		send(Detection{Camera: r.camera, Err: r.api.wrapf(fmt.Sprintf("detections %q", r.camera), err)})
	}
	sc := newLineScanner(resp.Body, r.maxLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		d, err := parseDetection(line)
		if err != nil {
			fail(err)
			return
		}
		if !send(d) {
			return
		}
		r.tel.add("detections", 1)
	}
	if err := sc.Err(); err != nil && sctx.Err() == nil {
		fail(streamError(err, r.maxLine, r.api))
	}
}
