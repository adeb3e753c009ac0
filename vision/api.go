package vision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// ErrTooLarge is wrapped by errors for responses bigger than the client's
// limits (Config.MaxFrameBytes, Config.MaxResponseBytes,
// Config.MaxLineBytes).
var ErrTooLarge = errors.New("response too large")

// ErrBadImage is wrapped by errors for frames that are not a complete PNG
// or JPEG image.
var ErrBadImage = errors.New("invalid image")

// ErrBadResponse is wrapped by errors for responses the client cannot parse.
var ErrBadResponse = errors.New("malformed response")

// StatusError is the error of a request the server answered with a status
// other than 2xx.
type StatusError struct {
	Op         string // what the client was doing, e.g. "frame cam-a/7"
	StatusCode int
	Message    string // the server's message, shortened, with the session token redacted
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("vision: %s: %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// secret is a session token. It formats and logs as [REDACTED], so that it
// cannot reach an error message or a log line by accident.
type secret string

const redacted = "[REDACTED]"

func (secret) String() string                { return redacted }
func (secret) GoString() string              { return redacted }
func (secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, redacted) }
func (secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }

// api makes authorised requests to the server, within the client's limits.
type api struct {
	hc   *http.Client
	base string // the server's base URL, without a trailing slash
	cfg  *Config

	// token is behind a pointer so that even %#v of an api, which does not
	// call the methods of unexported fields, prints an address, not it.
	token atomic.Pointer[secret]
}

func (a *api) setToken(t secret) { a.token.Store(&t) }

func (a *api) getToken() secret {
	if t := a.token.Load(); t != nil {
		return *t
	}
	return ""
}

// redact removes the session token from s.
func (a *api) redact(s string) string {
	if t := string(a.getToken()); t != "" {
		s = strings.ReplaceAll(s, t, redacted)
	}
	return s
}

// do sends a request and returns the response if its status is 2xx. The
// caller closes the body. path is already escaped and may hold a query.
func (a *api) do(ctx context.Context, op, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("vision: %s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("vision: %s: %w", op, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t := a.getToken(); t != "" {
		req.Header.Set("Authorization", "Bearer "+string(t))
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, a.wrap(op, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, &StatusError{Op: op, StatusCode: resp.StatusCode, Message: a.errorMessage(resp.Body)}
	}
	return resp, nil
}

// wrap returns err with op as context and the session token redacted from
// its message. It still unwraps to err, for errors.Is.
func (a *api) wrap(op string, err error) error {
	return &redactedError{msg: "vision: " + op + ": " + a.redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// errorMessage reads the server's {"error": "..."} from an error response,
// at most 4 KiB of it, and returns it shortened and redacted.
func (a *api) errorMessage(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 4<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg := string(b)
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	msg = strings.Join(strings.Fields(a.redact(msg)), " ")
	if len(msg) > 200 {
		msg = msg[:200]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
		msg += "..."
	}
	return msg
}

// getJSON GETs path and decodes the JSON response into v.
func (a *api) getJSON(ctx context.Context, op, method, path string, body, v any) error {
	resp, err := a.do(ctx, op, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := readAtMost(resp.Body, a.cfg.MaxResponseBytes)
	if err != nil {
		return a.wrap(op, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("vision: %s: %w: %v", op, ErrBadResponse, err)
	}
	return nil
}

// readAtMost reads r to its end, failing with ErrTooLarge past max bytes.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}
