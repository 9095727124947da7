package metastore

import (
	"context"
	"time"
)

// Vuln is one vulnerability record of the local OSV database (package osv parses and
// matches them; the store keeps them).
type Vuln struct {
	ID       string    // the OSV id, the key
	Modified time.Time // as the record says
	// Withdrawn is set when the record is withdrawn (it stays stored and served, marked).
	Withdrawn *time.Time
	// Projects are the normalized names the record affects: the index the record is
	// found by.
	Projects []string
	// Record is the parsed record, opaque to the store.
	Record []byte
}

// VulnReader reads the vulnerability records.
type VulnReader interface {
	// ProjectVulns lists the records that affect project (normalized), sorted by ID.
	ProjectVulns(ctx context.Context, project string) ([]Vuln, error)
	// Vuln returns one record by ID; ErrNotFound when there is none.
	Vuln(ctx context.Context, id string) (*Vuln, error)
	// VulnCount counts the stored records.
	VulnCount(ctx context.Context) (int, error)
}

// VulnWriter stores vulnerability records.
type VulnWriter interface {
	// PutVuln stores v, replacing the record with the same ID and the projects it was
	// found by. It reports whether the ID is new (added) and whether anything changed
	// (false when the same record, byte for byte, with the same projects, is stored
	// already: nothing is written). ErrInvalid when v has no ID or no record.
	PutVuln(ctx context.Context, v *Vuln) (added, changed bool, err error)
}
