package vision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// A Source is a data source a [DataSourceManager] manages: a
// *VisionDataClient, or anything else that closes under a context. Wrap an
// io.Closer with [CloserSource].
type Source interface {
	CloseContext(ctx context.Context) error
}

// A FrameSource is a Source that serves frames, as *VisionDataClient does.
type FrameSource interface {
	Source
	Frame(ctx context.Context, camera string, seq int64) (*Frame, error)
}

// CloserSource adapts an io.Closer to a Source. Its CloseContext calls Close
// and ignores ctx: the manager's deadline still bounds the wait for it.
func CloserSource(c io.Closer) Source { return closerSource{c} }

type closerSource struct{ c io.Closer }

func (s closerSource) CloseContext(context.Context) error { return s.c.Close() }

// ErrNoSource is wrapped by errors about a source name the manager does not
// have.
var ErrNoSource = errors.New("no such data source")

// DataSourceManager holds named data sources and closes them all at once:
// its Close and CloseContext close every source concurrently, each a step of
// its own named sources["NAME"], under one deadline, and wait as long for
// the sources that Remove gave up waiting for (the step "removing"). Its
// methods are safe for concurrent use; once Close has begun they return
// runtime.ErrClosed, and Remove and Frames return early with it.
//
//cleanup:client timeout=5s
type DataSourceManager struct {
	guard runtime.Guard

	mu      sync.RWMutex      //cleanup:ignore
	sources map[string]Source //cleanup:close CloseContext lock=mu
	// removing counts the sources Remove is closing; Add is called under
	// mu before closing begins, so before the teardown's Wait.
	removing *sync.WaitGroup //cleanup:wait order=2

	frameWorkers int //cleanup:ignore
}

// A ManagerOption configures a DataSourceManager.
type ManagerOption func(*DataSourceManager)

// WithMaxConcurrentFrames makes Frames fetch at most n frames at once
// (default 16; n < 1 means the default). Each *VisionDataClient bounds its
// own connections too (Config.MaxConns).
func WithMaxConcurrentFrames(n int) ManagerOption {
	return func(m *DataSourceManager) {
		if n > 0 {
			m.frameWorkers = n
		}
	}
}

// NewDataSourceManager returns an empty manager.
func NewDataSourceManager(opts ...ManagerOption) *DataSourceManager {
	m := &DataSourceManager{sources: make(map[string]Source), removing: new(sync.WaitGroup), frameWorkers: 16}
	for _, opt := range opts {
		opt(m)
	}
	return m
}

// closingLocked reports whether closing has begun; the caller holds an
// Enter and mu. The teardown takes the sources under mu after closing has
// begun, and waits for the calls in flight only for half its deadline: a
// call that changes the sources under mu while closing has not begun comes
// before the teardown takes them; one that would change them after might
// come after, and must not.
func (m *DataSourceManager) closingLocked() bool {
	if m.guard.Enter() != nil {
		return true
	}
	m.guard.Leave() // not the last Leave: the caller holds another
	return false
}

// Add adds src under name. The manager owns it from now on and closes it
// with the manager. If Add returns an error, the manager does not own src:
// the caller still does, and closes it. Add returns runtime.ErrClosed
// (wrapped) once Close has begun, even if it was called before.
func (m *DataSourceManager) Add(name string, src Source) error {
	if err := m.guard.Enter(); err != nil {
		return err
	}
	defer m.guard.Leave()
	if src == nil {
		return fmt.Errorf("vision: add data source %q: nil source", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closingLocked() {
		return fmt.Errorf("vision: add data source %q: %w", name, runtime.ErrClosed)
	}
	if _, ok := m.sources[name]; ok {
		return fmt.Errorf("vision: add data source %q: already present", name)
	}
	m.sources[name] = src
	return nil
}

// Get returns the source named name.
func (m *DataSourceManager) Get(name string) (Source, error) {
	if err := m.guard.Enter(); err != nil {
		return nil, err
	}
	defer m.guard.Leave()
	m.mu.RLock()
	defer m.mu.RUnlock()
	src, ok := m.sources[name]
	if !ok {
		return nil, fmt.Errorf("vision: data source %q: %w", name, ErrNoSource)
	}
	return src, nil
}

// Names returns the names of the sources, sorted.
func (m *DataSourceManager) Names() []string {
	if err := m.guard.Enter(); err != nil {
		return nil
	}
	defer m.guard.Leave()
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.sources))
}

