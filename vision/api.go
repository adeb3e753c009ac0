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
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

// maxTokenBytes bounds a session token. A bearer token is a header value;
// a server that sends a longer one is broken or hostile, and every token
// is kept for redaction for the client's life.
const maxTokenBytes = 4 << 10

// validToken reports whether t is a bearer token as RFC 6750 (2.1) defines
// it: letters, digits and -._~+/ then optional '=' padding. Nothing in it is
// escaped by strconv.Quote or JSON, so redaction finds it wherever a message
// quotes it.
func validToken(t string) bool {
	if t == "" || len(t) > maxTokenBytes {
		return false
	}
	body := strings.TrimRight(t, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~+/", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// secrets is every secret the client has held: each session token it was
// given (a rotated token stays a secret: logs and errors outlive it) and
// the password of BaseURL. redact removes all of them, in the forms a URL
// or a message may carry them.
type secrets struct {
	mu   sync.Mutex               // serialises add
	list atomic.Pointer[[]string] // longest first, so a secret inside another goes second
}

func (s *secrets) add(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next []string
	if old := s.list.Load(); old != nil {
		next = slices.Clone(*old)
	}
	for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), strconv.Quote(v)[1 : len(strconv.Quote(v))-1]} {
		if !slices.Contains(next, form) {
			next = append(next, form)
		}
	}
	slices.SortStableFunc(next, func(a, b string) int { return len(b) - len(a) })
	s.list.Store(&next)
}

// redact returns msg with every secret replaced by [REDACTED].
func (s *secrets) redact(msg string) string {
	if l := s.list.Load(); l != nil {
		for _, v := range *l {
			msg = strings.ReplaceAll(msg, v, redacted)
		}
	}
	return msg
}

// has reports whether msg holds a secret.
func (s *secrets) has(msg string) bool {
	if l := s.list.Load(); l != nil {
		for _, v := range *l {
			if strings.Contains(msg, v) {
				return true
			}
		}
	}
	return false
}

// api makes authorised requests to the server, within the client's limits.
type api struct {
	hc   *http.Client
	base string        // the server's base URL, without a trailing slash nor user
	user *url.Userinfo // BaseURL's, or nil
	cfg  *Config

	// token is behind a pointer so that even %#v of an api, which does not
	// call the methods of unexported fields, prints an address, not it.
	token   atomic.Pointer[secret]
	secrets *secrets
}

// setToken makes t the token of the next requests. It is a secret from now
// on, before any request can carry it.
func (a *api) setToken(t secret) {
	a.secrets.add(string(t))
	a.token.Store(&t)
}

func (a *api) getToken() secret {
	if t := a.token.Load(); t != nil {
		return *t
	}
	return ""
}

// redact removes every secret the client has held from s.
func (a *api) redact(s string) string { return a.secrets.redact(s) }

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
		return nil, a.wrap(op, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t := a.getToken(); t != "" {
		req.Header.Set("Authorization", "Bearer "+string(t))
	} else if a.user != nil {
		pw, _ := a.user.Password()
		req.SetBasicAuth(a.user.Username(), pw)
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

// wrap returns err with op as context and every secret redacted from its
// message and from the errors it wraps (see clean). errors.Is still sees
// the errors err wraps.
func (a *api) wrap(op string, err error) error {
	return &redactedError{msg: "vision: " + op + ": " + a.redact(err.Error()), err: a.clean(err), orig: err}
}

// wrapf is wrap for errors the client made itself, which may hold a
// server's words: it returns err itself, "vision: op: " before its message,
// if no secret is in its chain.
func (a *api) wrapf(op string, err error) error {
	if !a.leaks(err) {
		return fmt.Errorf("vision: %s: %w", op, err)
	}
	return a.wrap(op, err)
}

// clean returns err if no error in its chain has a secret in its message,
// and otherwise a copy of the chain with the secrets redacted: a *url.Error
// stays a *url.Error (errors.As finds it) with its URL redacted, any other
// error that has a secret becomes a *redactedError. Errors without one are
// kept, so errors.Is and errors.As find the sentinels and types they are.
func (a *api) clean(err error) error {
	if err == nil || !a.leaks(err) {
		return err
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: a.redact(ue.URL), Err: a.clean(ue.Err)}
	}
	msg := a.redact(err.Error())
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var errs []error
		for _, e := range u.Unwrap() {
			errs = append(errs, a.clean(e))
		}
		return &redactedErrors{redactedError{msg: msg, orig: err}, errs}
	case interface{ Unwrap() error }:
		return &redactedError{msg: msg, err: a.clean(u.Unwrap()), orig: err}
	}
	return &redactedError{msg: msg, orig: err}
}

// leaks reports whether the message of err, or of an error it wraps, holds
// a secret.
func (a *api) leaks(err error) bool {
	if err == nil {
		return false
	}
	if a.secrets.has(err.Error()) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return a.leaks(u.Unwrap())
	case interface{ Unwrap() []error }:
		return slices.ContainsFunc(u.Unwrap(), a.leaks)
	}
	return false
}

// redactedError is an error whose message, and whose wrapped errors, have
// the client's secrets redacted. orig, the error it stands for, is never
// returned: it only answers Is and Timeout, which reveal no text.
type redactedError struct {
	msg  string
	err  error // the cleaned error it wraps, or nil
	orig error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Is reports whether the original chain matches target, so that sentinels
// whose message happens to hold a secret still match.
func (e *redactedError) Is(target error) bool { return e.orig != nil && errors.Is(e.orig, target) }

// Timeout reports whether the original error was a timeout, as net.Error
// and *url.Error do.
func (e *redactedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.orig, &t) && t.Timeout()
}

// GoString keeps %#v from printing orig's fields.
func (e *redactedError) GoString() string {
	return "&vision.redactedError{" + strconv.Quote(e.msg) + "}"
}

// redactedErrors is a redactedError for an error that wraps several, as
// errors.Join's do.
type redactedErrors struct {
	redactedError
	errs []error // cleaned
}

func (e *redactedErrors) Unwrap() []error { return e.errs }

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
	return shorten(strings.Join(strings.Fields(a.redact(msg)), " "), 200)
}

// shorten cuts s to at most n bytes, on a rune boundary, marking the cut.
// Redact first: a cut secret is no longer found.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// jsonProblem describes why a JSON value did not decode, without quoting
// any of it: the messages of encoding/json and time quote the values they
// reject, and a server may echo a secret in one.
func jsonProblem(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		tpe *time.ParseError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s: a JSON value that is not a %s", typ.Field, typ.Type)
		}
		return fmt.Sprintf("a JSON value that is not a %s", typ.Type)
	case errors.As(err, &tpe):
		return "a time that is not in RFC 3339 format"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "invalid JSON"
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
		return fmt.Errorf("vision: %s: %w: %s", op, ErrBadResponse, jsonProblem(err))
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
