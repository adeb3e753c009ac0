package vision

import (
	"container/list"
	"sync"
)

type frameKey struct {
	camera string
	seq    int64
}

// frameCache keeps the most recently used frames, at most size of them.
type frameCache struct {
	size int

	mu    sync.Mutex
	order *list.List // of *frameEntry, most recently used first
	byKey map[frameKey]*list.Element
}

type frameEntry struct {
	key   frameKey
	frame *Frame
}

func newFrameCache(size int) *frameCache {
	return &frameCache{size: size, order: list.New(), byKey: make(map[frameKey]*list.Element)}
}

func (c *frameCache) get(k frameKey) (*Frame, bool) {
	if c.size <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*frameEntry).frame, true
}

func (c *frameCache) put(k frameKey, f *Frame) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		e.Value.(*frameEntry).frame = f
		c.order.MoveToFront(e)
		return
	}
	c.byKey[k] = c.order.PushFront(&frameEntry{k, f})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*frameEntry).key)
	}
}

func (c *frameCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
