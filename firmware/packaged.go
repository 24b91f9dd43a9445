package firmware

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// SlotPackage is the Active.Slot of a bundle run from the directory the
// package manager installed it in (OpenPackaged), not from a slot of a
// Store.
const SlotPackage Slot = "package"

// ErrNotPackaged is wrapped by CheckPackageFile when a file could have been
// written by someone other than the package manager.
var ErrNotPackaged = errors.New("not a package file")

// CheckPackageFile says whether the file at path, and the directory it is
// in, can only have been written by the package manager: a regular file
// owned by root, in a directory owned by root, neither writable by group
// or others. It is the provenance check behind OpenPackaged: dpkg (or any
// package manager running as root) guarantees what it writes there, so an
// unsigned bundle there is as trustworthy as the daemon's own binary.
//
// Only uid 0 counts as the package manager, so a file the daemon's own
// user could have written (its state directory, where OTA bundles land) is
// never trusted this way.
func CheckPackageFile(path string) error {
	for _, p := range []string{path, filepath.Dir(path)} {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("firmware: package file: %w", err)
		}
		if p == path && !st.Mode().IsRegular() {
			return fmt.Errorf("firmware: %s: %w: not a regular file", p, ErrNotPackaged)
		}
		if st.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("firmware: %s: %w: writable by group or others (mode %v)", p, ErrNotPackaged, st.Mode().Perm())
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 {
			return fmt.Errorf("firmware: %s: %w: owned by uid %d, not root", p, ErrNotPackaged, sys.Uid)
		}
	}
	return nil
}

// OpenPackaged verifies and self-tests a bundle read from a package file
// (see CheckPackageFile, which the caller runs on the file first) and
// returns it as the Active model with Slot SlotPackage. It applies the
// store's policy with one difference: a bundle without signatures is
// accepted, its provenance being the package. A bundle that does carry
// signatures must verify under opts.Trust as it would in a Store, and the
// sensor kind must match. Such a bundle is never copied into a Store: a
// bundle that reaches the device any other way (OTA) still needs a trusted
// signature.
func OpenPackaged(ctx context.Context, data []byte, opts Options) (*Active, error) {
	opts.Signatures = AllowUnsigned
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if len(data) > opts.MaxBundleSize {
		return nil, fmt.Errorf("firmware: bundle of %d bytes exceeds the limit of %d: %w", len(data), opts.MaxBundleSize, ErrMalformed)
	}
	b, signers, err := Verify(data, Policy{Trust: opts.Trust, Signatures: AllowUnsigned, UnknownKeys: opts.UnknownKeys, Kind: opts.Kind})
	if err != nil {
		return nil, err
	}
	models, err := SelfTest(ctx, b, opts.Loader)
	if err != nil {
		return nil, err
	}
	return &Active{Slot: SlotPackage, Bundle: b, Models: models, Signers: signers}, nil
}
