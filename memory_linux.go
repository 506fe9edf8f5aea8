//go:build linux && cgo

package main

// #include <malloc.h>
import "C"

// trimHeap hands the C heap's free memory back to the system: SQLite's page
// caches and statements live there, and glibc keeps what they freed in its
// arenas otherwise.
func trimHeap() { C.malloc_trim(0) }
