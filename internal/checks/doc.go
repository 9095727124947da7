// Package checks is the domain of package checks: it runs a check of one file of a
// repository as a task of the queue (kind "check"), through a checkreport.Runner (the
// pipeline of internal/checkrun; any Runner in tests), sets the verdict with
// checkreport.Decide, and stores the report and its raw data (report JSON in the
// metadata store, raw data as blobs of the blob store). It also queues the check of
// every file uploaded to a repository with CheckOnUpload (the index's upload hook).
//
// Quarantine, the rule that a distribution with RequireChecks serves only files whose
// latest verdict is pass, lives in internal/index (quarantine.go), which serving goes
// through; Allowed here asks it.
//
// A check interrupted by a restart is the queue's business: its reaper retries the task
// (a new attempt starts the check again in a fresh folder) or fails it when its
// attempts are used up; a check is never left running. A check that the server stops
// is put back to waiting and run again at the next start.
package checks
