package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
)

// A sync adds hundreds of files in one transaction, and AddFile's five statements per
// file (the file row, its blobs rows, its import names, its content row, its display
// name) were most of that transaction's work: each statement's binding, cursors and
// virtual machine start cost more than the row it writes. AddFiles writes the same rows
// with multi-row statements, one per table and chunk.

// chunk returns the size of the next statement of rows of a list of n rows, at most max
// (a power of two): the largest power of two up to both, so that a table's inserts take
// few texts (each a statement of its own in the writer's cache).
func chunk(n, max int) int {
	c := max
	for c > n {
		c /= 2
	}
	return c
}

// Rows per statement of each table (its columns times these stay well within SQLite's
// limit of variables, and PostgreSQL's).
const (
	fileRows    = 64  // 18 columns
	contentRows = 128 // 6
	blobRows    = 128 // 4
	nameRows    = 256 // 2
	parsedRows  = 256 // 2
)

const fileInsert = `INSERT INTO files (id, repository_id, project_id, filename, project_name, version, kind,
	sha256, size, metadata_sha256, requires_python, summary, upload_time,
	origin, origin_remote, upstream_url, upstream_hashes, presence) VALUES `

const fileValues = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AddFiles implements metastore.BatchWriter.
func (q queries) AddFiles(ctx context.Context, files []*metastore.File, version int) error {
	if len(files) == 0 {
		return nil
	}
	if err := checkBatch(len(files), "files"); err != nil {
		return err
	}
	// The project of each file, in order: a project the transaction has not met is read
	// (or made) once, and its first file's display name is set over the row read then.
	pids := make([]int64, len(files))
	curs := make([]*currentAttrs, len(files)) // the open attribute row, read with the project
	first := make([]bool, len(files))         // the project's first file, its row read here
	var met map[string]int64                  // projects read here (q.projects is nil outside a transaction)
	for i, f := range files {
		pid, known := q.projects[f.Project]
		if !known {
			pid, known = met[f.Project]
		}
		if !known {
			var err error
			if pid, curs[i], err = q.projectFor(ctx, f.RepositoryID, f.Project); err != nil {
				return err
			}
			if q.projects != nil {
				q.projects[f.Project] = pid
			}
			if met == nil {
				met = map[string]int64{}
			}
			met[f.Project] = pid
			first[i] = true
		}
		pids[i] = pid
		if f.Origin == "" {
			f.Origin = metastore.OriginUpload
		}
		if f.Presence == "" {
			f.Presence = metastore.PresenceStored
		}
	}
	if err := q.insertFiles(ctx, files, pids); err != nil {
		return err
	}
	if err := q.insertBlobs(ctx, files); err != nil {
		return err
	}
	if err := q.insertImportNames(ctx, files); err != nil {
		return err
	}
	if err := q.insertContent(ctx, files, pids, version); err != nil {
		return err
	}
	for i, f := range files {
		if err := q.uploadedName(ctx, f.RepositoryID, pids[i], version, f.ProjectName, curs[i], first[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertFiles inserts the file rows and sets their IDs.
func (q queries) insertFiles(ctx context.Context, files []*metastore.File, pids []int64) error {
	args := make([]any, 0, 18*min(len(files), fileRows))
	for done := 0; done < len(files); {
		n := chunk(len(files)-done, fileRows)
		part := files[done : done+n]
		next, err := q.nextFileID(ctx)
		if err != nil {
			return err
		}
		args = args[:0]
		for j, f := range part {
			args = append(args, next+int64(j), f.RepositoryID, pids[done+j], f.Filename, f.ProjectName, f.Version, f.Kind, f.SHA256, f.Size,
				f.MetadataSHA256, f.RequiresPython, f.Summary, micros(f.UploadTime),
				f.Origin, f.OriginRemote, f.UpstreamURL, f.UpstreamHashes, f.Presence)
		}
		if _, err := q.q.ExecContext(ctx, fileInsert+fileValues+strings.Repeat(", "+fileValues, n-1), args...); err != nil {
			return q.fileConflict(ctx, part, err)
		}
		for j, f := range part {
			f.ID = next + int64(j)
		}
		done += n
	}
	return nil
}

// nextFileID is the id the next file row gets, as AUTOINCREMENT would give it: past
// every id the table holds or has held (sqlite_sequence). The rows of one INSERT are
// given their ids from here rather than read back with RETURNING, which SQLite gives
// through a buffer of the rows that the caller then matched by filename (in a profile of
// a sync, the file inserts went from 0.54 s to 0.40 s of CPU). The writer is alone in its
// transaction: the ids stay free until the INSERT.
func (q queries) nextFileID(ctx context.Context) (int64, error) {
	var next int64
	err := q.q.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(id) FROM files), 0),
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'files'), 0)) + 1`).Scan(&next)
	return next, err
}

// fileConflict turns the unique failure of an insert of part into ErrConflict naming
// the file whose filename was used (another error is returned as it is).
func (q queries) fileConflict(ctx context.Context, part []*metastore.File, err error) error {
	if !isUnique(err) {
		return err
	}
	for i, f := range part {
		for _, g := range part[:i] {
			if g.RepositoryID == f.RepositoryID && g.Filename == f.Filename {
				return fmt.Errorf("file %q already exists: %w", f.Filename, errs.ErrConflict)
			}
		}
	}
	for _, f := range part {
		if used, uerr := q.UsedFilenames(ctx, f.RepositoryID, []string{f.Filename}); uerr == nil && len(used) > 0 {
			return fmt.Errorf("file %q already exists: %w", f.Filename, errs.ErrConflict)
		}
	}
	return fmt.Errorf("adding %d files from %q: %w: %w", len(part), part[0].Filename, errs.ErrConflict, err)
}

// insertBlobs get-or-inserts the blobs rows of the files' bodies and metadata files, as
// getBlob and getBlobs would file after file: a digest met twice is one row, of the
// first known size, first seen at the upload time of its first file.
func (q queries) insertBlobs(ctx context.Context, files []*metastore.File) error {
	type blob struct {
		sha  string
		size int64
		at   int64
	}
	list := make([]blob, 0, 2*len(files))
	at := make(map[string]int, 2*len(files))
	put := func(sha string, size, now int64) {
		if i, ok := at[sha]; ok {
			if list[i].size < 0 && size >= 0 {
				list[i].size = size
			}
			return
		}
		at[sha] = len(list)
		list = append(list, blob{sha, size, now})
	}
	for _, f := range files {
		now := micros(f.UploadTime)
		put(f.SHA256, f.Size, now)
		if f.MetadataSHA256 != "" && !f.MetadataInBody {
			size := f.MetadataSize
			if size <= 0 {
				size = -1
			}
			put(f.MetadataSHA256, size, now)
		}
	}
	args := make([]any, 0, 4*len(list))
	for _, b := range list {
		args = append(args, b.sha, b.size, b.at, b.at)
	}
	return q.insertRows(ctx, `INSERT INTO blobs (digest, size, first_seen, touched_at) VALUES `,
		` ON CONFLICT (digest) DO UPDATE SET size = excluded.size WHERE blobs.size < 0 AND excluded.size >= 0`, 4, blobRows, args)
}

// insertRows runs insert (ending in "VALUES ") over args, rows of width values each, in
// statements of at most max rows (of chunk's sizes: few texts to cache), each ended by
// tail.
func (q queries) insertRows(ctx context.Context, insert, tail string, width, max int, args []any) error {
	row := "(?" + strings.Repeat(", ?", width-1) + ")"
	for len(args) > 0 {
		n := chunk(len(args)/width, max)
		if _, err := q.q.ExecContext(ctx, insert+row+strings.Repeat(", "+row, n-1)+tail, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// insertImportNames records the import names of the files (as addImportNames).
func (q queries) insertImportNames(ctx context.Context, files []*metastore.File) error {
	var args []any
	for _, f := range files {
		for _, n := range f.ImportNames {
			if n != "" && !strings.ContainsAny(n, " \t\n") {
				args = append(args, f.ID, n)
			}
		}
	}
	return q.insertRows(ctx, `INSERT INTO import_names (file_id, name) VALUES `, ` ON CONFLICT DO NOTHING`, 2, nameRows, args)
}

// insertContent adds the files to version.
func (q queries) insertContent(ctx context.Context, files []*metastore.File, pids []int64, version int) error {
	args := make([]any, 0, 6*len(files))
	for i, f := range files {
		args = append(args, f.RepositoryID, pids[i], f.ID, f.Yanked, f.YankReason, version)
	}
	return q.insertRows(ctx, `INSERT INTO repository_content (repository_id, project_id, file_id, yanked, yank_reason, version_added) VALUES `,
		"", 6, contentRows, args)
}

// PutParsedMetadataBatch implements metastore.BatchWriter.
func (q queries) PutParsedMetadataBatch(ctx context.Context, rows []metastore.ParsedMetadata) error {
	if len(rows) == 0 {
		return nil
	}
	if err := checkBatch(len(rows), "parsed metadata"); err != nil {
		return err
	}
	seen := make(map[string]bool, len(rows))
	args := make([]any, 0, 2*len(rows))
	for _, r := range rows {
		if r.SHA256 == "" || len(r.Parsed) == 0 {
			return fmt.Errorf("parsed metadata without a digest or content: %w", errs.ErrInvalid)
		}
		if !seen[r.SHA256] {
			seen[r.SHA256] = true
			args = append(args, r.SHA256, string(r.Parsed))
		}
	}
	return q.insertRows(ctx, `INSERT INTO parsed_metadata (metadata_sha256, parsed) VALUES `,
		` ON CONFLICT (metadata_sha256) DO NOTHING`, 2, parsedRows, args)
}
