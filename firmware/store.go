package firmware

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/sensortrust/trustagent/sensors"
)

// Slot names one of the two install slots.
type Slot string

// The two slots.
const (
	SlotA Slot = "a"
	SlotB Slot = "b"
)

// Other returns the other slot.
func (s Slot) Other() Slot {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

func (s Slot) file() string { return "slot-" + string(s) + ".bundle" }

// pointerFile names the file that says which slot is active, or
// pointerNone after Retire.
const (
	pointerFile = "active"
	pointerNone = "none"
)

// errRetired is readPointer's answer for a retired store.
var errRetired = errors.New("retired")

// DefaultMaxBundleSize bounds a bundle a Store accepts.
const DefaultMaxBundleSize = 64 << 20

// Options configure a Store.
type Options struct {
	Trust         Verifiers        // keys the device accepts; required unless Signatures is AllowUnsigned
	Signatures    SignaturePolicy  // RequireSigned (default) or AllowUnsigned (development only)
	UnknownKeys   UnknownKeyPolicy // RejectUnknownKeys (default) or IgnoreUnknownKeys
	Kind          sensors.Kind     // the device's sensor kind; KindUnknown accepts any
	Loader        Loader           // loads model sections for the self-test; required
	MaxBundleSize int              // bytes; 0 means DefaultMaxBundleSize
}

func (o *Options) validate() error {
	if o.Loader == nil {
		return errors.New("firmware: options: Loader is required")
	}
	if o.Trust == nil && o.Signatures != AllowUnsigned {
		return errors.New("firmware: options: Trust is required unless Signatures is AllowUnsigned")
	}
	if o.Signatures > AllowUnsigned {
		return fmt.Errorf("firmware: options: unknown signature policy %d", o.Signatures)
	}
	if o.UnknownKeys > IgnoreUnknownKeys {
		return fmt.Errorf("firmware: options: unknown key policy %d", o.UnknownKeys)
	}
	if o.MaxBundleSize < 0 {
		return fmt.Errorf("firmware: options: negative MaxBundleSize")
	}
	if o.MaxBundleSize == 0 {
		o.MaxBundleSize = DefaultMaxBundleSize
	}
	return nil
}

// Active is the model a Store runs.
type Active struct {
	Slot    Slot
	Bundle  *Bundle
	Models  map[SectionType]Prober // loaded by Options.Loader and self-tested
	Signers []KeyID                // trusted keys whose signatures verified
	// Rollback, when not nil, says why the store is not running the slot the
	// pointer named (after Start) or the bundle just installed (after a
	// failed Install that had already switched slots).
	Rollback error
}

// Store installs bundles into two slots of a state directory and keeps
// track of the active one. Its methods are safe for concurrent use.
type Store struct {
	fs   FS
	opts Options

	mu      sync.Mutex
	started bool // Start has run (Install runs it first otherwise)
	retired bool // the pointer says none (Retire)
	active  *Active
}

// NewStore returns a Store over fsys. It does no I/O; call Start.
func NewStore(fsys FS, opts Options) (*Store, error) {
	if fsys == nil {
		return nil, errors.New("firmware: nil FS")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Store{fs: fsys, opts: opts}, nil
}

// Active returns the running model, or nil before a successful Start or
// Install.
func (s *Store) Active() *Active {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Start loads the active slot, verifies it and runs its self-test. When
// that fails it falls back to the other slot, makes it active and records
// why in Active.Rollback. With no pointer (a first install cut short) it
// takes the newest slot that works. It returns an error wrapping ErrNoModel
// when no slot works.
func (s *Store) Start(ctx context.Context) (*Active, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start(ctx)
}

func (s *Store) start(ctx context.Context) (*Active, error) {
	s.started = true
	s.active = nil
	ptr, perr := s.readPointer()
	s.retired = errors.Is(perr, errRetired)
	if s.retired {
		return nil, fmt.Errorf("firmware: %w: the installed model was retired", ErrNoModel)
	}
	if perr != nil && !errors.Is(perr, fs.ErrNotExist) {
		perr = fmt.Errorf("firmware: pointer: %w", perr)
	}
	if perr != nil {
		// No usable pointer: take whichever slot works, the newer if both do.
		a, errA := s.load(ctx, SlotA)
		b, errB := s.load(ctx, SlotB)
		switch {
		case errA == nil && (errB != nil || a.Bundle.Version >= b.Bundle.Version):
			return s.activate(a, nil)
		case errB == nil:
			return s.activate(b, nil)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("firmware: %w (slot a: %v; slot b: %v)", ErrNoModel, errA, errB)
	}
	a, err := s.load(ctx, ptr)
	if err == nil {
		s.active = a
		return a, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	b, err2 := s.load(ctx, ptr.Other())
	if err2 != nil {
		return nil, fmt.Errorf("firmware: %w (slot %s: %v; slot %s: %v)", ErrNoModel, ptr, err, ptr.Other(), err2)
	}
	return s.activate(b, fmt.Errorf("firmware: slot %s failed, rolled back to slot %s: %w", ptr, ptr.Other(), err))
}

// activate points the pointer at a.Slot if it is not there yet.
func (s *Store) activate(a *Active, why error) (*Active, error) {
	if ptr, err := s.readPointer(); err != nil || ptr != a.Slot {
		if err := writeAtomic(s.fs, pointerFile, []byte(string(a.Slot)+"\n")); err != nil {
			// Still run the working model; the next Start decides again.
			why = errors.Join(why, fmt.Errorf("firmware: could not record slot %s as active: %w", a.Slot, err))
		}
	}
	a.Rollback = why
	s.active = a
	return a, nil
}

// Install verifies data against the store's policy and the installed
// version, self-tests it, writes it to the inactive slot and makes it
// active. On any error before the switch the old model stays active; if the
// self-test of the bundle read back from disk fails after the switch, the
// pointer goes back and the error says so.
func (s *Store) Install(ctx context.Context, data []byte) (*Active, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(data) > s.opts.MaxBundleSize {
		return nil, fmt.Errorf("firmware: bundle of %d bytes exceeds the limit of %d: %w", len(data), s.opts.MaxBundleSize, ErrMalformed)
	}
	if !s.started {
		// Learn what is installed first, or the version check and the
		// choice of slot would be made blind.
		if _, err := s.start(ctx); err != nil && !errors.Is(err, ErrNoModel) {
			return nil, err
		}
	}
	old := s.active
	var installed uint64
	target := SlotA
	switch {
	case old != nil:
		installed = old.Bundle.Version
		target = old.Slot.Other()
	case s.retired:
		installed, target = s.floor()
	}
	b, _, err := Verify(data, s.policy(installed))
	if err != nil {
		return nil, err
	}
	if _, err := SelfTest(ctx, b, s.opts.Loader); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := writeAtomic(s.fs, target.file(), data); err != nil {
		return nil, err
	}
	if err := writeAtomic(s.fs, pointerFile, []byte(string(target)+"\n")); err != nil {
		// The pointer may or may not have moved (a failed directory sync
		// leaves it unknown): keep running the old model and let Start decide
		// after a restart; both slots hold verified bundles.
		return nil, err
	}
	a, err := s.load(ctx, target)
	if err == nil {
		s.active, s.retired = a, false
		return a, nil
	}
	if old == nil {
		s.active = nil
		if s.retired {
			// The other slot holds the retired model: do not let Start bring it back.
			if werr := writeAtomic(s.fs, pointerFile, []byte(pointerNone+"\n")); werr != nil {
				err = errors.Join(err, werr)
			}
		}
		return nil, fmt.Errorf("firmware: installed bundle failed after activation and there is no other slot: %w", err)
	}
	if werr := writeAtomic(s.fs, pointerFile, []byte(string(old.Slot)+"\n")); werr != nil {
		err = errors.Join(err, werr)
	}
	return nil, fmt.Errorf("firmware: installed bundle failed after activation, rolled back to slot %s: %w", old.Slot, err)
}

// Retire stops running the installed model (an operator chose another
// source for it): the pointer says none, Active returns nil, and Start
// finds no model (ErrNoModel) until the next Install. The slots stay, and
// the next Install must be newer than both of them, so a retired bundle,
// or an older one, cannot come back.
func (s *Store) Retire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeAtomic(s.fs, pointerFile, []byte(pointerNone+"\n")); err != nil {
		return err
	}
	s.started, s.retired, s.active = true, true, nil
	return nil
}

// floor is the version an install into a retired store must exceed (the
// newest slot's) and the slot to write (the other one).
func (s *Store) floor() (uint64, Slot) {
	var v [2]uint64
	for i, slot := range []Slot{SlotA, SlotB} {
		if data, err := s.fs.ReadFile(slot.file()); err == nil && len(data) <= s.opts.MaxBundleSize {
			if b, err := Parse(data); err == nil {
				v[i] = b.Version
			}
		}
	}
	if v[0] > v[1] {
		return v[0], SlotB
	}
	return v[1], SlotA
}

func (s *Store) policy(installed uint64) Policy {
	return Policy{Trust: s.opts.Trust, Signatures: s.opts.Signatures, UnknownKeys: s.opts.UnknownKeys, Kind: s.opts.Kind, Installed: installed}
}

// load reads, verifies and self-tests one slot.
func (s *Store) load(ctx context.Context, slot Slot) (*Active, error) {
	data, err := s.fs.ReadFile(slot.file())
	if err != nil {
		return nil, fmt.Errorf("firmware: slot %s: %w", slot, err)
	}
	if len(data) > s.opts.MaxBundleSize {
		return nil, fmt.Errorf("firmware: slot %s: %d bytes exceeds the limit: %w", slot, len(data), ErrMalformed)
	}
	b, signers, err := Verify(data, s.policy(0))
	if err != nil {
		return nil, fmt.Errorf("firmware: slot %s: %w", slot, err)
	}
	models, err := SelfTest(ctx, b, s.opts.Loader)
	if err != nil {
		return nil, fmt.Errorf("firmware: slot %s: %w", slot, err)
	}
	return &Active{Slot: slot, Bundle: b, Models: models, Signers: signers}, nil
}

func (s *Store) readPointer() (Slot, error) {
	p, err := s.fs.ReadFile(pointerFile)
	if err != nil {
		return "", err
	}
	switch Slot(strings.TrimSpace(string(p))) {
	case SlotA:
		return SlotA, nil
	case SlotB:
		return SlotB, nil
	case pointerNone:
		return "", errRetired
	}
	return "", fmt.Errorf("firmware: pointer file holds %q: %w", p, ErrMalformed)
}
