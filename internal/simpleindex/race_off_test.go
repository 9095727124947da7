//go:build !race

package simpleindex_test

const raceEnabled = false
