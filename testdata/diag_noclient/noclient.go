// Package diag_noclient has field directives on a struct that is not a client.
package diag_noclient

import "io"

type Holder struct {
	//cleanup:close
	body io.Closer
	done chan struct{} //cleanup:wait
}
