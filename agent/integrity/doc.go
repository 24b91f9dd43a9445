// Package integrity checks what every frame of a healthy sensor has,
// whatever the scene it looks at.
//
// The frame score and the health autoencoders learn what normal frames look
// like, and a new street can look unlike anything they learnt. The checks
// here need no learning: they test a property of the sensor itself, so a
// clean frame of any scene passes and their thresholds come from the
// sensor's geometry (the hole check's from clean captures, with a wide
// margin), not from a model of the scenes.
//
// RingGeometry: a spinning LiDAR's laser fires at one fixed elevation, so
// every return of a ring lies on that laser's cone. Returns displaced in
// space (crosstalk from another LiDAR whose echoes land off the beam,
// coordinate noise, a point cloud corrupted in transfer) leave it. The
// check takes each ring's elevation as the median of the frame's own
// returns, so it needs no calibration table, and counts, in every second
// point of the scan, the returns beyond 2 m more than 1° off their ring's
// cone; it takes three or more such returns to raise a level. It applies
// to clouds in the sensor's own frame as the sensor fires them: a driver
// that deskews a cloud for the robot's motion, or turns it into another
// frame, moves returns off their cones, and such a sensor turns the check
// off (cone_check: false). It needs the ring numbers the sensor reports:
// rings recovered from elevation (a KITTI file played with lidar: VLP-16)
// put every return on its nearest ring's cone, and then only returns
// beyond the outermost rings are seen off.
//
// SurfaceHoles: a spinning LiDAR fires every laser at every azimuth step,
// and where a laser sweeps across a continuous surface it returns on every
// firing; a healthy sensor misses a single firing in the middle of a
// surface only on a dark or glancing spot. Uniform dropout (the fault
// catalogue's density_loss, a failing receiver, a driver dropping points)
// punches single holes into every surface. Per ring, in firing order, two
// consecutive returns in [2 m, 100 m) whose ranges agree within max(5 %,
// 0.1 m) are a surface pair when one azimuth step apart and a hole when
// two steps apart, whether the driver kept the missed firing as a
// no-return cell or dropped it. The step is the ring's own, the lower
// quartile of its agreeing steps, taken modulo 2π so a revolution may
// start at any azimuth. The hole fraction, holes / (holes + pairs), is
// about p/(1+p) under dropout p and stays near 0.01 on real VLP-16
// captures; WARN is 0.03 and ERROR 0.05. A frame
// needs 500 pairs for a verdict, and gets none when its azimuths are not
// on the firing grid (returns moved in space and given their new
// azimuth, which the cone check judges). Whole rings gone (a dead laser)
// leave the other rings' surfaces whole and raise nothing here (DarkRings
// sees them); fog thins the far returns, and at its densest (40 m
// visibility) raises the fraction
// to about 0.02, below WARN. A driver that thins its clouds on purpose
// turns the check off (hole_check: false).
//
// DarkRings: neighbouring lasers of a spinning LiDAR look a degree or two
// apart, so where the lasers just above and below a ring return all round,
// the ring between them sweeps the same surfaces and returns too; a healthy
// laser there never gives a revolution without a return. With the rings in
// elevation order (the scan's ring table, else ring numbers), a run of
// rings without a single return between a lit ring below and a lit ring
// above (a quarter of the busiest ring's returns) is dark, and one dark
// ring makes a frame bad: a dead laser, a lost receiver channel, a driver
// dropping a laser's points (the catalogue's beam_missing and
// cross_sensor). The upper lasers under an open sky sit at the edge of the
// fan and are never dark; a frame whose busiest ring has fewer than 100
// returns gets no verdict. A driver that leaves lasers out on purpose turns
// the check off (ring_check: false).
//
// RowReplay: a camera whose buffer handling is broken hands out frames
// whose rows above some line still hold an older frame (a torn frame, the
// fault catalogue's rolling_tear). A healthy camera never delivers a band
// of rows that is byte-for-byte a replay of the same rows of an older
// frame while the scene moves: sensor noise alone changes every row. The
// check keeps a 64-bit hash of each row's pixel bytes for the last 16
// frames. A row is replayed when the nearest older frame whose row hashes
// alike had just changed that row; a row that stands still is not, nor a
// row of one byte value (black bars, saturated sky), which carries no
// evidence. A frame is torn when a band of at least max(4, Height/32)
// contiguous rows has come back from two or more frames before, or a band
// of at least max(12, Height/16) rows replays any older frame (one frame
// old: rows that stood still right after they changed, which a codec
// skipping a band of blocks leaves too, so that band must be longer), and
// at least as many rows are new (changed since the frame before, not
// replayed). The older frames it compares with are
// those received, themselves torn: a tear shows on the rows between the
// older frame's tear line and this frame's, about half the frames of a
// tear whose line moves. A stream decoded from a codec that skips wide
// bands of still rows (a static camera's sky under a quiet encoder) turns
// the check off (tear_check: false). Each row is hashed once; the judge
// takes its frozen-frame digest of an image from the same row hashes.
//
// BlankFrames: a camera frame whose every pixel holds the same bytes (all
// black, all white) shows nothing, and a healthy sensor's noise never
// gives one. A blank frame is bad, and while BlankRecent (2) or more of the
// stream's last BlankWindow (16) frames were blank every frame is, so a
// camera that goes blank on every second or third frame is untrusted on
// all of them, though 3 bad frames of 5 alone would never fill.
//
// LensDirt: whatever lands on a camera's lens (a leaf, mud, a drop of
// dirty water) dims the same pixels in every frame while the scene moves
// behind it, and dims them at once. On a grid of 16 × 12 blocks, a compact
// blob of at least four blocks whose means fell within one frame below
// half their previous value (relative to the median block's change, so
// exposure and lighting cancel) is dirt when it is darker than the blocks
// around it (a dark region of the scene that grew into view continues
// beyond it), its new means were not already next to it in the frame
// before (content that moved over), and four fifths of the other blocks
// kept theirs within 25 % (not a cut or a jolt). The blob then stays
// dirty while half its blocks stay under 0.6 of their means before it
// appeared, followed by the whole image's change, and the blocks around
// it stay brighter. Dirt that builds up slowly has no onset and is not
// seen; a dark object that stops in front of a camera that does not move
// looks like dirt while it stays. A camera with a moving part of the
// robot in view turns the check off (dirt_check: false).
//
// Veil: light laid over the whole view at once (glare, a washed-out or
// low-contrast picture) lifts dark parts as much as bright ones, so the
// previous frame's block means explain the new ones through a line
// m′ = a·m + b with a ≤ 1.25 and an offset b at black of at least a
// quarter of the new mean; exposure changes scale the image instead, and
// the scene's motion explains less of the variance. The veil is held
// while the darkest blocks stay lifted and released when it lifts at once.
// Light that builds up slowly has no onset and is not seen.
package integrity
