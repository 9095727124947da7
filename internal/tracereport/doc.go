// Package tracereport turns a check's strace output (internal/strace) into findings: what
// the package did on the network, which files it wrote outside the places it may write,
// which programs it started, whether it installed a .pth startup hook, and whether it
// read or sent the decoy secrets the check planted. The rules and severities are
// documented for users in the "findings" help topic (internal/docs/topics/findings.md);
// keep the two in step.
//
// Findings are deduplicated (one per kind and detail) and bounded (MaxFindings, the
// highest kept, and one info finding saying how many more there were), so a package
// that writes a million files yields a short report.
package tracereport
