package sqlite

// ProjectPageFilesQuery is projectPageFilesQuery, for the plan check of
// TestCoveringProjectMigration.
const ProjectPageFilesQuery = projectPageFilesQuery
