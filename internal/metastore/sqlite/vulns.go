package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// ProjectVulns implements metastore.VulnReader.
func (q queries) ProjectVulns(ctx context.Context, project string) ([]metastore.Vuln, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT v.id, v.modified, v.withdrawn, v.record
		FROM vuln_projects p JOIN vulns v ON v.id = p.vuln_id WHERE p.project = ? ORDER BY v.id`, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.Vuln
	for rows.Next() {
		v, err := scanVuln(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// Every record's projects in one more query, not one per record.
	prows, err := q.q.QueryContext(ctx, `SELECT o.vuln_id, o.project FROM vuln_projects p
		JOIN vuln_projects o ON o.vuln_id = p.vuln_id WHERE p.project = ? ORDER BY o.vuln_id, o.project`, project)
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	byID := make(map[string]*metastore.Vuln, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for prows.Next() {
		var id, p string
		if err := prows.Scan(&id, &p); err != nil {
			return nil, err
		}
		if v := byID[id]; v != nil {
			v.Projects = append(v.Projects, p)
		}
	}
	return out, prows.Err()
}

// Vuln implements metastore.VulnReader.
func (q queries) Vuln(ctx context.Context, id string) (*metastore.Vuln, error) {
	v, err := scanVuln(q.q.QueryRowContext(ctx, `SELECT id, modified, withdrawn, record FROM vulns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("vulnerability %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if v.Projects, err = q.vulnProjects(ctx, id); err != nil {
		return nil, err
	}
	return v, nil
}

// VulnCount implements metastore.VulnReader.
func (q queries) VulnCount(ctx context.Context) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM vulns`).Scan(&n)
	return n, err
}

func (q queries) vulnProjects(ctx context.Context, id string) ([]string, error) {
	return q.strings(ctx, `SELECT project FROM vuln_projects WHERE vuln_id = ? ORDER BY project`, id)
}

func scanVuln(row interface{ Scan(...any) error }) (*metastore.Vuln, error) {
	var v metastore.Vuln
	var modified int64
	var withdrawn sql.NullInt64
	var record string
	if err := row.Scan(&v.ID, &modified, &withdrawn, &record); err != nil {
		return nil, err
	}
	v.Modified, v.Record = fromMicros(modified), []byte(record)
	if withdrawn.Valid {
		w := fromMicros(withdrawn.Int64)
		v.Withdrawn = &w
	}
	return &v, nil
}

// PutVuln implements metastore.VulnWriter.
func (q queries) PutVuln(ctx context.Context, v *metastore.Vuln) (added, changed bool, err error) {
	if v.ID == "" || len(v.Record) == 0 {
		return false, false, fmt.Errorf("vulnerability record without an id or content: %w", errs.ErrInvalid)
	}
	projects := slices.Clone(v.Projects)
	slices.Sort(projects)
	projects = slices.Compact(projects)
	old, err := q.Vuln(ctx, v.ID)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		added = true
	case err != nil:
		return false, false, err
	case string(old.Record) == string(v.Record) && slices.Equal(old.Projects, projects) &&
		micros(old.Modified) == micros(v.Modified) && equalTimes(old.Withdrawn, v.Withdrawn):
		return false, false, nil
	}
	var withdrawn any
	if v.Withdrawn != nil {
		withdrawn = micros(*v.Withdrawn)
	}
	if _, err := q.q.ExecContext(ctx, `INSERT INTO vulns (id, modified, withdrawn, record) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, withdrawn = excluded.withdrawn, record = excluded.record`,
		v.ID, micros(v.Modified), withdrawn, string(v.Record)); err != nil {
		return false, false, err
	}
	if !added {
		if _, err := q.q.ExecContext(ctx, `DELETE FROM vuln_projects WHERE vuln_id = ?`, v.ID); err != nil {
			return false, false, err
		}
	}
	for _, p := range projects {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO vuln_projects (project, vuln_id) VALUES (?, ?)`, p, v.ID); err != nil {
			return false, false, err
		}
	}
	return added, true, nil
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return micros(*a) == micros(*b)
}
