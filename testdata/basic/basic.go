// Package basic has one client with a field of every verb.
package basic

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Item struct{}

func (*Item) Close() error { return nil }

// Client is a client of everything.
//
//cleanup:client timeout=3s
type Client struct {
	guard runtime.Guard

	//cleanup:cancel
	cancel context.CancelFunc
	//cleanup:wait
	wg   sync.WaitGroup
	done chan struct{} //cleanup:wait timeout=1s
	//cleanup:close
	conn net.Conn
	//cleanup:close Shutdown force=Close order=1
	srv *Server
	//cleanup:close
	items []*Item
	//cleanup:close
	byName map[string]io.Closer
	//cleanup:nil
	buf []byte
	//cleanup:ignore
	name string
}

type Server struct{}

func (*Server) Shutdown(context.Context) error { return nil }
func (*Server) Close() error                   { return nil }
