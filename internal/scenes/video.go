package scenes

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"

	"github.com/sensortrust/trustagent/sensors"
)

// videoFrames decodes frames [Start, Start+Frames) of a video with ffmpeg
// to gray, scaled to cover the requested size and cropped to it (the
// centre of a video of another aspect). Decoding vtest.avi whole takes
// about a second, so nothing is cached.
func videoFrames(ctx context.Context, s Scene, o DriveOptions) ([]sensors.Frame, error) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("scenes: %s needs ffmpeg (Debian: apt-get install ffmpeg): %w", s.Name, err)
	}
	vf := fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase:flags=bilinear,crop=%d:%d,format=gray", o.Width, o.Height, o.Width, o.Height)
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-i", s.Path, "-an",
		"-frames:v", fmt.Sprint(o.Start+o.Frames), "-vf", vf, "-f", "rawvideo", "-pix_fmt", "gray", "-")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("scenes: ffmpeg %s: %w: %s", s.Path, err, bytes.TrimSpace(stderr.Bytes()))
	}
	size := o.Width * o.Height
	b := out.Bytes()
	if got := len(b) / size; got < o.Start+o.Frames {
		return nil, fmt.Errorf("%w: %s decoded to %d frames, asked for [%d, %d)", ErrTooShort, s.Path, got, o.Start, o.Start+o.Frames)
	}
	frames := make([]sensors.Frame, o.Frames)
	for k := range frames {
		off := (o.Start + k) * size
		frames[k] = &sensors.Image{Width: o.Width, Height: o.Height, Stride: o.Width, Format: sensors.Gray8,
			Pix: b[off : off+size : off+size]}
	}
	return frames, nil
}
