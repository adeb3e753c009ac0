package vision

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// parseBaseURL parses Config.BaseURL. Its errors never hold the string:
// a BaseURL may carry a password (http://user:pass@host), and a
// misconfigured deployment logs this error first.
func parseBaseURL(raw string) (*url.URL, error) {
	const want = "want http[s]://HOST[:PORT][/PATH]"
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes raw, and its reasons quote parts of it.
		return nil, fmt.Errorf("vision: bad BaseURL: not a URL; %s", want)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vision: bad BaseURL %q: %s", u.Redacted(), want)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u, nil
}

// sameOriginAuth returns a CheckRedirect function that sends the session
// token only to base's origin (scheme, host and port, as browsers define
// origins): http.Client keeps the Authorization header on a redirect to the
// same host on another port, which may be another program.
func sameOriginAuth(base *url.URL) func(*http.Request, []*http.Request) error {
	origin := originOf(base)
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if originOf(req.URL) != origin {
			req.Header.Del("Authorization")
		}
		return nil
	}
}

// originOf returns u's scheme, host and port, the port made explicit.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
