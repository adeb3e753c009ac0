// Package producer is an asynchronous producer in the shape of sarama's
// AsyncProducer: messages go in on Input, a dispatcher writes them to the
// broker connection, and each comes back on Successes or Errors, which
// the dispatcher closes when Input is closed and drained.
package producer

import (
	"net"
	"sync"
)

// Message is one message to produce.
type Message struct {
	Value []byte
}

//cleanup:client
type Producer struct {
	conn      net.Conn
	input     chan *Message
	successes chan *Message
	errors    chan error
	wg        sync.WaitGroup
}

// New starts a producer that writes to conn.
func New(conn net.Conn) *Producer {
	p := &Producer{
		conn:      conn,
		input:     make(chan *Message),
		successes: make(chan *Message),
		errors:    make(chan error),
	}
	p.wg.Add(1)
	go p.dispatch()
	return p
}

// Input is where messages are sent to be produced.
func (p *Producer) Input() chan<- *Message { return p.input }

// Successes delivers the messages that were written.
func (p *Producer) Successes() <-chan *Message { return p.successes }

// Errors delivers the errors of messages that were not.
func (p *Producer) Errors() <-chan error { return p.errors }

func (p *Producer) dispatch() {
	defer p.wg.Done()
	defer close(p.errors)
	defer close(p.successes)
	for msg := range p.input {
		if _, err := p.conn.Write(msg.Value); err != nil {
			p.errors <- err
			continue
		}
		p.successes <- msg
	}
}
