package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.bug.st/serial/enumerator"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"
)

// knownI2C are the sensor addresses probe -scan tries on each I²C bus.
func knownI2C() []probeAddr {
	return []probeAddr{
		{0x10, "Benewake TF-Luna (I²C mode)"},
		{0x30, "OV2640 sensor of an ArduCAM Mini 2MP (SCCB)"},
		{0x62, "Garmin LIDAR-Lite v3"},
	}
}

// knownUSB names USB-serial bridges that sensors in this project ship with.
func knownUSB(vid, pid string) string {
	switch strings.ToUpper(vid + ":" + pid) {
	case "10C4:EA60":
		return "Silicon Labs CP210x (RPLIDAR A1/A2 adapter)"
	case "1A86:7523":
		return "QinHeng CH340 (common TF-Luna/TFmini-S USB-UART)"
	case "0403:6001", "0403:6015":
		return "FTDI USB-UART"
	}
	return ""
}

type probeAddr struct {
	Addr uint16
	What string
}

// probeEnv is what probe reads from the machine; tests fake it.
type probeEnv interface {
	I2CBuses() []busInfo
	SPIPorts() []busInfo
	SerialPorts() ([]serialInfo, error)
	Cameras() ([]string, error)
	OpenI2C(name string) (i2c.BusCloser, error)
}

type busInfo struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Number  int      `json:"number"`
	Devices []device `json:"devices,omitempty"`
	Error   string   `json:"error,omitempty"`
}

type device struct {
	Addr    string `json:"addr"`
	What    string `json:"what"`
	Answers bool   `json:"answers"`
}

