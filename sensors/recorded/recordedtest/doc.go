// Package recordedtest writes recordings for tests: frames into a
// directory that package recorded reads back, as trustctl sim and convert
// write them.
package recordedtest
