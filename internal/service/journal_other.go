//go:build !unix

package service

import "os"

// toJournal: journald exists on Linux only.
func toJournal(*os.File, func(string) string) bool { return false }
