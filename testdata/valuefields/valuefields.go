// Package valuefields has fields held by value: arrays, maps of values and
// structs with pointer-receiver methods.
package valuefields

import (
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Flusher struct{ n int }

func (*Flusher) Flush() error { return nil }

type Token string

func (t Token) Revoke() error { return nil }

//cleanup:client timeout=100ms
type Client struct {
	guard runtime.Guard
	//cleanup:close Flush
	flusher Flusher
	//cleanup:close Flush
	flushers [3]Flusher
	//cleanup:close Revoke
	tokens map[int]Token
	//cleanup:close Revoke
	named map[Token]Token
	//cleanup:wait
	wg *sync.WaitGroup
	//cleanup:wait order=5
	done <-chan struct{}
	//cleanup:nil
	cache map[string][]byte
	//cleanup:nil
	hook func(int) error
}
