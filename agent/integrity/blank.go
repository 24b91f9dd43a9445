package integrity

import (
	"bytes"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Blank-frame limits.
const (
	// BlankWindow is how many received frames BlankFrames remembers, the
	// current one included: about a second of a 15 fps camera.
	BlankWindow = 16
	// BlankRecent is how many blank frames among the last BlankWindow
	// make every frame of the stream bad. One blank frame may be a
	// single lost buffer; two within a second are a sensor or ISP that
	// keeps failing, whose frames between them are not to be trusted
	// either.
	BlankRecent = 2
)

// Blank says whether every pixel of im holds the same bytes (all black,
// all white): a frame that shows nothing. A healthy sensor's noise never
// gives one, however dark or bright the scene; a sensor that reads
// nothing, an ISP that failed or a driver handing out a zeroed buffer do.
// An image whose buffer does not hold its geometry is not blank (it gets
// its verdict from the decoder). A real image costs a few bytes: the scan
// stops at the first pixel that differs.
func Blank(im *sensors.Image) bool {
	bpp, rowBytes, ok := rowGeometry(im)
	if !ok {
		return false
	}
	first := im.Pix[:bpp]
	for y := range im.Height {
		row := im.Pix[y*im.Stride : y*im.Stride+rowBytes]
		// Each pixel equals the one before it, and the row's first the
		// image's first.
		if !bytes.Equal(row[:bpp], first) || !bytes.Equal(row[bpp:], row[:rowBytes-bpp]) {
			return false
		}
	}
	return true
}

// BlankFrames remembers which of a camera's last BlankWindow frames were
// blank. A blank frame is bad; so is every frame while BlankRecent or
// more of the last BlankWindow were blank, so that a camera that shows
// nothing on every second or third frame is untrusted on all of them and
// not only on the blank ones, which a K-of-N persistence rule may never
// count to K. The zero value is ready; it is not safe for concurrent use.
type BlankFrames struct {
	hist [BlankWindow]bool
	next int
	n    int // blank frames in hist
}

// BlankResult is a frame's verdict.
type BlankResult struct {
	Blank  bool // the frame itself is blank
	Recent int  // blank frames among the last BlankWindow, this one included
}

// Level is the level the frame asks for: ERROR when it is blank or the
// stream has been blank often enough lately, else OK.
func (r BlankResult) Level() level.Level {
	if r.Blank || r.Recent >= BlankRecent {
		return level.Error
	}
	return level.OK
}

// Check records whether im is blank and judges it.
func (b *BlankFrames) Check(im *sensors.Image) BlankResult {
	blank := Blank(im)
	if b.hist[b.next] {
		b.n--
	}
	b.hist[b.next] = blank
	if blank {
		b.n++
	}
	b.next = (b.next + 1) % BlankWindow
	return BlankResult{Blank: blank, Recent: b.n}
}

// Reset forgets the frames seen (after a gap in the stream or a
// reconnect).
func (b *BlankFrames) Reset() { *b = BlankFrames{} }

// rowGeometry returns the bytes per pixel and per row of im's pixels (not
// the stride's padding), and whether its buffer holds its geometry.
func rowGeometry(im *sensors.Image) (bpp, rowBytes int, ok bool) {
	bpp = im.Format.BytesPerPixel()
	rowBytes = im.Width * bpp
	ok = bpp > 0 && im.Width > 0 && im.Height > 0 && im.Stride >= rowBytes &&
		len(im.Pix) >= (im.Height-1)*im.Stride+rowBytes
	return bpp, rowBytes, ok
}
