// Package importclash declares names that the generated imports would take.
package importclash

import (
	ctx "context"
	rt "github.com/cleanupgen/cleanupgen/runtime"
)

var time = "noon"

func strconv() string { return time }

//cleanup:client
type Client struct {
	guard rt.Guard
	//cleanup:cancel timeout=1s
	cancel ctx.CancelFunc
	//cleanup:close
	items []*Item
}

type Item struct{}

func (*Item) Close(ctx.Context) error { return nil }
