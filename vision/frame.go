package vision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Frame returns frame seq of camera, from the cache or the server. It checks
// that the image is a complete PNG or JPEG (only its header with
// Config.HeaderOnly) of at most Config.MaxFramePixels pixels. The request
// ends when ctx ends or Close begins, whichever comes first; then the error
// wraps ctx's error or runtime.ErrClosed.
func (c *VisionDataClient) Frame(ctx context.Context, camera string, seq int64) (*Frame, error) {
	if err := c.guard.Enter(); err != nil {
		return nil, err
	}
	defer c.guard.Leave()
	// A cached frame needs no context that ends with Close.
	if f, ok := c.cachedFrame(frameKey{camera, seq}); ok {
		return f, nil
	}
	ctx, leave, err := c.guard.EnterContext(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	f, err := c.frame(ctx, camera, seq)
	return f, closedError(ctx, err)
}

func (c *VisionDataClient) cachedFrame(key frameKey) (*Frame, bool) {
	f, ok := c.cache.get(key)
	if ok {
		c.telemetry.add("frame_cache_hits", 1)
	}
	return f, ok
}

// frame is Frame without the guard; the caller holds it.
func (c *VisionDataClient) frame(ctx context.Context, camera string, seq int64) (*Frame, error) {
	key := frameKey{camera, seq}
	if f, ok := c.cachedFrame(key); ok {
		return f, nil
	}
	op := fmt.Sprintf("frame %q/%d", camera, seq)
	if err := checkCamera(camera); err != nil {
		return nil, fmt.Errorf("vision: %s: %w", op, err)
	}
	if seq < 0 {
		return nil, fmt.Errorf("vision: %s: want a sequence number >= 0", op)
	}
	var f *Frame
	err := c.withConn(ctx, op, func() (err error) {
		f, err = c.fetchFrame(ctx, op, key)
		return err
	})
	if err != nil {
		c.telemetry.add("errors", 1)
		return nil, err
	}
	c.telemetry.add("frames_fetched", 1)
	c.telemetry.add("frame_bytes", int64(len(f.Data)))
	c.cache.put(key, f)
	return f, nil
}

// checkCamera rejects the camera names that cannot be a path segment of
// the API's URLs: url.PathEscape leaves "." and ".." alone, and a server
// or proxy resolves them as dot segments (/v1/cameras/../frames/1).
func checkCamera(camera string) error {
	switch camera {
	case "":
		return errors.New("want a camera name")
	case ".", "..":
		return fmt.Errorf("camera name %q is a dot segment, not a name", camera)
	}
	return nil
}

func (c *VisionDataClient) fetchFrame(ctx context.Context, op string, key frameKey) (*Frame, error) {
	resp, err := c.api.do(ctx, op, "GET", "/v1/cameras/"+url.PathEscape(key.camera)+"/frames/"+strconv.FormatInt(key.seq, 10), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readAtMost(resp.Body, c.cfg.MaxFrameBytes)
	if err != nil {
		return nil, c.api.wrap(op, err)
	}
	f := &Frame{Camera: key.camera, Seq: key.seq, Data: data}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("vision: %s: %w: %d bytes of %s: %s", op, ErrBadImage, len(data), c.contentType(resp), c.api.redact(err.Error()))
	}
	// Decoding allocates for every pixel the header claims: check first.
	if px, ok := pixels(cfg.Width, cfg.Height); !ok || px > c.cfg.MaxFramePixels {
		return nil, fmt.Errorf("vision: %s: %w: a %dx%d %s image, more than %d pixels", op, ErrTooLarge, cfg.Width, cfg.Height, format, c.cfg.MaxFramePixels)
	}
	if !c.cfg.HeaderOnly {
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("vision: %s: %w: %d bytes of %s: %s", op, ErrBadImage, len(data), format, c.api.redact(err.Error()))
		}
	}
	f.Format, f.Width, f.Height = format, cfg.Width, cfg.Height
	if ts := resp.Header.Get("X-Frame-Timestamp"); ts != "" {
		if f.Timestamp, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return nil, fmt.Errorf("vision: %s: %w: bad X-Frame-Timestamp", op, ErrBadResponse)
		}
	}
	return f, nil
}

// pixels returns w*h, and false if either is negative or the product
// overflows an int64.
func pixels(w, h int) (int64, bool) {
	if w < 0 || h < 0 {
		return 0, false
	}
	if w != 0 && int64(h) > math.MaxInt64/int64(w) {
		return 0, false
	}
	return int64(w) * int64(h), true
}

// contentType returns resp's Content-Type for an error message: redacted,
// since a server may echo a secret in it, then shortened and quoted.
func (c *VisionDataClient) contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return strconv.Quote(shorten(c.api.redact(ct), 64))
	}
	return "unknown type"
}
