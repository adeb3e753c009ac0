package vision

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// stream is one running detection stream.
type stream struct {
	stopReading context.CancelFunc // ends the HTTP request
	done        chan struct{}      // closed when the goroutine has closed the channel
}

// streamSet is the client's running detection streams.
type streamSet struct {
	mu      sync.Mutex
	streams map[*stream]struct{}
}

func newStreamSet() *streamSet {
	return &streamSet{streams: make(map[*stream]struct{})}
}

func (s *streamSet) add(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[st] = struct{}{}
}

func (s *streamSet) remove(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, st)
}

// Drain stops reading every stream and waits until each has delivered the
// detections it had already read and closed its channel. A consumer that
// does not read keeps its stream from finishing: Drain then returns ctx's
// error when ctx ends, and the stream's goroutine ends when the client's
// context is cancelled.
func (s *streamSet) Drain(ctx context.Context) error {
	s.mu.Lock()
	list := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		list = append(list, st)
	}
	s.mu.Unlock()
	for _, st := range list {
		st.stopReading()
	}
	for i, st := range list {
		select {
		case <-st.done:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d detection streams not drained (is a consumer not reading?): %w",
				len(list)-i, len(list), context.Cause(ctx))
		}
	}
	return nil
}

// newLineScanner returns a scanner of r's lines that fails with
// bufio.ErrTooLong on a line longer than max bytes.
func newLineScanner(r io.Reader, max int) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(4096, max+1)), max+1)
	return sc
}

func parseDetection(line []byte) (Detection, error) {
	var d Detection
	if err := json.Unmarshal(line, &d); err != nil {
		return Detection{}, fmt.Errorf("%w: bad detection line (%d bytes): %s", ErrBadResponse, len(line), jsonProblem(err))
	}
	switch {
	case d.Seq < 0:
		return Detection{}, fmt.Errorf("%w: detection with negative frame number %d", ErrBadResponse, d.Seq)
	case math.IsNaN(d.Score) || d.Score < 0 || d.Score > 1:
		return Detection{}, fmt.Errorf("%w: detection score %v outside 0..1", ErrBadResponse, d.Score)
	case d.Box.W < 0 || d.Box.H < 0:
		return Detection{}, fmt.Errorf("%w: detection box %+v has a negative size", ErrBadResponse, d.Box)
	}
	return d, nil
}

func streamError(err error, max int, a *api) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("%w: detection line longer than %d bytes", ErrTooLarge, max)
	}
	return fmt.Errorf("reading stream: %w", err)
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
