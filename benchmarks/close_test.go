package benchmarks

import (
	"fmt"
	"testing"
	"time"
)

// hungDeadline is the deadline of the benchmarks whose resources hang.
const hungDeadline = 10 * time.Millisecond

// chunk is how many clients are built, outside the measured time, before
// they are closed one after the other.
const chunk = 256

// BenchmarkClose closes 1, 8 and 64 resources that do nothing, sleep for a
// millisecond or hang, with every approach: sequentially (order=seq) and
// concurrently (order=conc). Only Close is measured; building the clients
// (and starting the fx application) is not. Resources that hang get a 10ms
// deadline, and approaches without a deadline are skipped there: they hang.
func BenchmarkClose(b *testing.B) {
	for _, seq := range []bool{true, false} {
		order := map[bool]string{true: "seq", false: "conc"}[seq]
		for _, n := range []int{1, 8, 64} {
			for _, beh := range Behaviors {
				for _, a := range Approaches {
					if a.Seq != seq {
						continue
					}
					name := fmt.Sprintf("order=%s/n=%d/res=%s/impl=%s", order, n, beh, a.Name)
					b.Run(name, func(b *testing.B) {
						if beh == Hung && !a.Deadline {
							b.Skip("hangs: no deadline")
						}
						benchClose(b, a, n, beh)
					})
				}
			}
		}
	}
}

func benchClose(b *testing.B, a Approach, n int, beh Behavior) {
	release := make(chan struct{})
	b.Cleanup(func() { close(release) })
	deadline := ClientTimeout
	if beh == Hung {
		deadline = hungDeadline
	}
	closers := make([]func() error, 0, chunk)
	b.ReportAllocs()
	b.StopTimer()
	for i := 0; i < b.N; {
		closers = closers[:0]
		for range min(chunk, b.N-i) {
			fn, err := a.Prepare(NewResources(n, beh, release), deadline)
			if err != nil {
				b.Fatal(err)
			}
			if fn == nil {
				b.Skip("no such client")
			}
			closers = append(closers, fn)
		}
		b.StartTimer()
		for _, fn := range closers {
			err := fn()
			if beh == Hung && err == nil {
				b.Fatal("Close returned nil with a hung resource")
			}
			if beh != Hung && err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		i += len(closers)
	}
}
