package generator

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDirective(t *testing.T) {
	tests := []struct {
		text    string
		ok      bool
		want    directive // Pos and ArgPos are not compared
		wantErr string
	}{
		{text: "// cleanup:close", ok: false},
		{text: "//go:generate cleanupgen", ok: false},
		{text: "/*cleanup:close*/", ok: false},
		{text: "//cleanup:client", ok: true, want: directive{Verb: "client"}},
		{text: "//cleanup:client timeout=250ms", ok: true, want: directive{Verb: "client", Timeout: 250 * time.Millisecond,
			Options: []option{{Key: "timeout", Value: "250ms"}}}},
		{text: "//cleanup:close", ok: true, want: directive{Verb: "close"}},
		{text: "//cleanup:close Shutdown force=Close timeout=2s order=4", ok: true, want: directive{
			Verb: "close", Arg: "Shutdown", Force: "Close", Timeout: 2 * time.Second, Order: 4, HasOrder: true,
			Options: []option{{Key: "force", Value: "Close"}, {Key: "timeout", Value: "2s"}, {Key: "order", Value: "4"}}}},
		{text: "//cleanup:cancel order=0", ok: true, want: directive{Verb: "cancel", HasOrder: true,
			Options: []option{{Key: "order", Value: "0"}}}},
		{text: "//cleanup:wait", ok: true, want: directive{Verb: "wait"}},
		{text: "//cleanup:nil", ok: true, want: directive{Verb: "nil"}},
		{text: "//cleanup:ignore", ok: true, want: directive{Verb: "ignore"}},
		{text: "//cleanup:shut", ok: true, wantErr: "unknown directive //cleanup:shut"},
		{text: "//cleanup:close retries=3", ok: true, wantErr: `unknown option "retries"`},
		{text: "//cleanup:close timeout=soon", ok: true, wantErr: "is not a duration"},
		{text: "//cleanup:close timeout=-1s", ok: true, wantErr: "must be greater than zero"},
		{text: "//cleanup:close timeout=0", ok: true, wantErr: "must be greater than zero"},
		{text: "//cleanup:close order=-1", ok: true, wantErr: "non-negative integer"},
		{text: "//cleanup:close force=1x", ok: true, wantErr: "is not a method name"},
		{text: "//cleanup:close 1x", ok: true, wantErr: "is not a method name"},
		{text: "//cleanup:close A B", ok: true, wantErr: `unexpected argument "B"`},
		{text: "//cleanup:cancel now", ok: true, wantErr: "takes no argument"},
		{text: "//cleanup:ignore order=1", ok: true, wantErr: "allowed: drop="},
		// Text after " //" is a comment: the reason for the directive.
		{text: "//cleanup:ignore // the pool owns it", ok: true, want: directive{Verb: "ignore"}},
		{text: "//cleanup:close // why", ok: true, want: directive{Verb: "close"}},
		{text: "//cleanup:close Stop\t// bool", ok: true, want: directive{Verb: "close", Arg: "Stop"}},
		{text: "//cleanup:close Shutdown force=Close // http.Server // and more", ok: true, want: directive{
			Verb: "close", Arg: "Shutdown", Force: "Close", Options: []option{{Key: "force", Value: "Close"}}}},
		{text: "//cleanup:close A//B", ok: true, wantErr: "is not a method name"},
		{text: "//cleanup:close drop=false", ok: true, want: directive{Verb: "close", NoDrop: true,
			Options: []option{{Key: "drop", Value: "false"}}}},
		{text: "//cleanup:cancel drop=true", ok: true, want: directive{Verb: "cancel",
			Options: []option{{Key: "drop", Value: "true"}}}},
		{text: "//cleanup:wait drop=false", ok: true, want: directive{Verb: "wait", NoDrop: true,
			Options: []option{{Key: "drop", Value: "false"}}}},
		{text: "//cleanup:nil drop=false lock=mu", ok: true, want: directive{Verb: "nil", NoDrop: true, Lock: "mu",
			Options: []option{{Key: "drop", Value: "false"}, {Key: "lock", Value: "mu"}}}},
		{text: "//cleanup:ignore drop=false", ok: true, want: directive{Verb: "ignore", NoDrop: true,
			Options: []option{{Key: "drop", Value: "false"}}}},
		{text: "//cleanup:close drop=0", ok: true, wantErr: "must be true or false"},
		{text: "//cleanup:client drop=false", ok: true, wantErr: `unknown option "drop"`},
		{text: "//cleanup:client method=shutdown timeout=1s", ok: true, want: directive{Verb: "client", Method: "shutdown", Timeout: time.Second,
			Options: []option{{Key: "method", Value: "shutdown"}, {Key: "timeout", Value: "1s"}}}},
		{text: "//cleanup:client method=a.b", ok: true, wantErr: "is not a method name"},
		{text: "//cleanup:close method=Stop", ok: true, wantErr: `unknown option "method"`},
		{text: "//cleanup:client timeout=30", ok: true, wantErr: "timeout=30 has no unit; write timeout=30s"},
		{text: "//cleanup:nil order=1", ok: true, wantErr: "allowed: lock="},
		{text: "//cleanup:nil lock=mu", ok: true, want: directive{Verb: "nil", Lock: "mu",
			Options: []option{{Key: "lock", Value: "mu"}}}},
		{text: "//cleanup:close lock=mu order=3", ok: true, want: directive{Verb: "close", Lock: "mu", Order: 3, HasOrder: true,
			Options: []option{{Key: "lock", Value: "mu"}, {Key: "order", Value: "3"}}}},
		{text: "//cleanup:wait lock=m.u", ok: true, wantErr: "is not a field name"},
		{text: "//cleanup:cancel lock=_", ok: true, wantErr: "is not a field name"},
		{text: "//cleanup:client lock=mu", ok: true, wantErr: `unknown option "lock"`},
		{text: "//cleanup:ignore lock=mu", ok: true, wantErr: `unknown option "lock"`},
		{text: "//cleanup:wait force=Stop", ok: true, wantErr: `unknown option "force"`},
		{text: "//cleanup:close order=1 order=2", ok: true, wantErr: "given twice"},
		{text: `//cleanup:close "unterminated`, ok: true, wantErr: "quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d, ok, err := parseDirective(100, tt.text)
			require.Equal(t, tt.ok, ok)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var de *directiveError
				require.ErrorAs(t, err, &de)
				assert.GreaterOrEqual(t, int(de.Pos), 100, "the error points into the directive")
				return
			}
			require.NoError(t, err)
			if !ok {
				return
			}
			assert.EqualValues(t, 100, d.Pos)
			for i := range d.Options {
				assert.Greater(t, int(d.Options[i].Pos), 100)
				d.Options[i].Pos = 0
			}
			d.Pos, d.ArgPos = 0, 0
			assert.Equal(t, tt.want, d)
		})
	}
}

