package firmwaretest

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"
	"syscall"

	"github.com/sensortrust/trustagent/firmware"
)

// ErrPowerCut is returned by every MemFS operation after a simulated power
// cut, until Reboot.
var ErrPowerCut = errors.New("firmwaretest: power cut")

// MemFS is an in-memory firmware.FS that models durability the way a
// pessimistic journaling file system does: written data is durable only
// after the file's Sync, and creates, renames and removes are durable only
// after SyncDir. Reboot drops everything that was not durable.
//
// Faults: CutPowerAfter(n) lets n more mutating operations (Create, Write,
// Sync, Close, Rename, Remove, SyncDir) succeed and fails every later one
// with ErrPowerCut, freezing the state as at the cut. Capacity bounds the
// total bytes of all files; a Write beyond it fails with ENOSPC.
type MemFS struct {
	mu       sync.Mutex
	names    map[string]*inode // directory as the running system sees it
	durable  map[string]*inode // directory as it is on disk
	ops      int               // mutating operations done
	cutAfter int               // -1: no cut planned
	dead     bool
	// Capacity, when > 0, is the disk size in bytes.
	Capacity int
}

type inode struct {
	data   []byte // as the running system sees it
	synced []byte // on disk
}

// NewMemFS returns an empty file system.
func NewMemFS() *MemFS {
	return &MemFS{names: map[string]*inode{}, durable: map[string]*inode{}, cutAfter: -1}
}

// Ops returns how many mutating operations have succeeded so far.
func (m *MemFS) Ops() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops
}

// CutPowerAfter lets n more mutating operations succeed, then cuts power.
func (m *MemFS) CutPowerAfter(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cutAfter = m.ops + n
}

// Reboot ends a power cut. With keepVolatile false, everything not made
// durable is lost (the worst case); with true, everything done before the
// cut survives (the best case). A correct writer works in both.
func (m *MemFS) Reboot(keepVolatile bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if keepVolatile {
		for _, in := range m.names {
			in.synced = append([]byte(nil), in.data...)
		}
		m.durable = copyDir(m.names)
	} else {
		m.names = copyDir(m.durable)
		for _, in := range m.names {
			in.data = append([]byte(nil), in.synced...)
		}
	}
	m.dead = false
	m.cutAfter = -1
}

func copyDir(d map[string]*inode) map[string]*inode {
	c := make(map[string]*inode, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

// step accounts for one mutating operation; callers hold mu.
func (m *MemFS) step() error {
	if m.dead {
		return ErrPowerCut
	}
	if m.cutAfter >= 0 && m.ops >= m.cutAfter {
		m.dead = true
		return ErrPowerCut
	}
	m.ops++
	return nil
}

func (m *MemFS) used() int {
	seen := map[*inode]bool{}
	n := 0
	for _, d := range []map[string]*inode{m.names, m.durable} {
		for _, in := range d {
			if !seen[in] {
				seen[in] = true
				n += max(len(in.data), len(in.synced))
			}
		}
	}
	return n
}

// Names lists the files the running system sees.
func (m *MemFS) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.names {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadFile implements firmware.FS.
func (m *MemFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead {
		return nil, ErrPowerCut
	}
	in, ok := m.names[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), in.data...), nil
}

// Create implements firmware.FS.
func (m *MemFS) Create(name string) (firmware.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return nil, err
	}
	in := &inode{}
	m.names[name] = in
	return &memFile{fs: m, in: in, name: name}, nil
}

// Rename implements firmware.FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	in, ok := m.names[oldname]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	m.names[newname] = in
	delete(m.names, oldname)
	return nil
}

// Remove implements firmware.FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	if _, ok := m.names[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.names, name)
	return nil
}

// SyncDir implements firmware.FS.
func (m *MemFS) SyncDir() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	m.durable = copyDir(m.names)
	return nil
}

type memFile struct {
	fs     *MemFS
	in     *inode
	name   string
	closed bool
}

func (f *memFile) Write(p []byte) (int, error) {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return 0, err
	}
	if f.closed {
		return 0, fs.ErrClosed
	}
	n := len(p)
	if m.Capacity > 0 {
		if free := m.Capacity - m.used() + max(0, len(f.in.synced)-len(f.in.data)); n > free {
			n = max(free, 0)
		}
	}
	f.in.data = append(f.in.data, p[:n]...)
	if n < len(p) {
		return n, &fs.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	return n, nil
}

func (f *memFile) Sync() error {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	f.in.synced = append([]byte(nil), f.in.data...)
	return nil
}

func (f *memFile) Close() error {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step(); err != nil {
		return err
	}
	if f.closed {
		return fmt.Errorf("firmwaretest: %s: %w", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}
