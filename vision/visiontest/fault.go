package visiontest

import (
	"fmt"
	"time"
)

// An Endpoint names one operation of the vision HTTP API, for fault
// injection and for [Stats].
type Endpoint string

// The endpoints of the vision HTTP API.
const (
	EndpointOpenSession Endpoint = "session.open"      // POST   /v1/sessions
	EndpointKeepalive   Endpoint = "session.keepalive" // POST   /v1/session/keepalive
	EndpointEndSession  Endpoint = "session.end"       // DELETE /v1/session
	EndpointCameras     Endpoint = "cameras"           // GET    /v1/cameras
	EndpointFrame       Endpoint = "frame"             // GET    /v1/cameras/{camera}/frames/{seq}
	EndpointDetections  Endpoint = "detections"        // GET    /v1/cameras/{camera}/detections
	EndpointTelemetry   Endpoint = "telemetry"         // POST   /v1/telemetry

	// EndpointAny matches every endpoint in a [Fault].
	EndpointAny Endpoint = "*"
)

// A Kind is what an injected [Fault] does to a request.
type Kind int

// The kinds of fault.
const (
	// Hang blocks the handler before it writes anything, until the fault is
	// released by [Server.Thaw] or [Server.Clear] (the request is then
	// served normally), the client goes away, or the server closes.
	Hang Kind = iota + 1
	// Slow delays the response by Fault.Delay (default 500ms).
	Slow
	// Reset aborts the connection without a response. On the detection
	// stream it does so after Fault.After detections.
	Reset
	// Malformed sends a broken body with a success status: Fault.Body if set,
	// otherwise truncated JSON for JSON endpoints, the first half of the image
	// for frames, and a garbage line after Fault.After detections for the
	// stream.
	Malformed
	// Oversized sends a body of Fault.Size bytes (default 64 MiB) without a
	// Content-Length: a huge JSON string, an image followed by padding, or,
	// on the stream, one endless line after Fault.After detections.
	Oversized
	// Status5xx answers with Fault.Status (default 503) and Fault.Body, or
	// a JSON error if Body is nil.
	Status5xx
	// Stall writes part of the response and then hangs like Hang: half the
	// body, or Fault.After detections on the stream. Released, it finishes
	// the response.
	Stall
)

var kindNames = map[Kind]string{
	Hang: "hang", Slow: "slow", Reset: "reset", Malformed: "malformed",
	Oversized: "oversized", Status5xx: "status5xx", Stall: "stall",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// A Fault makes the server misbehave on some requests. Install it with
// [Server.Inject]; remove all faults with [Server.Clear].
type Fault struct {
	Endpoint Endpoint // the endpoint it applies to; EndpointAny or "" for all
	Camera   string   // for frame and detection endpoints: only this camera; "" for all
	Kind     Kind

	Delay  time.Duration // Slow: how long; default 500ms
	After  int           // detection stream: detections sent before the fault strikes
	Status int           // Status5xx: the status code; default 503
	Size   int64         // Oversized: body size in bytes; default 64 MiB
	Body   []byte        // Malformed, Status5xx: the body to send instead of the default
	Count  int           // how many requests it applies to; 0 for all until cleared
}

func (f Fault) String() string {
	ep := f.Endpoint
	if ep == "" {
		ep = EndpointAny
	}
	s := fmt.Sprintf("%s on %s", f.Kind, ep)
	if f.Camera != "" {
		s += " camera " + f.Camera
	}
	return s
}

func (f *Fault) delay() time.Duration {
	if f.Delay > 0 {
		return f.Delay
	}
	return 500 * time.Millisecond
}

func (f *Fault) status() int {
	if f.Status >= 100 {
		return f.Status
	}
	return 503
}

func (f *Fault) size() int64 {
	if f.Size > 0 {
		return f.Size
	}
	return 64 << 20
}

// matches reports whether f applies to a request for ep and camera.
func (f *Fault) matches(ep Endpoint, camera string) bool {
	if f.Endpoint != "" && f.Endpoint != EndpointAny && f.Endpoint != ep {
		return false
	}
	return f.Camera == "" || f.Camera == camera
}

// installed is a fault in the server's list, with the requests it has left.
type installed struct {
	Fault
	left int // -1: unlimited
}

// Inject installs f. Faults are matched in the order they were injected; the
// first that matches a request applies to it.
func (s *Server) Inject(f Fault) {
	left := -1
	if f.Count > 0 {
		left = f.Count
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &installed{Fault: f, left: left})
}

// Clear removes every fault, ends a freeze, and releases every request that
// is hanging or stalled.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.frozen = false
	s.releaseLocked()
}

// Freeze makes every endpoint hang, like a [Hang] fault on [EndpointAny],
// until [Server.Thaw], [Server.Clear] or [Server.Close]. Detection streams
// already open stall before their next detection.
func (s *Server) Freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = true
}

// Thaw ends a freeze and releases every request that is hanging or stalled,
// whether by the freeze or by an injected fault; those requests are then
// served normally. Faults stay installed and apply to later requests.
func (s *Server) Thaw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = false
	s.releaseLocked()
}

func (s *Server) releaseLocked() {
	close(s.release)
	s.release = make(chan struct{})
}

// faultFor returns the fault that applies to a request, or nil. A freeze
// applies as a Hang.
func (s *Server) faultFor(ep Endpoint, camera string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		return &Fault{Endpoint: EndpointAny, Kind: Hang}
	}
	for i, f := range s.faults {
		if !f.matches(ep, camera) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		ff := f.Fault
		return &ff
	}
	return nil
}

// frozenNow reports whether the server is frozen; streams check it between
// detections.
func (s *Server) frozenNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozen
}
