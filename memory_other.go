//go:build !linux || !cgo

package main

// trimHeap does nothing where the C heap is not glibc's.
func trimHeap() {}
