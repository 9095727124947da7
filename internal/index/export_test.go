package index

// SetAddBatch makes s write the adds of a batch n at a time (1: each at once, as an
// upload does; 0: the default).
func SetAddBatch(s *Service, n int) { s.addBatch = n }
