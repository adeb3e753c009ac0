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
// its own named sources["NAME"], under one deadline. Its methods are safe
// for concurrent use; once Close has begun they return runtime.ErrClosed.
//
//cleanup:client timeout=5s
type DataSourceManager struct {
	guard runtime.Guard

	mu      sync.RWMutex      //cleanup:ignore
	sources map[string]Source //cleanup:close CloseContext lock=mu
}

// NewDataSourceManager returns an empty manager.
func NewDataSourceManager() *DataSourceManager {
	return &DataSourceManager{sources: make(map[string]Source)}
}

// Add adds src under name. The manager owns it from now on and closes it
// with the manager.
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

// Remove removes the source named name and closes it with ctx.
func (m *DataSourceManager) Remove(ctx context.Context, name string) error {
	if err := m.guard.Enter(); err != nil {
		return err
	}
	defer m.guard.Leave()
	m.mu.Lock()
	src, ok := m.sources[name]
	delete(m.sources, name)
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("vision: remove data source %q: %w", name, ErrNoSource)
	}
	if err := src.CloseContext(ctx); err != nil {
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

// Frames fetches frames from the manager's sources concurrently and returns
// one result per request, in the order of reqs. A source that is not a
// FrameSource, or is missing, gives an error result.
func (m *DataSourceManager) Frames(ctx context.Context, reqs ...FrameRequest) ([]FrameResult, error) {
	if err := m.guard.Enter(); err != nil {
		return nil, err
	}
	defer m.guard.Leave()
	results := make([]FrameResult, len(reqs))
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
		wg.Go(func() {
			results[i].Frame, results[i].Err = fs.Frame(ctx, req.Camera, req.Seq)
		})
	}
	wg.Wait()
	return results, nil
}
