// Package closeshapes has one field per accepted method shape, and custom method names.
package closeshapes

import (
	"context"
	"io"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Plain struct{}

func (*Plain) Close() {}

type WithErr struct{}

func (*WithErr) Close() error { return nil }

type WithCtx struct{}

func (*WithCtx) Close(context.Context) {}

type WithCtxErr struct{}

func (*WithCtxErr) Close(context.Context) error { return nil }

type Stopper interface {
	GracefulStop()
	Stop()
}

//cleanup:client
type Client struct {
	runtime.Guard

	plain      *Plain      //cleanup:close
	withErr    *WithErr    //cleanup:close
	withCtx    *WithCtx    //cleanup:close
	withCtxErr *WithCtxErr //cleanup:close timeout=250ms
	//cleanup:close GracefulStop force=Stop timeout=2s
	grpc Stopper
	//cleanup:close Stop order=0
	first Stopper
	//cleanup:close
	weighted []struct {
		io.Closer
		weight int
	}
	//cleanup:close Halt
	literal interface{ Halt() }
	//cleanup:close Stop // its bool is ignored
	timer *time.Timer
}
