// Package buildinfo holds pydepot's version number: the one place it is written.
package buildinfo

// Version is pydepot's release version. Change it here and nowhere else.
const Version = "0.1.0"

// UserAgent is what pydepot's HTTP clients send.
func UserAgent() string { return "pydepot/" + Version }
