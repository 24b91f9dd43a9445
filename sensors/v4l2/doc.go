// Package v4l2 reads USB (UVC) and CSI cameras through Video4Linux2 with
// github.com/blackjack/webcam (pure Go: it cross-compiles with CGO_ENABLED=0
// for linux/arm and linux/arm64) and delivers 8-bit gray sensors.Image
// frames.
//
// Format negotiation prefers YUYV 4:2:2 (the luma is every other byte, so
// gray costs one pass) and falls back to Motion-JPEG, at the supported frame
// size closest in area to the requested one. Conversions are pure
// functions tested on bytes: YUYVToGray and MJPEGToGray. Many UVC cameras
// send MJPEG frames without Huffman tables (they rely on the defaults of
// ITU-T T.81 annex K.3); MJPEGToGray inserts the standard tables before
// decoding when a frame has none.
//
// Stamps: the webcam package does not expose the driver's buffer
// timestamp, so Stamp is the time the frame became readable (poll return)
// and Received the time it was copied out.
//
// The device sits behind the small Device interface; Source reopens it
// with exponential backoff when it disappears (unplugged: reads fail with
// ENODEV) and returns only when its context ends. Cancellation is noticed
// between frame waits, which last at most one second (the webcam package's
// granularity).
package v4l2
