package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/cleanupgen/cleanupgen/generator"
)

// Before the first generation, code and tests that call a client's Close
// do not type-check, and an analysis of a package that does not type-check
// is skipped. cleanupgen loads packages with stand-ins for the generated
// files (generator.Stubs); so does cleanupcheck, run alone: it is its own
// go/packages driver (GOPACKAGESDRIVER), which lists the packages with
// those stand-ins as an -overlay and hands them to the analysis as files.
// Under go vet, the go command type-checks the package itself.

// driverEnv, set in the environment of the driver process, says that
// cleanupcheck runs as the go/packages driver of its parent.
const driverEnv = "CLEANUPCHECK_PACKAGES_DRIVER"

// useStubs makes go/packages, in this process, load through this
// executable as its driver, unless a driver is set already or cleanupcheck
// runs under go vet (one argument, a .cfg file).
func useStubs() {
	if len(os.Args) == 2 && strings.HasSuffix(os.Args[1], ".cfg") {
		return
	}
	if d := os.Getenv("GOPACKAGESDRIVER"); d != "" {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	os.Setenv("GOPACKAGESDRIVER", self)
	os.Setenv(driverEnv, "1")
}

// driver answers go/packages' request for the packages the arguments
// name, as go list would with the stand-ins in place, and returns the exit
// code.
func driver(patterns []string) int {
	var req packages.DriverRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "cleanupcheck: reading the go/packages request: %v\n", err)
		return 1
	}
	resp, err := respond(req, patterns)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cleanupcheck: %v\n", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintf(os.Stderr, "cleanupcheck: %v\n", err)
		return 1
	}
	return 0
}

func respond(req packages.DriverRequest, patterns []string) (*packages.DriverResponse, error) {
	env := req.Env
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(env, "GOPACKAGESDRIVER=off", driverEnv+"=")
	cfg := func(mode packages.LoadMode, overlay map[string][]byte) *packages.Config {
		return &packages.Config{Mode: mode, Env: env, BuildFlags: req.BuildFlags, Tests: req.Tests, Overlay: overlay}
	}

	// The stand-ins of the packages of the main module.
	listed, err := packages.Load(cfg(packages.NeedName|packages.NeedFiles|packages.NeedModule, req.Overlay), patterns...)
	if err != nil {
		return nil, err
	}
	overlay := map[string][]byte{}
	for path, text := range req.Overlay {
		overlay[path] = text
	}
	stubs := map[string]bool{}
	for _, p := range listed {
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for path, text := range generator.Stubs(p.Name, p.GoFiles, strings.HasSuffix(p.Name, "_test")) {
			// A generated file on disk is read as it is: whether it is
			// current is one of the findings.
			if _, err := os.Stat(path); err == nil {
				continue
			}
			if _, ok := req.Overlay[path]; !ok {
				overlay[path] = text
				stubs[path] = true
			}
		}
	}

	// The metadata of the packages with the stand-ins: the parent parses
	// and type-checks, from export data for the dependencies when it asks
	// for no syntax of theirs.
	mode := req.Mode &^ (packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedTypesSizes)
	if req.Mode&packages.NeedTypes != 0 && req.Mode&packages.NeedDeps == 0 {
		mode |= packages.NeedExportFile
	}
	pkgs, err := packages.Load(cfg(mode|packages.NeedImports|packages.NeedDeps, overlay), patterns...)
	if err != nil {
		return nil, err
	}
	// A stand-in is given to the parent as a file of its own, in the user
	// cache, named by its content: the parent reads the files it is told.
	moved := map[string]string{}
	for path := range stubs {
		dst, err := stubFile(path, overlay[path])
		if err != nil {
			return nil, err
		}
		moved[path] = dst
	}
	resp := &packages.DriverResponse{Compiler: "gc", Arch: runtime.GOARCH}
	if sizes := goarch(env); sizes != "" {
		resp.Arch = sizes
	}
	for _, p := range pkgs {
		resp.Roots = append(resp.Roots, p.ID)
	}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, files := range []*[]string{&p.GoFiles, &p.CompiledGoFiles} {
			for i, f := range *files {
				if dst, ok := moved[f]; ok {
					(*files)[i] = dst
				}
			}
		}
		resp.Packages = append(resp.Packages, p)
	})
	return resp, nil
}

// goarch is GOARCH as env sets it, if it does.
func goarch(env []string) string {
	arch := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOARCH="); ok {
			arch = v
		}
	}
	return arch
}

// stubFile writes the stand-in for path into the user cache, under a
// directory named by its content, and returns where.
func stubFile(path string, text []byte) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256(append([]byte(path+"\x00"), text...))
	dir := filepath.Join(cache, "cleanupcheck", "stubs", hex.EncodeToString(sum[:12]))
	dst := filepath.Join(dir, filepath.Base(path))
	if old, err := os.ReadFile(dst); err == nil && string(old) == string(text) {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "stub")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return dst, os.Rename(tmp.Name(), dst)
}
