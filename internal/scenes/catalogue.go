package scenes

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Where the Debian packages install the real data.
const (
	// OpenCVData holds opencv-doc's sample videos and photographs.
	OpenCVData = "/usr/share/doc/opencv-doc/examples/data"
	// SkimageData holds python3-skimage's sample photographs.
	SkimageData = "/usr/lib/python3/dist-packages/skimage/data"
	// OctomapScan is liboctomap-dev's real 3-D laser scan.
	OctomapScan = "/usr/share/doc/liboctomap-dev/examples/data/scan.dat.bz2"
)

// SimWorlds returns the seeds of the procedural worlds Catalogue lists,
// for both kinds.
func SimWorlds() []uint64 { return []uint64{1, 2, 3, 4, 5, 6} }

// video is a real video of opencv-doc: frames and rate are the file's.
type video struct {
	file   string
	frames int
	period time.Duration
}

func videos() []video {
	return []video{
		{"vtest.avi", 795, 100 * time.Millisecond},      // fixed camera over a street, 10 fps
		{"Megamind.avi", 270, time.Second * 125 / 2997}, // film excerpt, 23.976 fps
	}
}

// opencvStills are opencv-doc's real photographs (no renderings, drawings
// or test patterns), in the order Catalogue lists them.
func opencvStills() []string {
	return []string{
		"building.jpg", "home.jpg", "aero1.jpg", "aero3.jpg", "baboon.jpg", "fruits.jpg", "messi5.jpg",
		"stuff.jpg", "board.jpg", "left01.jpg", "leuvenA.jpg", "graf1.png", "HappyFish.jpg", "butterfly.jpg",
		"squirrel_cls.jpg", "smarties.png", "box_in_scene.png", "rubberwhale1.png", "basketball1.png",
		"aloeL.jpg", "orange.jpg", "apple.jpg", "starry_night.jpg",
	}
}

// skimageStills are python3-skimage's real photographs.
func skimageStills() []string {
	return []string{
		"astronaut.png", "camera.png", "coffee.png", "chelsea.png", "rocket.jpg", "brick.png", "grass.png",
		"gravel.png", "coins.png", "moon.png", "motorcycle_left.png", "page.png",
	}
}

// Missing is a source of scenes that is not on this machine.
type Missing struct {
	What    string // the data that is missing
	Install string // how to get it
	Err     error  // what looking for it gave
}

func (m Missing) String() string { return fmt.Sprintf("%s missing (%s): %v", m.What, m.Install, m.Err) }

// Catalogue lists the scenes of kind (KindLidar or KindCamera) whose
// sources are on this machine, in a fixed order (procedural worlds first),
// and the sources that are missing with how to install them. Looking for
// the einride capture runs go mod download, which reads the module cache
// or fetches the module. A listed scene keeps its decoded photograph,
// capture or scan after its first Drive (copies of it share them), so
// later drives start at once; a video is decoded on every Drive.
func Catalogue(ctx context.Context, kind sensors.Kind) ([]Scene, []Missing) {
	if kind != sensors.KindLidar && kind != sensors.KindCamera {
		return nil, nil
	}
	var out []Scene
	var miss []Missing
	for _, w := range SimWorlds() {
		out = append(out, SimScene(kind, w))
	}
	switch kind {
	case sensors.KindCamera:
		var err error
		if _, err = exec.LookPath("ffmpeg"); err != nil {
			miss = append(miss, Missing{What: "ffmpeg, to decode the opencv-doc videos", Install: "apt-get install ffmpeg", Err: err})
		}
		for _, v := range videos() {
			p := filepath.Join(OpenCVData, v.file)
			if err != nil {
				break
			}
			if _, serr := os.Stat(p); serr != nil {
				miss = append(miss, Missing{What: "opencv-doc video " + v.file, Install: "apt-get install opencv-doc", Err: serr})
				continue
			}
			out = append(out, Scene{Name: "video-" + slug(v.file), Kind: kind, Origin: OriginVideo, Real: true, Path: p,
				Len: v.frames, Period: v.period,
				Source: fmt.Sprintf("real video %s of Debian opencv-doc, decoded with ffmpeg to gray and scaled", v.file)})
		}
		out, miss = stills(out, miss, "opencv", "opencv-doc", OpenCVData, opencvStills())
		out, miss = stills(out, miss, "skimage", "python3-skimage", SkimageData, skimageStills())
	case sensors.KindLidar:
		if p, err := EinrideRecording(ctx); err != nil {
			miss = append(miss, Missing{What: "the real VLP-16 capture of Go module " + EinrideModule, Install: "go mod download " + EinrideModule, Err: err})
		} else {
			out = append(out, Scene{Name: "capture-einride", Kind: kind, Origin: OriginCapture, src: &source{}, Real: true, Path: p, Period: LidarPeriod,
				Source: fmt.Sprintf("real VLP-16 capture testdata/recording.bin of Go module %s: its full revolutions played forth and back, "+
					"frame i turned by i·%g° (turned copies, a robot turning slowly in place)", EinrideModule, CaptureTurnDeg)})
		}
		if _, err := os.Stat(OctomapScan); err != nil {
			miss = append(miss, Missing{What: "the real 3-D scan of Debian liboctomap-dev", Install: "apt-get install liboctomap-dev", Err: err})
		} else {
			out = append(out, Scene{Name: "scan-octomap", Kind: kind, Origin: OriginScan, src: &source{}, Real: true, Path: OctomapScan, Period: LidarPeriod,
				Source: "real 3-D laser scan scan.dat.bz2 of Debian liboctomap-dev (200° field of view), seen by a virtual VLP-16 " +
					"moving slowly through it"})
		}
	}
	return out, miss
}

// stills appends a still scene for each photograph of a package present in
// dir, or one Missing for the package.
func stills(out []Scene, miss []Missing, prefix, pkg, dir string, files []string) ([]Scene, []Missing) {
	if _, err := os.Stat(dir); err != nil {
		return out, append(miss, Missing{What: pkg + " photographs", Install: "apt-get install " + pkg, Err: err})
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err != nil {
			miss = append(miss, Missing{What: pkg + " photograph " + f, Install: "apt-get install --reinstall " + pkg, Err: err})
			continue
		}
		out = append(out, Scene{Name: "still-" + prefix + "-" + slug(f), Kind: sensors.KindCamera, Origin: OriginStill, Real: true, src: &source{},
			Path: p, Period: CameraPeriod,
			Source: fmt.Sprintf("real photograph %s of Debian %s, seen by a virtual camera panning, zooming and rolling over it", f, pkg)})
	}
	return out, miss
}

// SimScene is the procedural world of the seed seen by a sensor of kind,
// listed or not by Catalogue.
func SimScene(kind sensors.Kind, world uint64) Scene { return simScene(kind, world) }

// slug is a file name without extension, lower case.
func slug(file string) string {
	return strings.ToLower(strings.TrimSuffix(file, filepath.Ext(file)))
}
