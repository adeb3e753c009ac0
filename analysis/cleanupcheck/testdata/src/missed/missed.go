// Package missed has resources that need more than a Close method to be
// found, and values whose Close is not a resource's.
package missed

import (
	"bufio"
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type bus struct{}

// Subscribe returns the func that unsubscribes.
func (*bus) Subscribe(func(string)) func() { return func() {} }

// grpcServer has the methods of a *grpc.Server.
type grpcServer struct{}

func (*grpcServer) GracefulStop() {}
func (*grpcServer) Stop()         {}

// Client holds resources that are easy to miss.
//
//cleanup:client
type Client struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Client`
	guard runtime.Guard

	// want +1 `field cause of Client holds a resource \(context.CancelCauseFunc\) .*keep func\(\) { cancel\(cause\) }`
	cause context.CancelCauseFunc
	// want +1 `field cancels of Client holds a resource \(funcs such as context.CancelFunc\) .*keep one func\(\) that calls each`
	cancels []context.CancelFunc
	// want +1 `field timers of Client holds a resource \(values with a Stop method\) .*add //cleanup:close Stop,`
	timers map[string]*time.Timer
	// want +1 `field done of Client holds a resource \(a channel that a goroutine of the package closes when it ends\) .*add //cleanup:wait drop=false`
	done chan struct{}
	// want +1 `field unsubscribe of Client holds a resource \(a func\(\) the package stores from a call, such as an unsubscribe\) .*add //cleanup:cancel,`
	unsubscribe func()
	// want +1 `field detach of Client holds a resource \(a func\(\) the package stores from a call`
	detach func()
	// want +1 `field stopWatch of Client holds a resource \(a func\(\) named as a teardown\)`
	stopWatch func()
	// want +1 `field cmd of Client holds a resource \(\*exec.Cmd has a Wait method\) .*add //cleanup:close Wait,`
	cmd *exec.Cmd
	// want +1 `field proc of Client holds a resource \(\*os.Process has a Kill method\) .*add //cleanup:close Kill,`
	proc *os.Process
	// want +1 `field tx of Client holds a resource \(\*sql.Tx has a Rollback method\) .*add //cleanup:close Rollback,`
	tx *sql.Tx
	// want +1 `field w of Client holds a resource \(\*bufio.Writer has a Flush method\) .*add //cleanup:close Flush,`
	w *bufio.Writer
	// want +1 `field resp of Client holds a resource \(\*http.Response\) .*keep resp.Body in a field of its own`
	resp *http.Response
	// want +1 `field grpc of Client holds a resource \(\*grpcServer has GracefulStop and Stop methods\) .*add //cleanup:close GracefulStop force=Stop,`
	grpc *grpcServer
	// want +1 `field http of Client holds a resource \(\*http.Server has Shutdown and Close methods\) .*add //cleanup:close Shutdown force=Close order=0 \(order=0: it closes before the client waits`
	http *http.Server

	// Not resources.
	value   reflect.Value // its Close closes a channel, and panics on the zero Value
	onEvent func()        // a callback, neither from a call nor named as a teardown
	sem     chan struct{} // a semaphore: made, never closed
}

// New subscribes and starts the loop.
func New(b *bus) *Client {
	done := make(chan struct{})
	c := &Client{done: done, unsubscribe: b.Subscribe(nil), sem: make(chan struct{}, 8)}
	detach, err := attach()
	if err == nil {
		c.detach = detach
	}
	go func() {
		defer close(done)
	}()
	return c
}

func attach() (func(), error) { return func() {}, nil }
