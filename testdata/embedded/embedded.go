// Package embedded has embedded managed fields, value fields whose methods have
// pointer receivers, and methods promoted through embedding.
package embedded

import (
	"net"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Conn struct{ net.Conn }

type Closer struct{}

func (*Closer) Close() error { return nil }

// Session gets its Close method from the embedded Closer.
type Session struct {
	Closer
	id int
}

// Wrapper promotes Close through a pointer to Session.
type Wrapper struct {
	*Session
}

//cleanup:client
type Client struct {
	//cleanup:close
	*Conn
	//cleanup:close
	Closer
	runtime.Guard
	//cleanup:close
	session Session
	//cleanup:close
	wrapper Wrapper
	//cleanup:close
	sessions []Session
}
