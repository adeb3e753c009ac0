// Package golangciplugin registers cleanupcheck as a golangci-lint v2 module
// plugin, so that a custom golangci-lint binary runs it with the other
// linters, shows its findings and applies its fixes with --fix: all but the
// one that rewrites a stale generated file, since golangci-lint applies only
// edits in the file a finding is reported in (run go generate for that).
//
// Build the binary with golangci-lint custom and a .custom-gcl.yml:
//
//	version: v2.15.0
//	plugins:
//	  - module: github.com/cleanupgen/cleanupgen
//	    import: github.com/cleanupgen/cleanupgen/analysis/golangciplugin
//	    version: v0.1.0
//
// and enable the linter in .golangci.yml:
//
//	version: "2"
//	linters:
//	  enable:
//	    - cleanupcheck
//	  settings:
//	    custom:
//	      cleanupcheck:
//	        type: module
//	        description: resources of //cleanup:client structs that nothing tears down
//	        settings:
//	          guard: true
//
// docs/linting.md in the repository walks through both, and through go vet
// and go fix.
package golangciplugin

import (
	"fmt"
	"strconv"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/analysis/cleanupcheck"
)

// Name is the name the plugin registers under: the key of
// linters.settings.custom in .golangci.yml and the linter's name in
// golangci-lint's output and in //nolint comments.
const Name = "cleanupcheck"

func init() {
	register.Plugin(Name, New)
}

// Settings are the plugin's settings in .golangci.yml
// (linters.settings.custom.cleanupcheck.settings). Unknown keys are an error.
type Settings struct {
	// Guard turns the rules on writes of managed fields without lock= and
	// on exported methods that use managed fields without Enter on (true)
	// or off (false), as cleanupcheck's -guard flag does. Absent means on.
	Guard *bool `json:"guard"`
}

// New returns the plugin for settings, as golangci-lint decoded them from
// .golangci.yml (nil when there are none). It returns an error for a key
// that Settings does not have.
func New(settings any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](settings)
	if err != nil {
		return nil, fmt.Errorf("%s settings: %w", Name, err)
	}
	return &plugin{settings: s}, nil
}

type plugin struct {
	settings Settings
}

// BuildAnalyzers returns cleanupcheck.Analyzer, its -guard flag set from the
// settings. The flag belongs to the one Analyzer of the process, so the
// last plugin built decides it: golangci-lint builds it once, before any
// analysis runs.
func (p *plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	guard := p.settings.Guard == nil || *p.settings.Guard
	if err := cleanupcheck.Analyzer.Flags.Set("guard", strconv.FormatBool(guard)); err != nil {
		return nil, err
	}
	return []*analysis.Analyzer{cleanupcheck.Analyzer}, nil
}

// GetLoadMode asks for type information: cleanupcheck reads the types of
// fields and renders the generated file, as cleanupgen would, to compare.
func (p *plugin) GetLoadMode() string {
	return register.LoadModeTypesInfo
}
