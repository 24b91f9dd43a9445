// Command gallery draws the pictures of the fault catalogue for the
// documentation: for each camera fault a PNG strip of a simulated frame,
// clean and at severities 1–3; for each LiDAR fault a bird's-eye view and a
// range image of a simulated VLP-16 revolution, clean and at severities 1–3;
// for each stream fault a plot of what happens to the stamps and the content
// age over 40 frames. Everything is drawn from the simulator with a fixed
// seed, so the pictures are reproducible.
//
// Usage, from the repository root:
//
//	go run ./sensors/faults/gallery -out docs/faults
//	go run ./sensors/faults/gallery -out pics -only fog,frozen
//
// The package's tests check that docs/faults holds a picture of every fault
// of the catalogue and that they stay under 3 MB together.
package main
