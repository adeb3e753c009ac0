package benchmarks

// The client structs that the generated Close methods tear down: the same
// resources as the other approaches, declared with //cleanup: directives.
// Seq* put each resource in a phase of its own (order=N), so they close one
// after the other; Conc* put them all in one phase, so they close
// concurrently; Array64 is Conc64 written as a collection field, torn down
// element by element.
//
// The timeout is long on purpose: the benchmarks pass their own deadline
// through CloseContext when they want a short one.

import (
	"context"
	"fmt"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// One holds one resource.
//
//go:generate go tool cleanupgen
//cleanup:client timeout=10s
type One struct {
	guard runtime.Guard
	r0    *Resource //cleanup:close
}

func newOne(rs []*Resource) *One {
	return &One{r0: rs[0]}
}

// Seq8 closes eight resources one after the other.
//
//cleanup:client timeout=10s
type Seq8 struct {
	guard runtime.Guard
	r0    *Resource //cleanup:close order=0
	r1    *Resource //cleanup:close order=1
	r2    *Resource //cleanup:close order=2
	r3    *Resource //cleanup:close order=3
	r4    *Resource //cleanup:close order=4
	r5    *Resource //cleanup:close order=5
	r6    *Resource //cleanup:close order=6
	r7    *Resource //cleanup:close order=7
}

func newSeq8(rs []*Resource) *Seq8 {
	return &Seq8{r0: rs[0], r1: rs[1], r2: rs[2], r3: rs[3], r4: rs[4], r5: rs[5], r6: rs[6], r7: rs[7]}
}

// Conc8 closes eight resources concurrently.
//
//cleanup:client timeout=10s
type Conc8 struct {
	guard runtime.Guard
	r0    *Resource //cleanup:close
	r1    *Resource //cleanup:close
	r2    *Resource //cleanup:close
	r3    *Resource //cleanup:close
	r4    *Resource //cleanup:close
	r5    *Resource //cleanup:close
	r6    *Resource //cleanup:close
	r7    *Resource //cleanup:close
}

func newConc8(rs []*Resource) *Conc8 {
	return &Conc8{r0: rs[0], r1: rs[1], r2: rs[2], r3: rs[3], r4: rs[4], r5: rs[5], r6: rs[6], r7: rs[7]}
}

// Seq64 closes 64 resources one after the other.
//
//cleanup:client timeout=10s
type Seq64 struct {
	guard runtime.Guard
	r0    *Resource //cleanup:close order=0
	r1    *Resource //cleanup:close order=1
	r2    *Resource //cleanup:close order=2
	r3    *Resource //cleanup:close order=3
	r4    *Resource //cleanup:close order=4
	r5    *Resource //cleanup:close order=5
	r6    *Resource //cleanup:close order=6
	r7    *Resource //cleanup:close order=7
	r8    *Resource //cleanup:close order=8
	r9    *Resource //cleanup:close order=9
	r10   *Resource //cleanup:close order=10
	r11   *Resource //cleanup:close order=11
	r12   *Resource //cleanup:close order=12
	r13   *Resource //cleanup:close order=13
	r14   *Resource //cleanup:close order=14
	r15   *Resource //cleanup:close order=15
	r16   *Resource //cleanup:close order=16
	r17   *Resource //cleanup:close order=17
	r18   *Resource //cleanup:close order=18
	r19   *Resource //cleanup:close order=19
	r20   *Resource //cleanup:close order=20
	r21   *Resource //cleanup:close order=21
	r22   *Resource //cleanup:close order=22
	r23   *Resource //cleanup:close order=23
	r24   *Resource //cleanup:close order=24
	r25   *Resource //cleanup:close order=25
	r26   *Resource //cleanup:close order=26
	r27   *Resource //cleanup:close order=27
	r28   *Resource //cleanup:close order=28
	r29   *Resource //cleanup:close order=29
	r30   *Resource //cleanup:close order=30
	r31   *Resource //cleanup:close order=31
	r32   *Resource //cleanup:close order=32
	r33   *Resource //cleanup:close order=33
	r34   *Resource //cleanup:close order=34
	r35   *Resource //cleanup:close order=35
	r36   *Resource //cleanup:close order=36
	r37   *Resource //cleanup:close order=37
	r38   *Resource //cleanup:close order=38
	r39   *Resource //cleanup:close order=39
	r40   *Resource //cleanup:close order=40
	r41   *Resource //cleanup:close order=41
	r42   *Resource //cleanup:close order=42
	r43   *Resource //cleanup:close order=43
	r44   *Resource //cleanup:close order=44
	r45   *Resource //cleanup:close order=45
	r46   *Resource //cleanup:close order=46
	r47   *Resource //cleanup:close order=47
	r48   *Resource //cleanup:close order=48
	r49   *Resource //cleanup:close order=49
	r50   *Resource //cleanup:close order=50
	r51   *Resource //cleanup:close order=51
	r52   *Resource //cleanup:close order=52
	r53   *Resource //cleanup:close order=53
	r54   *Resource //cleanup:close order=54
	r55   *Resource //cleanup:close order=55
	r56   *Resource //cleanup:close order=56
	r57   *Resource //cleanup:close order=57
	r58   *Resource //cleanup:close order=58
	r59   *Resource //cleanup:close order=59
	r60   *Resource //cleanup:close order=60
	r61   *Resource //cleanup:close order=61
	r62   *Resource //cleanup:close order=62
	r63   *Resource //cleanup:close order=63
}

func newSeq64(rs []*Resource) *Seq64 {
	return &Seq64{r0: rs[0], r1: rs[1], r2: rs[2], r3: rs[3], r4: rs[4], r5: rs[5], r6: rs[6], r7: rs[7], r8: rs[8], r9: rs[9], r10: rs[10], r11: rs[11], r12: rs[12], r13: rs[13], r14: rs[14], r15: rs[15], r16: rs[16], r17: rs[17], r18: rs[18], r19: rs[19], r20: rs[20], r21: rs[21], r22: rs[22], r23: rs[23], r24: rs[24], r25: rs[25], r26: rs[26], r27: rs[27], r28: rs[28], r29: rs[29], r30: rs[30], r31: rs[31], r32: rs[32], r33: rs[33], r34: rs[34], r35: rs[35], r36: rs[36], r37: rs[37], r38: rs[38], r39: rs[39], r40: rs[40], r41: rs[41], r42: rs[42], r43: rs[43], r44: rs[44], r45: rs[45], r46: rs[46], r47: rs[47], r48: rs[48], r49: rs[49], r50: rs[50], r51: rs[51], r52: rs[52], r53: rs[53], r54: rs[54], r55: rs[55], r56: rs[56], r57: rs[57], r58: rs[58], r59: rs[59], r60: rs[60], r61: rs[61], r62: rs[62], r63: rs[63]}
}

// Conc64 closes 64 resources concurrently.
//
//cleanup:client timeout=10s
type Conc64 struct {
	guard runtime.Guard
	r0    *Resource //cleanup:close
	r1    *Resource //cleanup:close
	r2    *Resource //cleanup:close
	r3    *Resource //cleanup:close
	r4    *Resource //cleanup:close
	r5    *Resource //cleanup:close
	r6    *Resource //cleanup:close
	r7    *Resource //cleanup:close
	r8    *Resource //cleanup:close
	r9    *Resource //cleanup:close
	r10   *Resource //cleanup:close
	r11   *Resource //cleanup:close
	r12   *Resource //cleanup:close
	r13   *Resource //cleanup:close
	r14   *Resource //cleanup:close
	r15   *Resource //cleanup:close
	r16   *Resource //cleanup:close
	r17   *Resource //cleanup:close
	r18   *Resource //cleanup:close
	r19   *Resource //cleanup:close
	r20   *Resource //cleanup:close
	r21   *Resource //cleanup:close
	r22   *Resource //cleanup:close
	r23   *Resource //cleanup:close
	r24   *Resource //cleanup:close
	r25   *Resource //cleanup:close
	r26   *Resource //cleanup:close
	r27   *Resource //cleanup:close
	r28   *Resource //cleanup:close
	r29   *Resource //cleanup:close
	r30   *Resource //cleanup:close
	r31   *Resource //cleanup:close
	r32   *Resource //cleanup:close
	r33   *Resource //cleanup:close
	r34   *Resource //cleanup:close
	r35   *Resource //cleanup:close
	r36   *Resource //cleanup:close
	r37   *Resource //cleanup:close
	r38   *Resource //cleanup:close
	r39   *Resource //cleanup:close
	r40   *Resource //cleanup:close
	r41   *Resource //cleanup:close
	r42   *Resource //cleanup:close
	r43   *Resource //cleanup:close
	r44   *Resource //cleanup:close
	r45   *Resource //cleanup:close
	r46   *Resource //cleanup:close
	r47   *Resource //cleanup:close
	r48   *Resource //cleanup:close
	r49   *Resource //cleanup:close
	r50   *Resource //cleanup:close
	r51   *Resource //cleanup:close
	r52   *Resource //cleanup:close
	r53   *Resource //cleanup:close
	r54   *Resource //cleanup:close
	r55   *Resource //cleanup:close
	r56   *Resource //cleanup:close
	r57   *Resource //cleanup:close
	r58   *Resource //cleanup:close
	r59   *Resource //cleanup:close
	r60   *Resource //cleanup:close
	r61   *Resource //cleanup:close
	r62   *Resource //cleanup:close
	r63   *Resource //cleanup:close
}

func newConc64(rs []*Resource) *Conc64 {
	return &Conc64{r0: rs[0], r1: rs[1], r2: rs[2], r3: rs[3], r4: rs[4], r5: rs[5], r6: rs[6], r7: rs[7], r8: rs[8], r9: rs[9], r10: rs[10], r11: rs[11], r12: rs[12], r13: rs[13], r14: rs[14], r15: rs[15], r16: rs[16], r17: rs[17], r18: rs[18], r19: rs[19], r20: rs[20], r21: rs[21], r22: rs[22], r23: rs[23], r24: rs[24], r25: rs[25], r26: rs[26], r27: rs[27], r28: rs[28], r29: rs[29], r30: rs[30], r31: rs[31], r32: rs[32], r33: rs[33], r34: rs[34], r35: rs[35], r36: rs[36], r37: rs[37], r38: rs[38], r39: rs[39], r40: rs[40], r41: rs[41], r42: rs[42], r43: rs[43], r44: rs[44], r45: rs[45], r46: rs[46], r47: rs[47], r48: rs[48], r49: rs[49], r50: rs[50], r51: rs[51], r52: rs[52], r53: rs[53], r54: rs[54], r55: rs[55], r56: rs[56], r57: rs[57], r58: rs[58], r59: rs[59], r60: rs[60], r61: rs[61], r62: rs[62], r63: rs[63]}
}

// Array64 closes 64 resources concurrently, as elements of one field.
//
//cleanup:client timeout=10s
type Array64 struct {
	guard runtime.Guard
	rs    [64]*Resource //cleanup:close
}

func newArray64(rs []*Resource) *Array64 {
	c := &Array64{}
	copy(c.rs[:], rs)
	return c
}

// Overshoot is the client of cmd/overshoot: one step that hangs, under a
// 50ms timeout.
//
//cleanup:client timeout=50ms
type Overshoot struct {
	guard runtime.Guard
	r     *Resource //cleanup:close
}

// NewOvershoot returns an Overshoot client that closes r.
func NewOvershoot(r *Resource) *Overshoot { return &Overshoot{r: r} }

// Generated is what cleanupgen generates for every client type.
type Generated interface {
	Close() error
	CloseContext(ctx context.Context) error
}

// NewGenerated returns a client of a generated type that holds rs: one phase
// per resource when seq is set, one phase for all of them otherwise, and
// with array set, a collection field (concurrent only).
func NewGenerated(rs []*Resource, seq, array bool) Generated {
	switch {
	case len(rs) == 1:
		return generated(newOne(rs))
	case len(rs) == 8 && seq:
		return generated(newSeq8(rs))
	case len(rs) == 8:
		return generated(newConc8(rs))
	case len(rs) == 64 && seq:
		return generated(newSeq64(rs))
	case len(rs) == 64 && array:
		return generated(newArray64(rs))
	case len(rs) == 64:
		return generated(newConc64(rs))
	}
	panic(fmt.Sprintf("benchmarks: no generated client for %d resources", len(rs)))
}

// generated returns c as a Generated. It asserts at run time rather than
// converting, so that this file compiles, and cleanupgen can load the
// package, while zz_generated_cleanup.go does not exist yet.
func generated(c any) Generated { return c.(Generated) }
