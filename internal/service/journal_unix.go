//go:build unix

package service

import (
	"fmt"
	"os"
	"syscall"
)

// toJournal reports whether f is the stream systemd connected to journald
// (JOURNAL_STREAM holds its device and inode, see systemd.exec(5)).
func toJournal(f *os.File, getenv func(string) string) bool {
	js := getenv("JOURNAL_STREAM")
	if js == "" {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return js == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
