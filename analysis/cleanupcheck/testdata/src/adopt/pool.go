package adopt

import (
	"context"
	"net"
	"sync"
	"time"
)

// Pool checks its idle connections on a ticker, in a goroutine that wg
// waits for and that ends when quit is closed. Its own Close returns
// nothing.
//
// want +2 `//cleanup:client type Pool has no runtime.Guard field` `Pool already declares Close \(pool.go:\d+\)`
//
//cleanup:client
type Pool struct {
	mu sync.Mutex

	// want +1 `field idle of Pool holds a resource \(elements with a Close method\) .*add //cleanup:close lock=mu \(lock=mu: the package writes it holding mu\),`
	idle []net.Conn
	// want +1 `field ticker of Pool holds a resource \(\*time.Ticker\) .*add //cleanup:close Stop order=0 \(order=0: a goroutine that a wait step waits for waits for its ticks`
	ticker *time.Ticker
	// want +1 `field quit of Pool holds a resource \(a channel the package makes and closes\) .*add //cleanup:close order=0 \(order=0: a goroutine that a wait step waits for receives from it`
	quit chan struct{}
	// want +1 `field wg of Pool holds a resource \(sync.WaitGroup\) .*add //cleanup:wait,`
	wg sync.WaitGroup
}

// NewPool starts the health check.
func NewPool() *Pool {
	p := &Pool{ticker: time.NewTicker(time.Second), quit: make(chan struct{})}
	p.wg.Go(p.health)
	return p
}

func (p *Pool) health() {
	for {
		select {
		case <-p.ticker.C:
			p.mu.Lock()
			p.idle = p.idle[:0]
			p.mu.Unlock()
		case <-p.quit:
			return
		}
	}
}

// Close closes the pool, as the library did by hand.
func (p *Pool) Close() {
	close(p.quit)
	p.wg.Wait()
}

// PubSub delivers messages that its read loop receives; Receive blocks
// until one arrives. Messages returns the channel of them.
//
// want +2 `//cleanup:client type PubSub has no runtime.Guard field`
//
//cleanup:client
type PubSub struct {
	// want +1 `field conn of PubSub holds a resource \(net.Conn has a Close method\) .*add //cleanup:close order=0 \(order=0`
	conn net.Conn
	msgs chan string
	// want +1 `field wg of PubSub holds a resource \(sync.WaitGroup\) .*add //cleanup:wait,`
	wg sync.WaitGroup
}

// Subscribe starts the read loop.
func Subscribe(conn net.Conn) *PubSub {
	ps := &PubSub{conn: conn, msgs: make(chan string, 1)}
	ps.wg.Add(1)
	go func() {
		defer ps.wg.Done()
		buf := make([]byte, 64)
		for {
			n, err := ps.conn.Read(buf)
			if err != nil {
				return
			}
			select {
			case ps.msgs <- string(buf[:n]):
			default:
			}
		}
	}()
	return ps
}

// Receive waits for a message or for ctx.
func (ps *PubSub) Receive(ctx context.Context) (string, error) { // want `exported method PubSub.Receive uses the managed field conn`
	if ps.conn == nil {
		return "", net.ErrClosed
	}
	select {
	case m := <-ps.msgs:
		return m, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Errors is a channel accessor.
func (ps *PubSub) Errors() <-chan error { // want `exported method PubSub.Errors uses the managed field conn`
	_ = ps.conn
	return nil
}

// Debounce runs fn once calls stop for a while.
//
// want +2 `//cleanup:client type Debounce has no runtime.Guard field`
//
//cleanup:client
type Debounce struct {
	mu sync.Mutex
	fn func()
	// want +1 `field timer of Debounce holds a resource \(\*time.Timer\) .*add //cleanup:close Stop lock=mu \(lock=mu`
	timer *time.Timer
}

// Trigger restarts the timer.
func (d *Debounce) Trigger() { // want `exported method Debounce.Trigger uses the managed field timer`
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timer = time.AfterFunc(time.Millisecond, d.fn)
}
