// Package session multiplexes streams over one connection, in the shape
// of yamux and smux: a read loop that done waits for, a keepalive that
// nothing waits for, and streams whose graceful Close writes a frame.
package session

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Frame types.
const (
	frameData byte = iota
	frameFIN
	framePing
)

// Stream is one stream of a Session.
type Stream struct {
	sess *Session
	id   uint32
	data chan []byte
	once sync.Once
}

// Read returns the next data frame, or io.EOF once the stream is closed.
func (st *Stream) Read() ([]byte, error) {
	b, ok := <-st.data
	if !ok {
		return nil, io.EOF
	}
	return b, nil
}

// Close sends a FIN to the peer: it writes to the shared connection.
func (st *Stream) Close() error {
	st.forceClose()
	return st.sess.writeFrame(frameFIN, st.id, nil)
}

// forceClose ends the stream locally, as the session does when it dies.
func (st *Stream) forceClose() {
	st.once.Do(func() { close(st.data) })
}

//cleanup:client
type Session struct {
	conn    net.Conn
	writeMu sync.Mutex // serializes frames on conn

	mu      sync.Mutex
	streams map[uint32]*Stream
	nextID  uint32

	done    chan struct{}
	die     chan struct{}
	onClose func()
}

// New starts a session on conn. onClose runs when the session closes.
func New(conn net.Conn, onClose func()) *Session {
	s := &Session{
		conn:    conn,
		streams: map[uint32]*Stream{},
		done:    make(chan struct{}),
		die:     make(chan struct{}),
		onClose: onClose,
	}
	go s.recvLoop()
	go s.keepalive()
	return s
}

// OpenStream opens a stream to the peer.
func (s *Session) OpenStream() (*Stream, error) {
	s.mu.Lock()
	s.nextID++
	st := &Stream{sess: s, id: s.nextID, data: make(chan []byte, 16)}
	s.streams[st.id] = st
	s.mu.Unlock()
	if err := s.writeFrame(frameData, st.id, nil); err != nil {
		return nil, err
	}
	return st, nil
}

// NumStreams is the number of open streams.
func (s *Session) NumStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func (s *Session) writeFrame(typ byte, id uint32, payload []byte) error {
	hdr := make([]byte, 9)
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], id)
	binary.BigEndian.PutUint32(hdr[5:], uint32(len(payload)))
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.conn.Write(append(hdr, payload...)); err != nil {
		return err
	}
	return nil
}

func (s *Session) recvLoop() {
	defer close(s.done)
	hdr := make([]byte, 9)
	for {
		if _, err := io.ReadFull(s.conn, hdr); err != nil {
			return
		}
		payload := make([]byte, binary.BigEndian.Uint32(hdr[5:]))
		if _, err := io.ReadFull(s.conn, payload); err != nil {
			return
		}
		s.dispatch(hdr[0], binary.BigEndian.Uint32(hdr[1:]), payload)
	}
}

// dispatch hands a frame to its stream; a FIN removes the stream.
func (s *Session) dispatch(typ byte, id uint32, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[id]
	if st == nil {
		return
	}
	switch typ {
	case frameFIN:
		delete(s.streams, id)
		st.forceClose()
	case frameData:
		select {
		case st.data <- payload:
		default:
		}
	}
}

func (s *Session) keepalive() {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.die:
			return
		case <-t.C:
			if err := s.writeFrame(framePing, 0, nil); err != nil && !errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}
}
