// Package analyze finds what a Python script or project needs from outside: it
// parses the sources with package pysource, drops the standard library of the target
// Python version (package stdlib) and the code's own local modules, and maps the
// remaining import names to distributions.
//
// Rules:
//   - imports under `if TYPE_CHECKING:` are left out; imports in a `try:` whose
//     handlers catch ImportError (or a bare except) are listed as optional, unless the
//     same module is also imported unguarded;
//   - relative imports are local; so are the modules and packages in a script's
//     folder, the top-level package enclosing a file that sits inside a package, and
//     the top-level modules and packages of a project folder (and of its src/); an
//     absolute import of a name the same file also imports relatively from its own
//     package (`from .Parser import P` … `from Parser import P`, as ANTLR writes) is
//     local too; code read from stdin has no folder, so only relative imports are
//     local there;
//   - the local modules and packages a script imports are read too, transitively,
//     as ModuleFinder would reach them but without running anything (`import a.b`
//     reads a/__init__.py and a/b.py, `from a import x` also a/x.py, relative
//     imports from the file's package); at most maxFollowed files per SOURCE, each
//     at most maxFileSize bytes, maxTotalBytes in all;
//   - each SOURCE has its own local names: a module beside one script is not local
//     to a script in another folder;
//   - TopLevel keeps imports outside of any def (class bodies and module-level
//     if/try/with blocks run at import and count as top level; cctools looked only at
//     the statements directly in the module body); Function keeps imports inside any
//     def of that name, methods and async defs included, and in defs nested in it;
//   - an import is mapped under its top-level name, or for a namespace package
//     (google, google.cloud, azure, azure.mgmt, zope, …: see data/mapping.txt) under
//     the dotted name one level below the namespace (google.protobuf,
//     google.cloud.storage, `from google import protobuf` too);
//   - a key is mapped by, in order: Options.Mappings, the installed environment of the
//     target (only with Pin), the index (GET {index}/api/imports/{module}), the
//     built-in table (data/mapping.txt), and last the name itself with dots made
//     dashes, which is then also listed under Unresolved;
//   - Pin writes NAME==VERSION for distributions installed in the target interpreter
//     (read from its .dist-info / .egg-info folders, no pip needed).
package analyze
