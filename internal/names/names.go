// Package names implements PEP 503 project name normalization and PEP 508 name validity.
package names

// Normalize returns the PEP 503 normalized form: lower case, runs of "-", "_", "." become one "-".
func Normalize(name string) string { panic("unimplemented") }

// Valid reports whether name is a valid PEP 508 distribution name.
func Valid(name string) bool { panic("unimplemented") }
