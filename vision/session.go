package vision

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// session is the client's session on the server.
type session struct {
	api *api

	mu    sync.Mutex
	ended bool
}

// End ends the session on the server. Later calls do nothing.
func (s *session) End(ctx context.Context) error {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	resp, err := s.api.do(ctx, "end session", "DELETE", "/v1/session", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	return nil
}

// keepalive extends the session every interval until ctx ends, taking the
// new token if the server rotates it. A failure is logged (without any
// secret) and counted, and the next keepalive waits twice as long as the
// last, up to max(interval, maxBackoff), less up to a quarter at random: a
// failing server gets a keepalive a minute, not one every interval, and
// clients that failed together do not retry together. The first success
// brings the pace back to interval.
func (s *session) keepalive(ctx context.Context, interval time.Duration, log *slog.Logger, t *telemetry) {
	wait := interval
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		// A server that rotates tokens sends the new one; the next request
		// uses it.
		var reply struct {
			Token string `json:"token"`
		}
		rctx, cancel := context.WithTimeout(ctx, min(max(interval, time.Second), 30*time.Second))
		err := s.api.getJSON(rctx, "keepalive", "POST", "/v1/session/keepalive", nil, &reply)
		cancel()
		if err == nil && reply.Token != "" && !validToken(reply.Token) {
			err = fmt.Errorf("vision: keepalive: %w: not a valid bearer token", ErrBadResponse)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.add("keepalive_errors", 1)
			log.LogAttrs(ctx, slog.LevelWarn, "vision: keepalive failed", slog.String("error", s.api.redact(err.Error())))
			wait = backoff(wait, interval)
			timer.Reset(jitter(wait))
			continue
		}
		if reply.Token != "" {
			s.api.setToken(secret(reply.Token))
		}
		t.add("keepalives", 1)
		wait = interval
		timer.Reset(wait)
	}
}

// maxBackoff caps the wait between failed keepalives, unless the interval
// is longer.
const maxBackoff = time.Minute

// backoff returns the wait after a failure that followed a wait of last:
// twice last, at most max(interval, maxBackoff), without overflowing.
func backoff(last, interval time.Duration) time.Duration {
	ceiling := max(interval, maxBackoff)
	if last >= ceiling/2 {
		return ceiling
	}
	return 2 * last
}

// jitter returns d less up to a quarter of it, at random.
func jitter(d time.Duration) time.Duration {
	if q := int64(d / 4); q > 0 {
		return d - time.Duration(rand.Int64N(q))
	}
	return d
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
