package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

const checkCols = `c.id, c.repository_id, r.name, c.filename, c.project, c.task_id, c.attempt, c.verdict, c.created_at`

func scanCheck(sc interface{ Scan(...any) error }, report *string) (*metastore.CheckReport, error) {
	var c metastore.CheckReport
	var created int64
	dest := []any{&c.ID, &c.RepositoryID, &c.Repository, &c.Filename, &c.Project, &c.TaskID, &c.Attempt, &c.Verdict, &created}
	if report != nil {
		dest = append(dest, report)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// CheckReports implements metastore.CheckReader.
func (q queries) CheckReports(ctx context.Context, repoID int64, filename string, limit int, beforeID int64) ([]metastore.CheckReport, error) {
	if limit <= 0 || limit > metastore.MaxCheckReports {
		limit = metastore.MaxCheckReports
	}
	query := `SELECT ` + checkCols + ` FROM check_reports c JOIN repositories r ON r.id = c.repository_id WHERE c.repository_id = ?`
	args := []any{repoID}
	if filename != "" {
		query += ` AND c.filename = ?`
		args = append(args, filename)
	}
	if beforeID > 0 {
		query += ` AND c.id < ?`
		args = append(args, beforeID)
	}
	query += ` ORDER BY c.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metastore.CheckReport
	for rows.Next() {
		c, err := scanCheck(rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// CheckReport implements metastore.CheckReader.
func (q queries) CheckReport(ctx context.Context, id int64) (*metastore.CheckReport, error) {
	return q.fullCheck(ctx, `c.id = ?`, id)
}

// LatestCheckReport implements metastore.CheckReader.
func (q queries) LatestCheckReport(ctx context.Context, repoID int64, filename string) (*metastore.CheckReport, error) {
	return q.fullCheck(ctx, `c.id = (SELECT report_id FROM check_latest WHERE repository_id = ? AND filename = ?)`, repoID, filename)
}

// fullCheck reads one report with its JSON and raw rows.
func (q queries) fullCheck(ctx context.Context, where string, args ...any) (*metastore.CheckReport, error) {
	var report string
	c, err := scanCheck(q.q.QueryRowContext(ctx, `SELECT `+checkCols+`, c.report FROM check_reports c
		JOIN repositories r ON r.id = c.repository_id WHERE `+where, args...), &report)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("check report: %w", errs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	c.Report = []byte(report)
	rows, err := q.q.QueryContext(ctx, `SELECT name, task, sha256, size FROM check_raw WHERE report_id = ? ORDER BY name`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r metastore.CheckRaw
		if err := rows.Scan(&r.Name, &r.Task, &r.SHA256, &r.Size); err != nil {
			return nil, err
		}
		c.Raw = append(c.Raw, r)
	}
	return c, rows.Err()
}

// PassedFiles implements metastore.CheckReader.
func (q queries) PassedFiles(ctx context.Context, repoID int64, project string) ([]string, error) {
	return q.strings(ctx, `SELECT filename FROM check_latest WHERE repository_id = ? AND project = ? AND verdict = 'pass'`, repoID, project)
}

// CheckVerdict implements metastore.CheckReader.
func (q queries) CheckVerdict(ctx context.Context, repoID int64, filename string) (string, error) {
	var v string
	err := q.q.QueryRowContext(ctx, `SELECT verdict FROM check_latest WHERE repository_id = ? AND filename = ?`, repoID, filename).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// AddCheckReport implements metastore.CheckWriter.
func (q queries) AddCheckReport(ctx context.Context, c *metastore.CheckReport) error {
	err := q.q.QueryRowContext(ctx, `INSERT INTO check_reports (repository_id, filename, project, task_id, attempt, verdict, report, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.RepositoryID, c.Filename, c.Project, c.TaskID, c.Attempt, c.Verdict, string(c.Report), micros(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return err
	}
	for _, r := range c.Raw {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO check_raw (report_id, name, task, sha256, size) VALUES (?, ?, ?, ?, ?)`,
			c.ID, r.Name, r.Task, r.SHA256, r.Size); err != nil {
			if isUnique(err) {
				return fmt.Errorf("raw data %q twice in one report: %w", r.Name, errs.ErrInvalid)
			}
			return err
		}
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO check_latest (repository_id, filename, project, report_id, verdict) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repository_id, filename) DO UPDATE SET project = excluded.project, report_id = excluded.report_id, verdict = excluded.verdict
		WHERE NOT EXISTS (SELECT 1 FROM check_reports o WHERE o.id = check_latest.report_id AND o.task_id <> 0 AND o.task_id = ? AND o.attempt > ?)`,
		c.RepositoryID, c.Filename, c.Project, c.ID, c.Verdict, c.TaskID, c.Attempt)
	return err
}

// SetCheckOnUpload implements metastore.CheckWriter.
func (q queries) SetCheckOnUpload(ctx context.Context, repoID int64, on bool) error {
	res, err := q.q.ExecContext(ctx, `UPDATE repositories SET check_on_upload = ? WHERE id = ?`, on, repoID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("repository %d: %w", repoID, errs.ErrNotFound)
	}
	return nil
}
