// Package pubsub is a subscription in the shape of go-redis's PubSub:
// Receive reads the next message from the connection and blocks until
// one arrives or its context ends, so a receiver is always pending.
package pubsub

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

//cleanup:client
type PubSub struct {
	conn net.Conn
	r    *bufio.Reader

	mu       sync.Mutex
	channels map[string]bool
}

// New subscribes over conn.
func New(conn net.Conn) *PubSub {
	return &PubSub{conn: conn, r: bufio.NewReader(conn), channels: map[string]bool{}}
}

// Subscribe subscribes to channel.
func (ps *PubSub) Subscribe(ctx context.Context, channel string) error {
	ps.mu.Lock()
	ps.channels[channel] = true
	ps.mu.Unlock()
	_, err := fmt.Fprintf(ps.conn, "SUBSCRIBE %s\n", channel)
	return err
}

// Receive returns the next message, waiting until one arrives or ctx ends.
func (ps *PubSub) Receive(ctx context.Context) (string, error) {
	conn := ps.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	line, err := ps.r.ReadString('\n')
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}