func TestDirectivePositions(t *testing.T) {
	d, ok, err := parseDirective(10, "//cleanup:close Shutdown force=Close")
	require.True(t, ok)
	require.NoError(t, err)
	assert.EqualValues(t, 10+len("//cleanup:close "), d.ArgPos)
	assert.EqualValues(t, 10+len("//cleanup:close Shutdown "), d.Options[0].Pos)
	v, found := d.optionValue("force")
	assert.True(t, found)
	assert.Equal(t, "Close", v)
	assert.Equal(t, "close", d.Spec().Verb)
}

// TestNearMiss: comments that look like a directive and are not one are
// recognised, with the right spelling; prose that mentions cleanup is not.
func TestNearMiss(t *testing.T) {
	tests := []struct{ text, want string }{
		{"// cleanup:close", "//cleanup:close"},
		{"//cleanup:Close", "//cleanup:close"},
		{"//cleanup:CLOSE", "//cleanup:close"},
		{"//cleanup: close", "//cleanup:close"},
		{"//Cleanup:close", "//cleanup:close"},
		{"/* cleanup:close */", "//cleanup:close"},
		{"/*cleanup:close Shutdown force=Close*/", "//cleanup:close Shutdown force=Close"},
		{"// cleanup:client", "//cleanup:client"},
		{"// cleanup:client timeout=3s", "//cleanup:client timeout=3s"},
		{"//  CLEANUP : wait order=2", "//cleanup:wait order=2"},
		{"// cleanup:nil", "//cleanup:nil"},
		{"//Cleanup:client", "//cleanup:client"},
		{"//+cleanup:close", "//cleanup:close"},
		{"// +cleanup:close Stop", "//cleanup:close Stop"},
		{"// cleanup:ignore // the pool owns it", "//cleanup:ignore"},
		// Not near misses.
		{"//cleanup:close", ""},                                 // a directive
		{"//cleanup:shut", ""},                                  // a directive with an unknown verb: parseDirective reports it
		{"// cleanup: closes the pool before the conns", ""},    // prose: too many words
		{"// Cleanup: close it and then flush the buffers", ""}, // prose
		{"// cleanup: we wait for the workers", ""},             // prose: not a verb first
		{"// cleanup:close retries=3", ""},                      // not an option of close
		{"// cleanupgen: generated", ""},
		{"// The cleanup of this field is manual.", ""},
		{"// cleanup:", ""},
		{"// cleanup:cancel now", ""}, // cancel takes no argument
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			want, ok := NearMiss(tt.text)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, want)
		})
	}
}

