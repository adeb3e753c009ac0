package visiontest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // decode the cameras' images for their metadata
	_ "image/png"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed testdata/*.png testdata/*.jpeg
var images embed.FS

// A camera serves one image, over and over, as its frames.
type camera struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	data   []byte
}

// Cameras lists the cameras every server has, in the order GET /v1/cameras
// returns them. "yard/north" has a slash in its name, so clients must
// escape it.
var Cameras = []string{"cam-a", "cam-b", "cam-gray", "yard/north"}

var cameraFiles = map[string]string{
	"cam-a":      "testdata/cam-a.png",
	"cam-b":      "testdata/cam-b.jpeg",
	"cam-gray":   "testdata/cam-gray.png",
	"yard/north": "testdata/cam-c.jpeg",
}

var cameras = loadCameras()

func loadCameras() map[string]*camera {
	m := make(map[string]*camera)
	for _, name := range Cameras {
		data, err := images.ReadFile(cameraFiles[name])
		if err != nil {
			panic(err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			panic(fmt.Sprintf("visiontest: %s: %v", cameraFiles[name], err))
		}
		m[name] = &camera{Name: name, Format: format, Width: cfg.Width, Height: cfg.Height, data: data}
	}
	return m
}

// FrameImage returns the image bytes the server sends for camera's frames,
// and whether the camera exists.
func FrameImage(camera string) ([]byte, bool) {
	c, ok := cameras[camera]
	if !ok {
		return nil, false
	}
	return bytes.Clone(c.data), true
}

// Epoch is the timestamp of frame 0 of every camera; frame N is N times
// FrameInterval later (see [FrameTime]).
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// FrameTime returns the timestamp of frame seq: Epoch plus seq times
// FrameInterval, saturated at the largest time.Duration (about 292 years
// after Epoch) rather than wrapped into the past. A negative seq counts
// back from Epoch, saturated the same way.
func FrameTime(seq int64) time.Time {
	const limit = math.MaxInt64 / int64(FrameInterval)
	switch {
	case seq > limit:
		return Epoch.Add(math.MaxInt64)
	case seq < -limit:
		return Epoch.Add(math.MinInt64)
	}
	return Epoch.Add(time.Duration(seq) * FrameInterval)
}

// FrameInterval is the time between two frames of a camera.
const FrameInterval = 40 * time.Millisecond

var labels = []string{"person", "car", "bicycle", "dog", "forklift"}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/sessions", s.endpoint(EndpointOpenSession, false, s.openSession))
	mux.Handle("POST /v1/session/keepalive", s.endpoint(EndpointKeepalive, true, s.keepalive))
	mux.Handle("DELETE /v1/session", s.endpoint(EndpointEndSession, true, s.endSession))
	mux.Handle("GET /v1/cameras", s.endpoint(EndpointCameras, true, s.listCameras))
	mux.Handle("GET /v1/cameras/{camera}/frames/{seq}", s.endpoint(EndpointFrame, true, s.frame))
	mux.Handle("GET /v1/cameras/{camera}/detections", s.endpoint(EndpointDetections, true, s.detections))
	mux.Handle("POST /v1/telemetry", s.endpoint(EndpointTelemetry, true, s.postTelemetry))
	return mux
}

// A request is what an endpoint handler gets besides w and r.
type request struct {
	fault   *Fault // nil, or a Malformed, Oversized or Stall fault for the handler to act out
	session *session
}

// endpoint wraps h: it tracks the handler so Close can wait for it, counts
// the request, reads its body, paces its writes (see paceWriter), acts out
// the faults that do not depend on the endpoint, and checks the session.
func (s *Server) endpoint(ep Endpoint, auth bool, h func(http.ResponseWriter, *http.Request, *request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, errShuttingDown.Error())
			return
		}
		s.handlers.Add(1)
		s.stats.Requests[ep]++
		s.mu.Unlock()
		defer s.handlers.Done()

		// Read the whole body now, under ReadTimeout and within maxUpload,
		// whatever the endpoint. Once it is read, net/http lifts the read
		// deadline: a response may hang or stream for longer.
		body, err := io.ReadAll(io.LimitReader(r.Body, s.opts.maxUpload+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
			return
		}
		if int64(len(body)) > s.opts.maxUpload {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", s.opts.maxUpload))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		pw := &paceWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: s.opts.writeTimeout}
		s.serve(pw, r, ep, auth, h)
	})
}

// serve acts out the faults that do not depend on the endpoint, checks the
// session and calls h.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, ep Endpoint, auth bool, h func(http.ResponseWriter, *http.Request, *request)) {
	ctx := r.Context()
	req := &request{fault: s.faultFor(ep, r.PathValue("camera"))}
	if f := req.fault; f != nil {
		switch f.Kind {
		case Hang:
			if !s.hang(ctx) {
				writeError(w, http.StatusServiceUnavailable, errShuttingDown.Error())
				return
			}
			req.fault = nil
		case Slow:
			if !s.sleep(ctx, f.delay()) {
				writeError(w, http.StatusServiceUnavailable, errShuttingDown.Error())
				return
			}
			req.fault = nil
		case Reset:
			if ep != EndpointDetections || f.After <= 0 {
				panic(http.ErrAbortHandler)
			}
		case Status5xx:
			if f.Body != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(f.status())
				_, _ = w.Write(f.Body)
				return
			}
			writeError(w, f.status(), "injected fault: "+http.StatusText(f.status()))
			return
		}
	}
	if auth {
		sess, ok := s.authorize(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "no live session for this token")
			return
		}
		req.session = sess
	}
	h(w, r, req)
}

func (s *Server) authorize(r *http.Request) (*session, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[token]
	if !ok {
		return nil, false
	}
	if !time.Now().Before(sess.expires) {
		delete(s.sessions, token)
		return nil, false
	}
	return sess, true
}

// sweepLocked removes the expired sessions, at most once per token lifetime
// unless the sessions are at their limit: each sweep walks them all.
func (s *Server) sweepLocked(now time.Time) {
	if now.Before(s.nextSweep) && len(s.sessions) < s.opts.maxSessions {
		return
	}
	for token, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, token)
		}
	}
	s.nextSweep = now.Add(s.opts.tokenTTL)
}

func (s *Server) openSession(w http.ResponseWriter, r *http.Request, req *request) {
	token := newToken()
	now := time.Now()
	s.mu.Lock()
	s.sweepLocked(now)
	if len(s.sessions) >= s.opts.maxSessions {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "too many sessions")
		return
	}
	s.nextID++
	s.sessions[token] = &session{id: "s" + strconv.Itoa(s.nextID), expires: now.Add(s.opts.tokenTTL)}
	if len(s.tokens) >= MaxTokensKept {
		s.tokens = append(s.tokens[:0], s.tokens[len(s.tokens)-MaxTokensKept+1:]...)
	}
	s.tokens = append(s.tokens, token)
	s.stats.SessionsOpened++
	s.mu.Unlock()
	s.writeJSON(w, r, req, http.StatusCreated, map[string]any{
		"token":         token,
		"expires_in_ms": s.opts.tokenTTL.Milliseconds(),
	})
}

func (s *Server) keepalive(w http.ResponseWriter, r *http.Request, req *request) {
	s.mu.Lock()
	req.session.expires = time.Now().Add(s.opts.tokenTTL)
	s.stats.Keepalives++
	s.mu.Unlock()
	s.writeJSON(w, r, req, http.StatusOK, map[string]any{"expires_in_ms": s.opts.tokenTTL.Milliseconds()})
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, req *request) {
	s.mu.Lock()
	for token, sess := range s.sessions {
		if sess == req.session {
			delete(s.sessions, token)
			s.stats.SessionsEnded++
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCameras(w http.ResponseWriter, r *http.Request, req *request) {
	list := make([]*camera, 0, len(Cameras))
	for _, name := range Cameras {
		list = append(list, cameras[name])
	}
	s.writeJSON(w, r, req, http.StatusOK, map[string]any{"cameras": list})
}

func (s *Server) frame(w http.ResponseWriter, r *http.Request, req *request) {
	cam, ok := cameras[r.PathValue("camera")]
	if !ok {
		writeError(w, http.StatusNotFound, "no such camera")
		return
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 0 {
		writeError(w, http.StatusBadRequest, "frame sequence number must be a non-negative integer")
		return
	}
	w.Header().Set("X-Frame-Seq", strconv.FormatInt(seq, 10))
	w.Header().Set("X-Frame-Timestamp", FrameTime(seq).Format(time.RFC3339Nano))
	s.writeBody(w, r, req, "image/"+cam.Format, cam.data)
}

func (s *Server) postTelemetry(w http.ResponseWriter, r *http.Request, req *request) {
	var body struct {
		Counters map[string]int64 `json:"counters"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "bad telemetry: "+err.Error())
		return
	}
	size := telemetrySize(body.Counters)
	if size > MaxTelemetryBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "telemetry report too large")
		return
	}
	s.mu.Lock()
	s.telemetry = append(s.telemetry, Telemetry{Session: req.session.id, Counters: body.Counters, Received: time.Now()})
	s.telBytes += size
	drop := 0
	for len(s.telemetry)-drop > MaxTelemetryReports || s.telBytes > MaxTelemetryBytes {
		s.telBytes -= telemetrySize(s.telemetry[drop].Counters)
		drop++
	}
	if drop > 0 {
		// Copy, so that the dropped reports are not kept by the array.
		s.telemetry = append([]Telemetry(nil), s.telemetry[drop:]...)
		s.stats.TelemetryDropped += drop
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// A Detection is one line of the detection stream.
type Detection struct {
	Camera string    `json:"camera"`
	Seq    int64     `json:"seq"` // the frame it was found in
	Label  string    `json:"label"`
	Score  float64   `json:"score"`
	Box    Box       `json:"box"`
	Time   time.Time `json:"time"`
}

// A Box is a bounding box in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// MakeDetection returns the detection the server sends for camera's frame
// seq; the stream is deterministic.
func MakeDetection(camera string, seq int64) Detection {
	h := uint64(seq)*0x9E3779B97F4A7C15 + uint64(len(camera))
	cam := cameras[camera]
	w, ht := 64, 64
	if cam != nil {
		w, ht = cam.Width, cam.Height
	}
	return Detection{
		Camera: camera,
		Seq:    seq,
		Label:  labels[h%uint64(len(labels))],
		Score:  0.5 + float64(h>>11%500)/1000,
		Box:    Box{X: int(h>>20) % (w / 2), Y: int(h>>30) % (ht / 2), W: w / 4, H: ht / 4},
		Time:   FrameTime(seq),
	}
}

func (s *Server) detections(w http.ResponseWriter, r *http.Request, req *request) {
	name := r.PathValue("camera")
	if _, ok := cameras[name]; !ok {
		writeError(w, http.StatusNotFound, "no such camera")
		return
	}
	q := r.URL.Query()
	from, limit := int64(0), 0
	if v := q.Get("from"); v != "" {
		var err error
		if from, err = strconv.ParseInt(v, 10, 64); err != nil || from < 0 {
			writeError(w, http.StatusBadRequest, "from must be a frame sequence number, a non-negative integer")
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			writeError(w, http.StatusBadRequest, "limit must be a non-negative integer")
			return
		}
	}
	s.mu.Lock()
	s.stats.StreamsActive++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.stats.StreamsActive--
		s.mu.Unlock()
	}()

	ctx := r.Context()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	f := req.fault
	enc := json.NewEncoder(w)
	for n := int64(0); limit <= 0 || n < int64(limit); n++ {
		if f != nil && n == int64(f.After) {
			switch f.Kind {
			case Reset:
				panic(http.ErrAbortHandler)
			case Malformed:
				body := f.Body
				if body == nil {
					body = []byte(`{"camera": "` + name + `", "seq": oops}` + "\n")
				}
				_, _ = w.Write(body)
				_ = rc.Flush()
				return
			case Oversized:
				writePadding(w, 'x', f.size())
				return
			case Stall:
				if !s.hang(ctx) {
					return
				}
			}
		}
		if s.frozenNow() && !s.hang(ctx) {
			return
		}
		if n > 0 && !s.sleep(ctx, s.opts.interval) {
			return
		}
		if err := enc.Encode(MakeDetection(name, from+n)); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if from+n == math.MaxInt64 {
			return // the last frame: the stream ends rather than wrap
		}
	}
}

// writeJSON writes v, or acts out a Malformed, Oversized or Stall fault.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, req *request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f := req.fault; f != nil {
		switch f.Kind {
		case Malformed:
			body = f.malformed(body)
		case Oversized:
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"pad":"`)
			writePadding(w, 'x', f.size())
			_, _ = io.WriteString(w, `"}`)
			return
		case Stall:
			s.stall(w, r, status, body)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// malformed returns what a Malformed fault sends instead of body: the
// fault's own Body, or the first half of body.
func (f *Fault) malformed(body []byte) []byte {
	if f.Body != nil {
		return f.Body
	}
	return body[:len(body)/2]
}

// writeBody writes an image body, or acts out a Malformed, Oversized or
// Stall fault.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, req *request, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	if f := req.fault; f != nil {
		switch f.Kind {
		case Malformed:
			body = f.malformed(body)
		case Oversized:
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
			writePadding(w, 0, f.size()-int64(len(body)))
			return
		case Stall:
			s.stall(w, r, http.StatusOK, body)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// stall writes the first half of body, hangs, and writes the rest if
// released.
func (s *Server) stall(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	half := len(body) / 2
	_, _ = w.Write(body[:half])
	_ = http.NewResponseController(w).Flush()
	if !s.hang(r.Context()) {
		panic(http.ErrAbortHandler) // the client must see a truncated body, not a short one
	}
	_, _ = w.Write(body[half:])
}

// writePadding writes n bytes of b, stopping at the first write error.
func writePadding(w io.Writer, b byte, n int64) {
	chunk := bytes.Repeat([]byte{b}, 32<<10)
	for n > 0 {
		c := chunk
		if int64(len(c)) > n {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		n -= int64(len(c))
	}
}

// paceWriter gives each write of a response its own deadline, so that a
// client that stops reading cannot hold a handler, while a response may
// last as long as it must. net/http lifts the deadline once the response
// is done.
type paceWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *paceWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *paceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// telemetrySize is what a report counts against MaxTelemetryBytes.
func telemetrySize(counters map[string]int64) int {
	n := 0
	for name := range counters {
		n += len(name) + 16
	}
	return n
}

func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
