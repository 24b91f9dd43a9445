package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otapaho"
)

// cmdBundle manages signed model bundles: keygen | sign | verify | inspect | push.
func cmdBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"keygen":  bundleKeygen,
		"sign":    bundleSign,
		"verify":  bundleVerify,
		"inspect": bundleInspect,
		"push":    bundlePush,
	}
	if len(args) == 0 {
		return usageError("missing subcommand: keygen | sign | verify | inspect | push (see 'trustctl bundle -h')")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, "usage: trustctl bundle keygen | sign | verify | inspect | push [flags]")
		fmt.Fprintln(stdout, "  keygen  --out NAME [--name KEYNAME]          write NAME.key (0600) and NAME.pub")
		fmt.Fprintln(stdout, "  sign    --key K --in B --out B2              append a signature")
		fmt.Fprintln(stdout, "  verify  --pub P [--sensor S] [--installed N] B   check a bundle as a robot would")
		fmt.Fprintln(stdout, "  inspect [--pub P] B                          summarise a bundle")
		fmt.Fprintln(stdout, "  push    --broker URL --robot ID [--prefix trust/v1] B   update a robot over MQTT")
		return nil
	}
	f, ok := subs[args[0]]
	if !ok {
		return usageError("unknown bundle subcommand %q", args[0])
	}
	return f(ctx, args[1:], stdout, stderr)
}

// pathList is a repeatable flag of key files or directories.
type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(s string) error { *p = append(*p, s); return nil }

func oneArg(fs *flag.FlagSet, what string) (string, error) {
	if fs.NArg() != 1 {
		return "", usageError("want exactly one %s argument, got %d", what, fs.NArg())
	}
	return fs.Arg(0), nil
}

func bundleKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bundle keygen", stderr)
	out := fs.String("out", "", "base path: writes `NAME`.key and NAME.pub")
	name := fs.String("name", "", "key name recorded in the files (default: base name of --out)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError("keygen needs --out NAME and no arguments")
	}
	if *name == "" {
		*name = filepath.Base(*out)
	}
	k, err := firmware.GenerateKey(*name, rand.Reader)
	if err != nil {
		return err
	}
	if err := firmware.WriteKeyPair(*out, k); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key %s id %s\nprivate %s.key (keep secret, mode 0600)\npublic  %s.pub (install in the robots' trust store)\n", k.Name, k.KeyID(), *out, *out)
	return nil
}

func bundleSign(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bundle sign", stderr)
	key := fs.String("key", "", "private key `file`")
	in := fs.String("in", "", "bundle to sign")
	out := fs.String("out", "", "signed bundle to write (may equal --in)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *key == "" || *in == "" || *out == "" || fs.NArg() != 0 {
		return usageError("sign needs --key, --in and --out")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	k, signed, err := signBundle(*key, data)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, signed); err != nil {
		return err
	}
	b, _ := firmware.Parse(signed)
	fmt.Fprintf(stdout, "signed %s with %s (%s); %d signature(s)\n", *out, k.Name, k.KeyID(), len(b.Signatures))
	return nil
}

// signBundle appends a signature by the private key in keyFile to a
// bundle: bundle sign, and train --host --key.
func signBundle(keyFile string, data []byte) (*firmware.PrivateKey, []byte, error) {
	k, err := firmware.ReadPrivateKey(keyFile)
	if err != nil {
		return nil, nil, err
	}
	signed, err := firmware.Sign(data, k)
	if err != nil {
		return nil, nil, err
	}
	return k, signed, nil
}

// writeFileAtomic writes via a temporary file and a rename, so signing in
// place never leaves half a bundle.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".bundle-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func loadTrust(pubs pathList) (*firmware.TrustStore, error) {
	if len(pubs) == 0 {
		return firmware.NewTrustStore(), nil
	}
	return firmware.LoadTrustStore(pubs...)
}

func bundleVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bundle verify", stderr)
	var pubs pathList
	fs.Var(&pubs, "pub", "public key `file or directory` of trusted keys (repeatable)")
	sensor := fs.String("sensor", "", "refuse unless the bundle is for this sensor kind (lidar, camera, range) or is a host bundle (host)")
	installed := fs.Uint64("installed", 0, "refuse unless the bundle is newer than this installed version")
	allowUnsigned := fs.Bool("allow-unsigned", false, "development mode: accept a bundle without signatures")
	ignoreUnknown := fs.Bool("ignore-unknown-keys", false, "ignore signatures by keys not in the trust store")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "bundle")
	if err != nil {
		return err
	}
	if len(pubs) == 0 && !*allowUnsigned {
		return usageError("verify needs --pub (or --allow-unsigned for development)")
	}
	ts, err := loadTrust(pubs)
	if err != nil {
		return err
	}
	pol := firmware.Policy{Trust: ts, Installed: *installed}
	if *allowUnsigned {
		pol.Signatures = firmware.AllowUnsigned
	}
	if *ignoreUnknown {
		pol.UnknownKeys = firmware.IgnoreUnknownKeys
	}
	if *sensor != "" {
		k, ok := firmware.ParseKindName(*sensor)
		if !ok {
			return usageError("unknown sensor kind %q", *sensor)
		}
		pol.Kind = k
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, signers, err := firmware.Verify(data, pol)
	if err != nil {
		return fmt.Errorf("%s: refused (%s): %w", path, firmware.Code(err), err)
	}
	ids := make([]string, len(signers))
	for i, id := range signers {
		ids[i] = id.String()
	}
	who := "unsigned (development mode)"
	if len(ids) > 0 {
		who = "signed by " + strings.Join(ids, ", ")
	}
	fmt.Fprintf(stdout, "%s: OK: %s version %d for %s, %s\n", path, b.ModelID, b.Version, firmware.KindName(b.Kind), who)
	return nil
}

func bundleInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bundle inspect", stderr)
	var pubs pathList
	fs.Var(&pubs, "pub", "public key `file or directory` to check signatures against (repeatable)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "bundle")
	if err != nil {
		return err
	}
	ts, err := loadTrust(pubs)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, err := firmware.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	w := &errWriter{w: stdout}
	d := b.Digest()
	file := sha256.Sum256(data)
	w.printf("bundle   %s (%d bytes, format %d)\n", path, len(data), firmware.FormatVersion)
	w.printf("model    %s version %d\n", b.ModelID, b.Version)
	w.printf("sensor   %s, representation %d\n", firmware.KindName(b.Kind), b.Representation)
	w.printf("content  sha256:%s (matches the recorded hash)\n", hex.EncodeToString(d[:]))
	w.printf("file     sha256:%s (OTA transfer %s)\n", hex.EncodeToString(file[:]), ota.IDOf(data))
	w.printf("sections\n")
	for _, s := range b.Sections {
		w.printf("  %-14s %8d bytes  %s\n", s.Type, len(s.Data), describeSection(s))
	}
	w.printf("signatures\n")
	if len(b.Signatures) == 0 {
		w.printf("  none (only a development-mode robot installs it)\n")
	}
	checks, err := firmware.CheckSignatures(data, ts)
	if err != nil {
		return err
	}
	for _, c := range checks {
		state := "verified"
		var uk *firmware.UnknownKeyError
		switch {
		case errors.As(c.Err, &uk):
			state = "not checked: key not given (--pub)"
		case c.Err != nil:
			state = "BAD SIGNATURE"
		}
		w.printf("  %s %-16s %s\n", c.KeyID, c.Name, state)
	}
	return w.err
}

