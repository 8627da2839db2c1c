//go:build !race

package runtime

// raceEnabled reports a build with the race detector (see allocsPerRun).
const raceEnabled = false
