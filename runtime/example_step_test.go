package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// stubbornServer's Shutdown ignores its context and waits for connections
// that never go idle; Close cuts them off.
type stubbornServer struct {
	cut chan struct{}
}

func (s *stubbornServer) Shutdown(context.Context) error {
	<-s.cut
	return nil
}

func (s *stubbornServer) Close() error {
	close(s.cut)
	return nil
}

// Gateway is what cleanupgen generates from
//
//	//cleanup:client timeout=5s
//	type Gateway struct {
//		guard runtime.Guard
//		srv   *stubbornServer //cleanup:close Shutdown force=Close timeout=20ms
//	}
type Gateway struct {
	guard runtime.Guard
	srv   *stubbornServer
}

type gatewayRefs struct{ srv *stubbornServer }

func (r *gatewayRefs) Take(g *Gateway)    { r.srv = g.srv }
func (*gatewayRefs) Drop(g *Gateway)      { g.srv = nil }
func (*gatewayRefs) Len(int) int          { return 0 }
func (*gatewayRefs) Name(int, int) string { return "" }

func (r *gatewayRefs) Close(ctx context.Context, step, elem int, force bool) error {
	if force {
		return r.srv.Close()
	}
	return r.srv.Shutdown(ctx)
}

var gatewayPlan = runtime.Plan[Gateway, gatewayRefs]{
	Type:    "example.Gateway",
	Timeout: 5 * time.Second,
	Steps:   []runtime.Step{{Name: "srv", Timeout: 20 * time.Millisecond, Force: true}},
}

// A step with a Timeout and a force method: when the graceful Shutdown has
// not returned within its 20ms budget, Close is called, and the step counts
// as a success (state forced): the teardown ends long before its 5s deadline.
func ExampleStep() {
	g := &Gateway{srv: &stubbornServer{cut: make(chan struct{})}}
	start := time.Now()
	err := gatewayPlan.Close(context.Background(), &g.guard, g)
	fmt.Println(err)
	fmt.Println("within a second:", time.Since(start) < time.Second)
	// Output:
	// <nil>
	// within a second: true
}
