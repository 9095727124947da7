//go:build !race

package archives

const raceEnabled = false
