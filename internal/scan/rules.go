package scan

import "strings"

// The callees the rules look for, as calls() resolves them.
var (
	execCalls = set("exec", "eval", "compile", "execfile", "types.FunctionType")
	// decoders: qualified names, and method or bare names that decode whatever they are on.
	decoders = set("base64.b64decode", "base64.b32decode", "base64.b32hexdecode", "base64.b16decode",
		"base64.b85decode", "base64.a85decode", "base64.z85decode", "base64.decodebytes",
		"base64.decodestring", "base64.urlsafe_b64decode", "base64.standard_b64decode",
		"binascii.unhexlify", "binascii.a2b_hex", "binascii.a2b_base64", "binascii.a2b_uu",
		"codecs.decode", "zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress",
		"marshal.loads", "bytes.fromhex", "bytearray.fromhex", "chr")
	decoderNames = set("b64decode", "b32decode", "b16decode", "b85decode", "a85decode", "decodebytes",
		"decodestring", "urlsafe_b64decode", "unhexlify", "a2b_hex", "a2b_base64", "fromhex", "decompress")
	// codecs whose name in a literal (x.decode("rot13"), codecs.decode(s, "hex")) decodes.
	codecNames = set("rot13", "rot_13", "rot-13", "hex", "hex_codec", "base64", "base64_codec", "base_64",
		"zlib", "zlib_codec", "bz2_codec", "uu", "uu_codec")
	subprocessCalls = set("subprocess.Popen", "subprocess.call", "subprocess.check_call",
		"subprocess.check_output", "subprocess.run", "subprocess.getoutput", "subprocess.getstatusoutput",
		"os.system", "os.popen", "os.popen2", "os.popen3", "os.spawnl", "os.spawnle", "os.spawnlp",
		"os.spawnv", "os.spawnve", "os.spawnvp", "os.spawnvpe", "os.execl", "os.execle", "os.execlp",
		"os.execv", "os.execve", "os.execvp", "os.execvpe", "os.posix_spawn", "os.posix_spawnp",
		"os.startfile", "commands.getoutput", "commands.getstatusoutput", "pty.spawn", "platform.popen",
		"asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell")
	// networkModules: importing one (or calling into it) is network use.
	networkModules = []string{"socket", "urllib.request", "urllib2", "urllib3", "requests", "httpx",
		"http.client", "httplib", "aiohttp", "ftplib", "smtplib", "telnetlib", "pycurl", "websocket",
		"websockets", "dns.resolver", "paramiko", "xmlrpc.client", "xmlrpclib", "urllib.urlopen",
		"urllib.urlretrieve"}
	// setuptools/distutils command classes a cmdclass derives from; installCommands run at install.
	commandBases    = set("install", "develop", "egg_info", "build", "build_py", "build_ext", "sdist", "bdist_wheel", "bdist_egg", "install_lib", "install_scripts", "install_egg_info", "Command", "_install", "_develop", "_egg_info", "_build_py", "_build_ext", "_sdist", "orig_install")
	installCommands = set("install", "develop", "egg_info", "install_lib", "install_scripts", "install_egg_info", "_install", "_develop", "_egg_info", "orig_install")
	// environAccess: os.environ.NAME that reads one variable rather than dumping them all.
	environAccess = set("get", "setdefault", "pop", "update", "__contains__", "__getitem__", "__setitem__", "putenv", "unsetenv", "clear")
	// shellWords in a subprocess command literal make a setup.py subprocess call high.
	shellWords = []string{"curl", "wget", "powershell", "bash -c", "sh -c", "/dev/tcp", "nc -e", "| sh", "|sh", "| bash", "certutil", "bitsadmin", "mshta"}
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func last(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// isDecoder reports whether a callee decodes data.
func isDecoder(name string) bool {
	if decoders[name] {
		return true
	}
	l := last(name)
	return decoderNames[l] && (l != "decompress" || strings.HasPrefix(name, "."))
}

// networkModule returns the network module a dotted name is in, or "".
func networkModule(name string) string {
	for _, m := range networkModules {
		if name == m || strings.HasPrefix(name, m+".") {
			return m
		}
	}
	return ""
}

// isNetworkCall reports whether a callee is a network call.
func isNetworkCall(name string) bool {
	if networkModule(name) == "" {
		return false
	}
	switch l := last(name); {
	case name == "socket.gethostname", strings.Contains(name, ".exceptions."),
		strings.HasSuffix(l, "Error"), strings.HasSuffix(l, "Exception"), strings.HasSuffix(l, "Warning"):
		return false
	}
	return true
}

// credential returns what kind of secret store a literal names, or "".
func credential(s string) string {
	if len(s) > 4096 || len(s) < 4 {
		return ""
	}
	for _, b := range []struct{ part, what string }{
		{"Login Data", "browser passwords"}, {"logins.json", "browser passwords"}, {"key4.db", "browser keys"},
		{"key3.db", "browser keys"}, {"Web Data", "browser data"}, {"Google/Chrome/User Data", "browser profile"},
		{`Google\Chrome\User Data`, "browser profile"}, {".mozilla/firefox", "browser profile"},
		{`Mozilla\Firefox\Profiles`, "browser profile"}, {"BraveSoftware", "browser profile"},
		{"wallet.dat", "a crypto wallet"}, {".electrum", "a crypto wallet"}, {"Exodus/exodus.wallet", "a crypto wallet"},
		{"/etc/shadow", "/etc/shadow"}, {".docker/config.json", "docker credentials"},
		{".kube/config", "kubernetes credentials"}, {".aws/credentials", "AWS credentials"},
		{".config/gcloud", "gcloud credentials"}, {".azure/", "azure credentials"},
	} {
		if strings.Contains(s, b.part) {
			return b.what
		}
	}
	for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		switch c {
		case ".ssh", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519":
			return "SSH keys (~/.ssh)"
		case ".aws":
			return "AWS credentials (~/.aws)"
		case ".netrc", "_netrc":
			return ".netrc"
		case ".pypirc":
			return ".pypirc"
		case ".git-credentials":
			return ".git-credentials"
		case ".gnupg":
			return "GnuPG keys (~/.gnupg)"
		}
	}
	return ""
}
