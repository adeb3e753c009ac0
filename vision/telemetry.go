package vision

import (
	"context"
	"maps"
	"sync"
)

// telemetry buffers the client's counters until Flush sends them.
type telemetry struct {
	api *api

	mu       sync.Mutex
	counters map[string]int64
}

func (t *telemetry) add(name string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counters == nil {
		t.counters = make(map[string]int64)
	}
	t.counters[name] += n
}

// snapshot returns a copy of the counters not yet flushed.
func (t *telemetry) snapshot() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.counters)
}

// Flush sends the buffered counters to the server. What it sent is removed
// from the buffer only when the server has accepted it, so a failed Flush
// can be retried.
func (t *telemetry) Flush(ctx context.Context) error {
	sent := t.snapshot()
	if len(sent) == 0 {
		return nil
	}
	resp, err := t.api.do(ctx, "flush telemetry", "POST", "/v1/telemetry", map[string]any{"counters": sent})
	if err != nil {
		return err
	}
	resp.Body.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, v := range sent {
		if t.counters[k] -= v; t.counters[k] == 0 {
			delete(t.counters, k)
		}
	}
	return nil
}
