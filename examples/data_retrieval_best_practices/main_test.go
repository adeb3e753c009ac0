package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wantLines are printed by every successful run.
var wantLines = []string{
	"4 cameras: cam-a (png 150x103)",
	"site-south  yard/north      13   jpeg 150x103",
	"no-such-camera  1    not found on the server",
	"client closed: telemetry flushed, session ended, goroutines stopped",
	"calls after Close return runtime.ErrClosed",
	"teardown step sources          ok",
}

func checkOutput(t *testing.T, out string) {
	t.Helper()
	for _, want := range wantLines {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRun runs the example in-process, with the embedded server and against
// a separate one given by -url, under both rollback settings.
func TestRun(t *testing.T) {
	t.Setenv("VISION_URL", "")
	for _, deadlines := range []bool{true, false} {
		for _, external := range []bool{false, true} {
			name := map[bool]string{true: "deadlines-on", false: "deadlines-off"}[deadlines] +
				map[bool]string{true: "/url", false: "/embedded"}[external]
			t.Run(name, func(t *testing.T) {
				defer runtime.SetDeadlines(deadlines)()
				args := []string{"-watch", "100ms"}
				if external {
					srv := visiontest.NewServer(t)
					args = append(args, "-url", srv.URL)
				}
				var out bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := run(ctx, &out, args); err != nil {
					t.Fatalf("run: %v\n%s", err, out.String())
				}
				checkOutput(t, out.String())
				if want := "deadlines on teardown: " + map[bool]string{true: "true", false: "false"}[deadlines]; !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q", want)
				}
				if external && strings.Contains(out.String(), "embedded vision server") {
					t.Error("started an embedded server although -url was given")
				}
			})
		}
	}
}

// TestProgram builds the example and runs it as a user would, with
// CLEANUPGEN_DEADLINES=off and VISION_URL set, and with neither.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "example")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	srv := visiontest.NewServer(t)
	for _, env := range [][]string{nil, {"CLEANUPGEN_DEADLINES=off", "VISION_URL=" + srv.URL}} {
		cmd := exec.Command(bin, "-watch", "100ms")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", env, err, out)
		}
		checkOutput(t, string(out))
		if env != nil && !strings.Contains(string(out), "deadlines on teardown: false") {
			t.Errorf("CLEANUPGEN_DEADLINES=off not honoured:\n%s", out)
		}
	}
	if srv.Stats().SessionsEnded != 3 {
		t.Errorf("the program against VISION_URL ended %d sessions, want its 3", srv.Stats().SessionsEnded)
	}
}

// TestBadFlag checks that usage errors are returned, not fatal.
func TestBadFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-nope"}); err == nil {
		t.Error("run with an unknown flag succeeded")
	}
}
