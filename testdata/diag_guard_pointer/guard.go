// Package diag_guard_pointer has clients whose guard is a pointer.
package diag_guard_pointer

import "github.com/cleanupgen/cleanupgen/runtime"

//cleanup:client
type Embedded struct {
	*runtime.Guard
}

//cleanup:client
type Field struct {
	guard *runtime.Guard
}
