package vision

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
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
