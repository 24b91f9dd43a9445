//go:build race

package fixedpoint

const raceEnabled = true
