package tracereport

import (
	"path/filepath"
	"sort"
)

// The decoy values: fake, but shaped like the real thing, and each holding "pydepot" and
// "decoy" so a person reading a report (or a leaked log) knows them at once.
const (
	decoyAWSKeyID  = "AKIAPYDEPOTDECOY0001"
	decoyAWSSecret = "pydepotDECOYawsSecretKey0000000000000001"
	decoyGitHub    = "ghp_pydepotDECOYgithubToken000000000001"
	decoyPyPI      = "pypi-pydepotDECOYpypiToken0000000000001"
	decoyNetrc     = "pydepot-decoy-netrc-password-0001"
	decoySSH       = "pydepot-decoy-ssh-private-key-0001"
	decoyNPM       = "npm_pydepotDECOYnpmToken00000000000001"
)

// DefaultDecoys returns what a check plants where a thief would look: fake credential
// files under home (path → content) and fake tokens for the environment (name → value).
// Reading one of the files, or sending or passing on one of the values, is a high
// finding; DecoyPolicy gives the Policy fields that say so.
func DefaultDecoys(home string) (files map[string]string, env map[string]string) {
	files = map[string]string{
		filepath.Join(home, ".aws", "credentials"): "[default]\naws_access_key_id = " + decoyAWSKeyID +
			"\naws_secret_access_key = " + decoyAWSSecret + "\n",
		filepath.Join(home, ".ssh", "id_rsa"): "-----BEGIN OPENSSH PRIVATE KEY-----\n" + decoySSH +
			"\n-----END OPENSSH PRIVATE KEY-----\n",
		filepath.Join(home, ".netrc"):           "machine pypi.org login __token__ password " + decoyNetrc + "\n",
		filepath.Join(home, ".pypirc"):          "[pypi]\nusername = __token__\npassword = " + decoyPyPI + "\n",
		filepath.Join(home, ".git-credentials"): "https://pydepot:" + decoyGitHub + "@github.com\n",
	}
	env = map[string]string{
		"AWS_ACCESS_KEY_ID":     decoyAWSKeyID,
		"AWS_SECRET_ACCESS_KEY": decoyAWSSecret,
		"GITHUB_TOKEN":          decoyGitHub,
		"TWINE_PASSWORD":        decoyPyPI,
		"NPM_TOKEN":             decoyNPM,
	}
	return files, env
}

// DecoyPolicy returns the paths of DefaultDecoys' files and every secret value they and
// its environment hold, for Policy.Decoys and Policy.Secrets.
func DecoyPolicy(home string) (decoys, secrets []string) {
	files, _ := DefaultDecoys(home)
	for p := range files {
		decoys = append(decoys, p)
	}
	sort.Strings(decoys)
	secrets = []string{decoyAWSKeyID, decoyAWSSecret, decoyGitHub, decoyPyPI, decoyNetrc, decoySSH, decoyNPM}
	return decoys, secrets
}