func TestHelpCoversEveryVerbAndOption(t *testing.T) {
	help := Help()
	for _, v := range verbs {
		assert.Contains(t, help, v.Syntax)
		for _, o := range v.Options {
			assert.Contains(t, help, o.Key+"=")
		}
	}
	assert.True(t, IsDirective("//cleanup:anything"))
	assert.False(t, IsDirective("//other:close"))
}

// FuzzParseDirective checks that the parser never panics, and that what it
// accepts is consistent with the verbs table.
func FuzzParseDirective(f *testing.F) {
	for _, seed := range []string{
		"//cleanup:client",
		"//cleanup:client timeout=5s",
		"//cleanup:close",
		"//cleanup:close Shutdown force=Close timeout=2s order=1",
		"//cleanup:cancel order=0",
		"//cleanup:wait timeout=100ms",
		"//cleanup:nil",
		"//cleanup:ignore",
		"//cleanup:close \"quoted\" `raw`",
		"//cleanup:close timeout=",
		"//cleanup:close =",
		"//cleanup:",
		"//cleanup",
		"// cleanup:close",
		"//cleanup:close\tA\u00a0B",
		"//cleanup:close order=99999999999999999999",
		"//cleanup:close timeout=9223372036854775807ns",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, ok, err := parseDirective(1, text)
		if !ok {
			if err != nil {
				t.Fatalf("not a directive, yet an error: %v", err)
			}
			return
		}
		if err != nil {
			var de *directiveError
			if !assert.ErrorAs(t, err, &de) || de.Pos < 1 {
				t.Fatalf("error %v has no position in the directive", err)
			}
			return
		}
		spec := d.Spec()
		if spec == nil {
			t.Fatalf("accepted unknown verb %q", d.Verb)
		}
		if spec.Arg == noArg && d.Arg != "" {
			t.Fatalf("accepted an argument for %q", d.Verb)
		}
		for _, o := range d.Options {
			if spec.option(o.Key) == nil {
				t.Fatalf("accepted option %q for %q", o.Key, d.Verb)
			}
		}
		if d.Timeout < 0 || d.Order < 0 {
			t.Fatalf("accepted a negative value: %+v", d)
		}
		if !strings.HasPrefix(text, "//cleanup:") {
			t.Fatalf("accepted %q", text)
		}
	})
}
