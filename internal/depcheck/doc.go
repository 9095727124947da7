// Package depcheck holds no code: its tests check rules of the whole module that no
// single package can check, such as which packages the client may depend on and that no
// code uses http.DefaultClient.
package depcheck