// Remove removes the source named name and closes it with ctx. It returns
// when the source's CloseContext returns, or when ctx ends or Close begins,
// whichever comes first: then the error wraps ctx's error or
// runtime.ErrClosed, the source goes on closing with ctx, and the
// manager's Close waits for it (within its own deadline). If Close has
// begun before Remove takes the source, Remove leaves it to Close and
// returns runtime.ErrClosed.
func (m *DataSourceManager) Remove(ctx context.Context, name string) error {
	wait, leave, err := m.guard.EnterContext(ctx)
	if err != nil {
		return err
	}
	defer leave()
	m.mu.Lock()
	if m.closingLocked() {
		m.mu.Unlock()
		return fmt.Errorf("vision: remove data source %q: %w", name, runtime.ErrClosed)
	}
	src, ok := m.sources[name]
	delete(m.sources, name)
	done := make(chan error, 1)
	if ok {
		m.removing.Go(func() { done <- src.CloseContext(ctx) })
	}
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("vision: remove data source %q: %w", name, ErrNoSource)
	}
	select {
	case err = <-done:
	case <-wait.Done():
		err = fmt.Errorf("still closing: %w", context.Cause(wait))
	}
	if err != nil {
		return fmt.Errorf("vision: remove data source %q: %w", name, err)
	}
	return nil
}

// A FrameRequest asks a source for a frame.
type FrameRequest struct {
	Source string // the source's name in the manager
	Camera string
	Seq    int64
}

// A FrameResult is the answer to a FrameRequest: Frame, or Err.
type FrameResult struct {
	FrameRequest
	Frame *Frame
	Err   error
}

// Frames fetches frames from the manager's sources concurrently, at most
// WithMaxConcurrentFrames of them at once, and returns one result per
// request, in the order of reqs. A source that is not a FrameSource, or is
// missing, gives an error result. The fetches end when ctx ends or Close
// begins; the results not fetched by then have an error that wraps ctx's
// error or runtime.ErrClosed.
func (m *DataSourceManager) Frames(ctx context.Context, reqs ...FrameRequest) ([]FrameResult, error) {
	ctx, leave, err := m.guard.EnterContext(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	results := make([]FrameResult, len(reqs))
	workers := make(chan struct{}, m.frameWorkers)
	var wg sync.WaitGroup
	for i, req := range reqs {
		results[i].FrameRequest = req
		m.mu.RLock()
		src, ok := m.sources[req.Source]
		m.mu.RUnlock()
		fs, isFrames := src.(FrameSource)
		switch {
		case !ok:
			results[i].Err = fmt.Errorf("vision: data source %q: %w", req.Source, ErrNoSource)
			continue
		case !isFrames:
			results[i].Err = fmt.Errorf("vision: data source %q (%T) does not serve frames", req.Source, src)
			continue
		}
		select {
		case workers <- struct{}{}:
		case <-ctx.Done():
			results[i].Err = fmt.Errorf("vision: data source %q: frame %q/%d: %w", req.Source, req.Camera, req.Seq, context.Cause(ctx))
			continue
		}
		wg.Go(func() {
			defer func() { <-workers }()
			f, err := fs.Frame(ctx, req.Camera, req.Seq)
			if err != nil {
				err = closedError(ctx, err)
			}
			results[i].Frame, results[i].Err = f, err
		})
	}
	wg.Wait()
	return results, nil
}
