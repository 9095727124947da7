//go:build race

package simpleindex_test

// raceEnabled: the race detector is on, and sync.Pool drops what it is given at random,
// so allocation counts do not hold.
const raceEnabled = true