func describeSection(s firmware.Section) string {
	switch s.Type {
	case firmware.SectionCalibration:
		c, err := firmware.ParseCalibration(s.Data)
		if err != nil {
			return "INVALID: " + err.Error()
		}
		var parts []string
		for _, t := range c.Thresholds {
			parts = append(parts, fmt.Sprintf("%s=%d", t.Name, t.Value))
		}
		for _, st := range c.Stats {
			parts = append(parts, fmt.Sprintf("%s=%g", st.Name, st.Value))
		}
		return fmt.Sprintf("target FPR %g; %s", c.TargetFPR, strings.Join(parts, " "))
	case firmware.SectionMetadata:
		m, err := firmware.ParseMetadata(s.Data)
		if err != nil {
			return "INVALID: " + err.Error()
		}
		return fmt.Sprintf("trained %s by trustctl %s, seed %d, data sha256:%s", m.Created.Format(time.RFC3339), m.ToolVersion, m.Seed, hex.EncodeToString(m.DataHash[:8]))
	case firmware.SectionProbes:
		ps, err := firmware.ParseProbes(s.Data)
		if err != nil {
			return "INVALID: " + err.Error()
		}
		per := map[firmware.SectionType]int{}
		for _, p := range ps {
			per[p.Section]++
		}
		return fmt.Sprintf("%d probes (vae %d, health %d)", len(ps), per[firmware.SectionVAE], per[firmware.SectionHealth])
	}
	if !s.Type.Known() {
		return "skipped by this reader"
	}
	return ""
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

func bundlePush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bundle push", stderr)
	broker := fs.String("broker", "", "MQTT broker `URL`, e.g. tcp://broker:1883 or ssl://broker:8883")
	robot := fs.String("robot", "", "robot `id`: topics are PREFIX/ID/cmd/model and PREFIX/ID/model/status")
	prefix := fs.String("prefix", "trust/v1", "topic prefix before the robot id")
	clientID := fs.String("client-id", "", "MQTT client id (default: trustctl-push-<random>)")
	username := fs.String("username", "", "MQTT username; the password comes from $TRUSTCTL_MQTT_PASSWORD")
	chunk := fs.Int("chunk", ota.DefaultChunkSize, "chunk size in bytes")
	ackTimeout := fs.Duration("ack-timeout", ota.DefaultAckTimeout, "wait for each acknowledgement")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "bundle")
	if err != nil {
		return err
	}
	if *broker == "" || *robot == "" {
		return usageError("push needs --broker and --robot")
	}
	if strings.ContainsAny(*robot, "/+#") || strings.ContainsAny(*prefix, "+#") {
		return usageError("robot id and prefix must not contain MQTT wildcards")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, err := firmware.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: will not push: %w", path, err)
	}
	if *clientID == "" {
		var r [4]byte
		rand.Read(r[:])
		*clientID = "trustctl-push-" + hex.EncodeToString(r[:])
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	po := paho.NewClientOptions().AddBroker(*broker).SetClientID(*clientID).SetCleanSession(true).
		SetAutoReconnect(true).SetOrderMatters(false).SetConnectTimeout(10 * time.Second)
	if *username != "" {
		po.SetUsername(*username)
		po.SetPassword(os.Getenv("TRUSTCTL_MQTT_PASSWORD"))
	}
	pc := paho.NewClient(po)
	tok := pc.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("connect %s: %w", *broker, err)
		}
	case <-ctx.Done():
		return fmt.Errorf("connect %s: %w", *broker, ctx.Err())
	}
	defer pc.Disconnect(250)
	topicPrefix := strings.TrimSuffix(*prefix, "/") + "/" + *robot
	last := -1
	res, err := ota.Push(ctx, otapaho.New(pc), data, ota.SenderOptions{
		Prefix: topicPrefix, ChunkSize: *chunk, AckTimeout: *ackTimeout,
		Progress: func(stored, total int) {
			if pct := stored * 100 / total; pct/10 != last/10 {
				last = pct
				fmt.Fprintf(stderr, "%s: %d%% (%d of %d bytes)\n", *robot, pct, stored, total)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("push %s to %s: %w", path, *robot, err)
	}
	a := res.Status.Active
	if a == nil {
		return fmt.Errorf("push %s to %s: robot reported %s without an active model", path, *robot, res.Status.State)
	}
	resumed := ""
	if res.ResumedFrom > 0 && res.ResumedFrom < len(data) {
		resumed = fmt.Sprintf(", resumed at byte %d", res.ResumedFrom)
	}
	fmt.Fprintf(stdout, "%s: installed %s version %d (slot %s); pushed %s version %d, %d bytes sent%s\n",
		*robot, a.ModelID, a.Version, a.Slot, b.ModelID, b.Version, res.Sent, resumed)
	return nil
}
