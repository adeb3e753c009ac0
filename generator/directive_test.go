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
		want    Directive // Pos and ArgPos are not compared
		wantErr string
	}{
		{text: "// cleanup:close", ok: false},
		{text: "//go:generate cleanupgen", ok: false},
		{text: "/*cleanup:close*/", ok: false},
		{text: "//cleanup:client", ok: true, want: Directive{Verb: "client"}},
		{text: "//cleanup:client timeout=250ms", ok: true, want: Directive{Verb: "client", Timeout: 250 * time.Millisecond,
			Options: []Option{{Key: "timeout", Value: "250ms"}}}},
		{text: "//cleanup:close", ok: true, want: Directive{Verb: "close"}},
		{text: "//cleanup:close Shutdown force=Close timeout=2s order=4", ok: true, want: Directive{
			Verb: "close", Arg: "Shutdown", Force: "Close", Timeout: 2 * time.Second, Order: 4, HasOrder: true,
			Options: []Option{{Key: "force", Value: "Close"}, {Key: "timeout", Value: "2s"}, {Key: "order", Value: "4"}}}},
		{text: "//cleanup:cancel order=0", ok: true, want: Directive{Verb: "cancel", HasOrder: true,
			Options: []Option{{Key: "order", Value: "0"}}}},
		{text: "//cleanup:wait", ok: true, want: Directive{Verb: "wait"}},
		{text: "//cleanup:nil", ok: true, want: Directive{Verb: "nil"}},
		{text: "//cleanup:ignore", ok: true, want: Directive{Verb: "ignore"}},
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
		{text: "//cleanup:nil order=1", ok: true, wantErr: "it takes no options"},
		{text: "//cleanup:wait force=Stop", ok: true, wantErr: `unknown option "force"`},
		{text: "//cleanup:close order=1 order=2", ok: true, wantErr: "given twice"},
		{text: `//cleanup:close "unterminated`, ok: true, wantErr: "quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d, ok, err := ParseDirective(100, tt.text)
			require.Equal(t, tt.ok, ok)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var de *DirectiveError
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
	d, ok, err := ParseDirective(10, "//cleanup:close Shutdown force=Close")
	require.True(t, ok)
	require.NoError(t, err)
	assert.EqualValues(t, 10+len("//cleanup:close "), d.ArgPos)
	assert.EqualValues(t, 10+len("//cleanup:close Shutdown "), d.Options[0].Pos)
	v, found := d.Option("force")
	assert.True(t, found)
	assert.Equal(t, "Close", v)
	assert.Equal(t, "close", d.Spec().Verb)
}

func TestHelpCoversEveryVerbAndOption(t *testing.T) {
	help := Help()
	for _, v := range Verbs {
		assert.Contains(t, help, v.Syntax)
		for _, o := range v.Options {
			assert.Contains(t, help, o.Key+"=")
		}
	}
	assert.True(t, IsDirective("//cleanup:anything"))
	assert.False(t, IsDirective("//other:close"))
}

// FuzzParseDirective checks that the parser never panics, and that what it
// accepts is consistent with the Verbs table.
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
		d, ok, err := ParseDirective(1, text)
		if !ok {
			if err != nil {
				t.Fatalf("not a directive, yet an error: %v", err)
			}
			return
		}
		if err != nil {
			var de *DirectiveError
			if !assert.ErrorAs(t, err, &de) || de.Pos < 1 {
				t.Fatalf("error %v has no position in the directive", err)
			}
			return
		}
		spec := d.Spec()
		if spec == nil {
			t.Fatalf("accepted unknown verb %q", d.Verb)
		}
		if spec.Arg == NoArg && d.Arg != "" {
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
