package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FS is where the outbox keeps its files: a flat namespace of small files.
// DirFS is the real one; tests substitute one whose writes fail.
type FS interface {
	// WriteFile stores data under name atomically and durably: after it
	// returns nil, a crash leaves either the old or the new content.
	WriteFile(name string, data []byte) error
	ReadFile(name string) ([]byte, error)
	Remove(name string) error // a missing file is not an error
	List() ([]string, error)  // names, sorted
}

// DirFS is an FS in a directory, created on first write.
type DirFS string

// WriteFile writes a temporary file, syncs it, renames it over name and
// syncs the directory.
func (d DirFS) WriteFile(name string, data []byte) error {
	if err := os.MkdirAll(string(d), 0o750); err != nil {
		return err
	}
	tmp := filepath.Join(string(d), name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(string(d), name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(string(d))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadFile reads name.
func (d DirFS) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name))
}

// Remove deletes name.
func (d DirFS) Remove(name string) error {
	err := os.Remove(filepath.Join(string(d), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// List returns the file names in the directory; none if it does not exist.
func (d DirFS) List() ([]string, error) {
	ents, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func msgName(id uint64) string { return fmt.Sprintf("%016x.msg", id) }

func parseMsgName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, ".msg")
	if !ok || len(hex) != 16 {
		return 0, false
	}
	var id uint64
	for _, c := range hex {
		switch {
		case c >= '0' && c <= '9':
			id = id<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			id = id<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return id, true
}