type serialInfo struct {
	Name    string `json:"name"`
	USB     bool   `json:"usb"`
	VID     string `json:"vid,omitempty"`
	PID     string `json:"pid,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Product string `json:"product,omitempty"`
	Known   string `json:"known,omitempty"`
}

type probeReport struct {
	I2C     []busInfo    `json:"i2c"`
	SPI     []busInfo    `json:"spi"`
	Serial  []serialInfo `json:"serial"`
	Cameras []string     `json:"cameras"`
	Errors  []string     `json:"errors,omitempty"`
}

// hostEnv reads the real machine through periph, go.bug.st/serial and
// the /dev/video* nodes.
type hostEnv struct{ initErr error }

func newHostEnv() *hostEnv {
	_, err := host.Init()
	return &hostEnv{initErr: err}
}

func (h *hostEnv) I2CBuses() []busInfo {
	var out []busInfo
	for _, r := range i2creg.All() {
		out = append(out, busInfo{Name: r.Name, Aliases: r.Aliases, Number: r.Number})
	}
	return out
}

func (h *hostEnv) SPIPorts() []busInfo {
	var out []busInfo
	for _, r := range spireg.All() {
		out = append(out, busInfo{Name: r.Name, Aliases: r.Aliases, Number: r.Number})
	}
	return out
}

func (h *hostEnv) SerialPorts() ([]serialInfo, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, err
	}
	var out []serialInfo
	for _, p := range ports {
		out = append(out, serialInfo{Name: p.Name, USB: p.IsUSB, VID: p.VID, PID: p.PID, Serial: p.SerialNumber, Product: p.Product})
	}
	return out, nil
}

func (h *hostEnv) Cameras() ([]string, error) { return filepath.Glob("/dev/video*") }

func (h *hostEnv) OpenI2C(name string) (i2c.BusCloser, error) { return i2creg.Open(name) }

func cmdProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("probe", stderr)
	scan := fs.Bool("scan", false, "try the known sensor addresses (0x10 TF-Luna, 0x30 OV2640, 0x62 LIDAR-Lite v3) on every I²C bus with a one-byte read")
	extra := fs.String("addr", "", "more I²C addresses to try with -scan, comma separated (e.g. 0x11,0x63)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl probe [-scan] [-addr 0x11,0x63] [-json]")
		fmt.Fprintln(fs.Output(), "Lists I²C and SPI buses, serial ports (USB VID:PID) and /dev/video* cameras.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	addrs := knownI2C()
	if *extra != "" {
		for _, s := range strings.Split(*extra, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 8)
			if err != nil || v < 0x03 || v > 0x77 {
				return usageError("-addr: %q is not a 7-bit I²C address in 0x03–0x77", s)
			}
			addrs = append(addrs, probeAddr{uint16(v), "requested"})
		}
	}
	env := newHostEnv()
	rep := probe(ctx, env, *scan, addrs)
	if env.initErr != nil {
		rep.Errors = append(rep.Errors, "periph host init: "+env.initErr.Error())
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	printProbe(stdout, rep, *scan)
	return nil
}

// probe gathers the report; with scan it reads one byte from each address
// on each I²C bus (like i2cdetect -r: no register is written).
func probe(ctx context.Context, env probeEnv, scan bool, addrs []probeAddr) probeReport {
	var rep probeReport
	rep.I2C = env.I2CBuses()
	rep.SPI = env.SPIPorts()
	ports, err := env.SerialPorts()
	if err != nil {
		rep.Errors = append(rep.Errors, "serial ports: "+err.Error())
	}
	for _, p := range ports {
		p.Known = knownUSB(p.VID, p.PID)
		rep.Serial = append(rep.Serial, p)
	}
	cams, err := env.Cameras()
	if err != nil {
		rep.Errors = append(rep.Errors, "cameras: "+err.Error())
	}
	sort.Strings(cams)
	rep.Cameras = cams
	if !scan {
		return rep
	}
	for i := range rep.I2C {
		if ctx.Err() != nil {
			rep.Errors = append(rep.Errors, "scan interrupted: "+ctx.Err().Error())
			break
		}
		b := &rep.I2C[i]
		bus, err := env.OpenI2C(b.Name)
		if err != nil {
			b.Error = err.Error()
			continue
		}
		for _, a := range addrs {
			var r [1]byte
			ok := bus.Tx(a.Addr, nil, r[:]) == nil
			b.Devices = append(b.Devices, device{Addr: fmt.Sprintf("0x%02x", a.Addr), What: a.What, Answers: ok})
		}
		bus.Close()
	}
	return rep
}

func printProbe(w io.Writer, rep probeReport, scan bool) {
	section := func(title string, n int) bool {
		fmt.Fprintf(w, "%s:\n", title)
		if n == 0 {
			fmt.Fprintln(w, "  none found")
		}
		return n > 0
	}
	printBuses := func(bs []busInfo) {
		for _, b := range bs {
			fmt.Fprintf(w, "  %s", b.Name)
			if len(b.Aliases) > 0 {
				fmt.Fprintf(w, " (%s)", strings.Join(b.Aliases, ", "))
			}
			fmt.Fprintln(w)
			if b.Error != "" {
				fmt.Fprintf(w, "    cannot open: %s\n", b.Error)
			}
			for _, d := range b.Devices {
				state := "no answer"
				if d.Answers {
					state = "answers"
				}
				fmt.Fprintf(w, "    %s %-9s %s\n", d.Addr, state, d.What)
			}
		}
	}
	if section("I²C buses", len(rep.I2C)) {
		printBuses(rep.I2C)
		if !scan {
			fmt.Fprintln(w, "  (run with -scan to try the known sensor addresses)")
		}
	}
	if section("SPI ports", len(rep.SPI)) {
		printBuses(rep.SPI)
	}
	if section("Serial ports", len(rep.Serial)) {
		for _, p := range rep.Serial {
			fmt.Fprintf(w, "  %s", p.Name)
			if p.USB {
				fmt.Fprintf(w, "  USB %s:%s", p.VID, p.PID)
				if p.Serial != "" {
					fmt.Fprintf(w, " serial %s", p.Serial)
				}
				if p.Product != "" {
					fmt.Fprintf(w, " %q", p.Product)
				}
				if p.Known != "" {
					fmt.Fprintf(w, "  [%s]", p.Known)
				}
			}
			fmt.Fprintln(w)
		}
	}
	if section("Cameras", len(rep.Cameras)) {
		for _, c := range rep.Cameras {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "note: %s\n", e)
	}
}
