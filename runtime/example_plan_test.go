package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// closeFunc is an io.Closer made of a function, to stand in for a resource.
type closeFunc func() error

func (f closeFunc) Close() error { return f() }

// Store is a client whose teardown plan is written by hand: what cleanupgen
// would generate from
//
//	//cleanup:client timeout=1s
//	type Store struct {
//		guard  runtime.Guard
//		cancel context.CancelFunc //cleanup:cancel
//		db     io.Closer          //cleanup:close
//		caches []io.Closer        //cleanup:close
//	}
type Store struct {
	guard  runtime.Guard
	cancel context.CancelFunc
	db     io.Closer
	caches []io.Closer
}

// storeRefs is Store's refs type: it holds copies of the fields that the
// steps use, so that the steps never read the Store while its references
// are dropped.
type storeRefs struct {
	cancel context.CancelFunc
	db     io.Closer
	caches []io.Closer
}

func (r *storeRefs) Take(s *Store) {
	r.cancel = s.cancel
	r.db = s.db
	r.caches = append(r.caches, s.caches...)
}

func (*storeRefs) Drop(s *Store) {
	s.cancel = nil
	s.db = nil
	s.caches = nil
}

// The step arguments below are indexes into storePlan.Steps.
func (r *storeRefs) Len(step int) int {
	if step == 2 {
		return len(r.caches)
	}
	return 0
}

func (r *storeRefs) Name(step, elem int) string {
	if step == 2 {
		return "caches[" + strconv.Itoa(elem) + "]"
	}
	return ""
}

func (r *storeRefs) Close(ctx context.Context, step, elem int, force bool) error {
	switch step {
	case 0:
		if r.cancel != nil {
			r.cancel()
		}
	case 1:
		if r.db != nil {
			return r.db.Close()
		}
	case 2:
		return r.caches[elem].Close()
	}
	return nil
}

// storePlan cancels first (phase 0), then closes the database and every
// cache concurrently (phase 1), all within a second.
var storePlan = runtime.Plan[Store, storeRefs]{
	Type:    "example.Store",
	Timeout: time.Second,
	Steps: []runtime.Step{
		{Name: "cancel"},
		{Name: "db", Phase: 1},
		{Name: "caches", Phase: 1, Each: true},
	},
}

func (s *Store) Close() error { return s.CloseContext(context.Background()) }

func (s *Store) CloseContext(ctx context.Context) error {
	return storePlan.Close(ctx, &s.guard, s)
}

// newStore returns a Store whose second cache fails to close.
func newStore() *Store {
	_, cancel := context.WithCancel(context.Background())
	ok := closeFunc(func() error { return nil })
	return &Store{
		cancel: cancel,
		db:     ok,
		caches: []io.Closer{ok, closeFunc(func() error { return errors.New("disk full") }), ok},
	}
}

// A Plan written by hand: a client type, a refs type implementing Refs, and
// the steps as data. The Close method it gives the Store keeps the same
// contract as a generated one.
func ExamplePlan() {
	s := newStore()
	err := s.Close()

	var ce *runtime.CleanupError
	if errors.As(err, &ce) {
		fmt.Println(ce.Type)
		for _, t := range ce.Tasks {
			fmt.Println(t.Name, t.State, t.Err)
		}
	}
	fmt.Println(s.db == nil, s.caches == nil) // references dropped
	fmt.Println(s.Close() == err)             // once: the same result
	// Output:
	// example.Store
	// caches[1] failed disk full
	// true true
	// true
}
