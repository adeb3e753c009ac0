// Package diag_guard_missing has a client without a runtime.Guard.
package diag_guard_missing

import "io"

//cleanup:client
type Client struct {
	//cleanup:close
	body io.Closer
}
