// Package benchmarks compares the Close methods that cleanupgen generates
// with the other ways of writing Close: a hand-written deadline wrapper,
// errgroup, go.uber.org/fx's App.Stop and a plain sequential Close.
//
// It is a module of its own, so that fx, gonum/plot and the rest never
// reach users of github.com/cleanupgen/cleanupgen. The figures, and how to
// reproduce them, are in docs/performance.md at the root of the repository:
//
//	go test -run '^$' -bench . -benchtime 100ms -count 6 | tee new.txt
//	go tool benchstat -col /impl new.txt
//	go run ./cmd/overshoot
//	go run ./cmd/visionclose
//	go run ./cmd/plot -o ../docs/close-time.png
//
// The client structs in clients.go carry //cleanup: directives; after
// changing them, run go generate ./... here.
package benchmarks
