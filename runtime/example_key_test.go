package runtime_test

import (
	"fmt"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// addr is a map key with a String method that KeyString does not call: a
// String method is user code, and may block or panic while a teardown
// names its steps.
type addr struct {
	host string
	port int
}

func (a addr) String() string { panic("not called") }

// KeyString names the elements of a map that a teardown closes one by one,
// as byName["a"] or conns[{"10.0.0.1" 5432}], without calling a method of
// the key.
func ExampleKeyString() {
	fmt.Println("byName[" + runtime.KeyString("a") + "]")
	fmt.Println("byID[" + runtime.KeyString(42) + "]")
	fmt.Println("conns[" + runtime.KeyString(addr{"10.0.0.1", 5432}) + "]")
	// Output:
	// byName["a"]
	// byID[42]
	// conns[{"10.0.0.1" 5432}]
}
