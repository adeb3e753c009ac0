// Package diag_nonstruct has client directives on types that are not structs.
package diag_nonstruct

import "io"

//cleanup:client
type Handle int

// Closer is an interface.
//
//cleanup:client timeout=1s
type Closer interface{ io.Closer }

type Plain struct{}

//cleanup:client
type Alias = Plain
