module github.com/cleanupgen/cleanupgen/benchmarks

go 1.26.0

replace github.com/cleanupgen/cleanupgen => ../

require (
	github.com/cleanupgen/cleanupgen v0.0.0-00010101000000-000000000000
	go.uber.org/fx v1.24.0
	golang.org/x/sync v0.24.0
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/dave/jennifer v1.7.1 // indirect
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)

tool github.com/cleanupgen/cleanupgen/cmd/cleanupgen

tool golang.org/x/perf/cmd/benchstat
