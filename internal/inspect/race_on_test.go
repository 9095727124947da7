//go:build race

package inspect

// raceEnabled: the race detector is on, and sync.Pool drops what it is given at random,
// so allocation counts do not hold.
const raceEnabled = true
