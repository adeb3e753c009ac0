// Package loop has the shapes whose naive directives hang Close: an
// accept loop, a back-pointer to the owner.
package loop

import (
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Server accepts on its listener in a goroutine that loop counts.
//
//cleanup:client
type Server struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Server`
	guard runtime.Guard

	// want +1 `field ln of Server holds a resource \(net.Listener has a Close method\) .*add //cleanup:close order=0 \(order=0: it closes before the client waits for the goroutines that accept on it\)`
	ln net.Listener
	// want +1 `field loop of Server holds a resource \(sync.WaitGroup\) .*add //cleanup:wait,`
	loop sync.WaitGroup
	// want +1 `field conns of Server .*\(values with a Close method\).*add //cleanup:close,`
	conns map[string]*Conn
}

// Directed already closes its listener in the default phase, after the
// wait: the wait it is suggested comes after it.
//
//cleanup:client
type Directed struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Directed`
	guard runtime.Guard

	ln net.Listener //cleanup:close
	// want +1 `field loop of Directed .*add //cleanup:wait order=3 \(order=3: it waits after the listener or server of phase 2 has closed\)`
	loop sync.WaitGroup
}

// Conn is a connection that Server owns.
//
//cleanup:client
type Conn struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Conn`
	guard runtime.Guard

	// want +1 `field srv of Conn points back at its owner \(Server holds a Conn\): closing it from here would close the owner; add //cleanup:ignore`
	srv *Server
	// want +1 `field nc of Conn holds a resource \(net.Conn has a Close method\) .*add //cleanup:close,`
	nc net.Conn
}
