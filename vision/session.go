package vision

import (
	"context"
	"log/slog"
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
// new token if the server rotates it. Failures are logged (without the
// token) and counted; the next tick tries again.
func (s *session) keepalive(ctx context.Context, interval time.Duration, log *slog.Logger, t *telemetry) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A server that rotates tokens sends the new one; the next request
		// uses it.
		var reply struct {
			Token string `json:"token"`
		}
		rctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		err := s.api.getJSON(rctx, "keepalive", "POST", "/v1/session/keepalive", nil, &reply)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				t.add("keepalive_errors", 1)
				log.LogAttrs(ctx, slog.LevelWarn, "vision: keepalive failed", slog.String("error", err.Error()))
			}
			continue
		}
		if reply.Token != "" {
			s.api.setToken(secret(reply.Token))
		}
		t.add("keepalives", 1)
	}
}
