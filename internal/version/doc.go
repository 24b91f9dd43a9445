// Package version holds the build's version string, stamped by the linker
// from git (see the Makefile's LDFLAGS).
package version
