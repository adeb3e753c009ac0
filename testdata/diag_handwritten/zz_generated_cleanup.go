// Package diag_handwritten: written by hand.
package diag_handwritten

func handwritten() {}
