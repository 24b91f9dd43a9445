package firmware

import (
	"fmt"
	"io"
	"os"
)

// FS is the file system a Store writes through: a flat directory. Each
// method is one step that can fail or be cut by a power loss, so tests can
// stop an install after any of them.
type FS interface {
	// ReadFile returns a file's content; a missing file gives an error
	// satisfying errors.Is(err, fs.ErrNotExist).
	ReadFile(name string) ([]byte, error)
	// Create creates or truncates a file for writing.
	Create(name string) (File, error)
	// Rename replaces newname with oldname atomically.
	Rename(oldname, newname string) error
	// Remove deletes a file.
	Remove(name string) error
	// SyncDir makes earlier creates, renames and removes durable.
	SyncDir() error
}

// File is a file open for writing.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// DirFS is an FS over a real directory, confined to it with os.Root.
type DirFS struct {
	root *os.Root
}

// OpenDirFS opens (creating if needed, mode 0700) the directory dir.
func OpenDirFS(dir string) (*DirFS, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("firmware: state dir: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("firmware: state dir: %w", err)
	}
	return &DirFS{root: r}, nil
}

// Close releases the directory.
func (d *DirFS) Close() error { return d.root.Close() }

// ReadFile implements FS.
func (d *DirFS) ReadFile(name string) ([]byte, error) { return d.root.ReadFile(name) }

// Create implements FS.
func (d *DirFS) Create(name string) (File, error) {
	return d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

// Rename implements FS.
func (d *DirFS) Rename(oldname, newname string) error { return d.root.Rename(oldname, newname) }

// Remove implements FS.
func (d *DirFS) Remove(name string) error { return d.root.Remove(name) }

// SyncDir implements FS.
func (d *DirFS) SyncDir() error {
	f, err := d.root.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeAtomic replaces name with data: temporary file, write, fsync,
// close, rename, fsync of the directory. After a crash name holds either
// its old content or data, never a mix.
func writeAtomic(fsys FS, name string, data []byte) (err error) {
	tmp := name + ".tmp"
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("firmware: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			fsys.Remove(tmp) // best effort; a leftover .tmp is harmless
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("firmware: write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("firmware: sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("firmware: close %s: %w", tmp, err)
	}
	if err = fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("firmware: rename %s: %w", tmp, err)
	}
	if err = fsys.SyncDir(); err != nil {
		return fmt.Errorf("firmware: sync dir after %s: %w", name, err)
	}
	return nil
}
