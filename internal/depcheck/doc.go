// Package depcheck holds no code: its tests check rules of the whole module that no
// single package can check, such as which packages the client may depend on, that no
// code uses http.DefaultClient, that no Go file names an interpreter by its install path,
// and that CI (`make test`) lints and fuzzes.
package depcheck
