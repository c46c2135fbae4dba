//! The policy in force and its checks. A check judges an object that was already opened, by
//! its real path (absolute, symlinks resolved; see `checked_open`), never by the name it was
//! asked for.

use std::path::{Path, PathBuf};

use super::manifest::{Entry, WasmSection};
use super::network::Grant;
use super::paths;
use super::pattern::LoadPattern;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox::checked_open::{would_be_real_path, Opened};
use crate::sandbox::node_grants::{self, Use};

/// Resource ceilings declared by the manifest (enforced by the limits layer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ceilings {
    pub max_fuel: Option<u64>,
    pub max_timeout_ms: Option<u64>,
    /// Bytes.
    pub max_memory: Option<u64>,
    pub max_instances: Option<u64>,
    /// Bytes: the largest module source `compile` and `compileFile` accept.
    pub max_module_size: Option<u64>,
    /// The compile budget's other ceilings (see `runtime::compile_limits`).
    pub max_functions: Option<u64>,
    /// Bytes.
    pub max_function_size: Option<u64>,
    pub max_compile_time_ms: Option<u64>,
}

/// Where the manifest in force was named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `configure({ manifest })`.
    Configure,
    /// The RUNTIME_WASM_MANIFEST environment variable.
    Env,
    /// manifest.app.toml in the current directory.
    Cwd,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Configure => "configure",
            Origin::Env => "env",
            Origin::Cwd => "cwd",
        }
    }
}

#[derive(Debug)]
pub enum Policy {
    /// No manifest anywhere: everything the API offers is allowed.
    Permissive,
    Manifest(ManifestPolicy),
}

#[derive(Debug)]
pub struct ManifestPolicy {
    /// The manifest's real path.
    pub file: PathBuf,
    pub origin: Origin,
    pub load: Vec<LoadPattern>,
    pub preopens: Vec<PathBuf>,
    pub preopens_readonly: Vec<PathBuf>,
    pub ceilings: Ceilings,
    /// `[capabilities.net]`: every grant an instance is given must lie within one of these.
    pub net: Vec<Grant>,
}

/// Why a host directory may not be preopened as asked.
enum PreopenDenial {
    Outside,
    ReadOnlyDir(PathBuf),
    ContainsReadOnlyDir(PathBuf),
}

impl ManifestPolicy {
    /// Resolves the entries of `section` against `file`'s directory.
    pub fn resolve(
        file: PathBuf,
        origin: Origin,
        section: WasmSection,
    ) -> WasmResult<ManifestPolicy> {
        let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let entry_error = |entry: &Entry, problem: String| {
            super::manifest::broken(
                &file,
                Some(entry.line),
                Some(&entry.key),
                &format!("{:?} {problem}", entry.text),
            )
        };
        let load = section
            .load
            .iter()
            .map(|entry| {
                LoadPattern::resolve(&entry.text, &base).map_err(|p| entry_error(entry, p))
            })
            .collect::<WasmResult<Vec<_>>>()?;
        let dirs = |entries: &[Entry]| {
            entries
                .iter()
                .map(|entry| {
                    paths::absolute(&entry.text, &base)
                        .and_then(|path| paths::resolve(&path))
                        .map_err(|p| entry_error(entry, p))
                })
                .collect::<WasmResult<Vec<_>>>()
        };
        let preopens = dirs(&section.preopens)?;
        let preopens_readonly = dirs(&section.preopens_readonly)?;
        let net = section.net;
        Ok(ManifestPolicy {
            net,
            ceilings: Ceilings {
                max_fuel: section.max_fuel,
                max_timeout_ms: section.max_timeout_ms,
                max_memory: section.max_memory,
                max_instances: section.max_instances,
                max_module_size: section.max_module_size,
                max_functions: section.max_functions,
                max_function_size: section.max_function_size,
                max_compile_time_ms: section.max_compile_time_ms,
            },
            file,
            origin,
            load,
            preopens,
            preopens_readonly,
        })
    }

    /// The same manifest file with the same resolved content (wherever it was named from).
    pub fn same_as(&self, other: &ManifestPolicy) -> bool {
        self.file == other.file
            && self.load == other.load
            && self.preopens == other.preopens
            && self.preopens_readonly == other.preopens_readonly
            && self.ceilings == other.ceilings
            && self.net == other.net
    }

    fn allows_load(&self, real: &Path) -> bool {
        self.load.iter().any(|pattern| pattern.matches(real))
    }

    /// A read-write preopen must lie inside a `preopens` directory, must not lie inside a
    /// `preopens_readonly` directory, and must not contain one (the guest could write to it).
    /// A read-only preopen may lie inside either kind.
    fn preopen_denial(&self, real: &Path, readonly: bool) -> Option<PreopenDenial> {
        let inside = |dirs: &[PathBuf]| dirs.iter().any(|dir| real.starts_with(dir));
        if readonly {
            return (!inside(&self.preopens) && !inside(&self.preopens_readonly))
                .then_some(PreopenDenial::Outside);
        }
        if !inside(&self.preopens) {
            let read_only = self
                .preopens_readonly
                .iter()
                .find(|dir| real.starts_with(dir));
            return Some(match read_only {
                Some(dir) => PreopenDenial::ReadOnlyDir(dir.clone()),
                None => PreopenDenial::Outside,
            });
        }
        if let Some(dir) = self
            .preopens_readonly
            .iter()
            .find(|dir| real.starts_with(dir))
        {
            return Some(PreopenDenial::ReadOnlyDir(dir.clone()));
        }
        self.preopens_readonly
            .iter()
            .find(|dir| dir.starts_with(real))
            .map(|dir| PreopenDenial::ContainsReadOnlyDir(dir.clone()))
    }

    fn denied(&self, message: String, path: &str) -> WasmError {
        WasmError::new(ErrorCode::PermissionDenied, message)
            .with_path(path)
            .with_manifest(self.file.display().to_string())
    }
}

impl Policy {
    #[allow(dead_code)] // Read through `capabilities::ceilings`.
    pub fn ceilings(&self) -> Ceilings {
        match self {
            Policy::Permissive => Ceilings::default(),
            Policy::Manifest(manifest) => manifest.ceilings,
        }
    }

    /// instantiate: may an instance be given these network grants? With a manifest in force,
    /// each must lie within one of `[capabilities.net]`'s.
    pub fn check_network(&self, grants: &[Grant]) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        match grants
            .iter()
            .find(|g| !manifest.net.iter().any(|top| g.within(top)))
        {
            None => Ok(()),
            Some(outside) => Err(WasmError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "network grant {outside} is not within the manifest's [capabilities.net] \
                     (allowed: {})",
                    if manifest.net.is_empty() {
                        "nothing".to_string()
                    } else {
                        manifest
                            .net
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    }
                ),
            )
            .with_manifest(manifest.file.display().to_string())),
        }
    }

    /// compileFile: may the opened module file be loaded? It is judged by the real path of
    /// the object that was opened; `requested` is the path as the caller gave it.
    pub fn check_load(&self, requested: &str, opened: &Opened) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return node_grants::require(
                Use::Load,
                Path::new(requested),
                opened,
                &format!("compileFile {requested:?}"),
            );
        };
        // A real path that cannot be established (the name was swapped while it was being
        // opened) is refused like any other place outside: the refusal tells nothing more.
        manifest.judge_load(requested, opened.real_path().ok())?;
        node_grants::require(
            Use::Load,
            Path::new(requested),
            opened,
            &format!("compileFile {requested:?}"),
        )
    }

    /// compileFile, when `requested` could not be opened: denied unless it could name a file
    /// that `load` allows, so that a failed open tells nothing about places outside them.
    pub fn check_unopened_load(&self, requested: &str) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        manifest.judge_load(requested, would_be_real_path(requested).as_deref())
    }

    /// instantiate: may the opened host directory be preopened (read-only or not)? `guest`
    /// and `requested` are the caller's names.
    pub fn check_preopen(
        &self,
        guest: &str,
        requested: &Path,
        opened: &Opened,
        readonly: bool,
    ) -> WasmResult<()> {
        let used_for = Use::Preopen { readonly };
        let what = format!("preopen {guest:?}");
        let Policy::Manifest(manifest) = self else {
            return node_grants::require(used_for, requested, opened, &what);
        };
        manifest.judge_preopen(guest, requested, opened.real_path().ok(), readonly)?;
        node_grants::require(used_for, requested, opened, &what)
    }

    /// instantiate, when `requested` could not be opened: like `check_unopened_load`.
    pub fn check_unopened_preopen(
        &self,
        guest: &str,
        requested: &Path,
        readonly: bool,
    ) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        let would_be = requested.to_str().and_then(would_be_real_path);
        manifest.judge_preopen(guest, requested, would_be.as_deref(), readonly)
    }

    /// The error for a preopen whose directory, as WASI opened it, is not the one checked.
    pub fn preopen_changed(&self, guest: &str, requested: &Path) -> WasmError {
        let error = WasmError::new(
            ErrorCode::PermissionDenied,
            format!(
                "preopen {guest:?}: host directory {:?} was replaced while it was being \
                 opened; nothing was preopened",
                requested.display()
            ),
        )
        .with_path(requested.display().to_string());
        match self {
            Policy::Manifest(manifest) => error.with_manifest(manifest.file.display().to_string()),
            Policy::Permissive => error,
        }
    }
}

impl ManifestPolicy {
    /// The refusal is the same whatever the reason (a file outside, a missing one, one whose
    /// real path cannot be told), so that it never tells whether or what exists outside.
    fn judge_load(&self, requested: &str, real: Option<&Path>) -> WasmResult<()> {
        match real {
            Some(real) if self.allows_load(real) => Ok(()),
            _ => Err(self.denied(
                format!(
                    "compileFile {requested:?}: not allowed by the capability manifest {}: \
                     no `load` pattern allows it",
                    self.file.display()
                ),
                requested,
            )),
        }
    }

    fn judge_preopen(
        &self,
        guest: &str,
        requested: &Path,
        real: Option<&Path>,
        readonly: bool,
    ) -> WasmResult<()> {
        let denial = match real {
            Some(real) => match self.preopen_denial(real, readonly) {
                Some(denial) => denial,
                None => return Ok(()),
            },
            None => PreopenDenial::Outside,
        };
        let requested = requested.display().to_string();
        let how = match denial {
            PreopenDenial::Outside => "",
            _ => " read-write",
        };
        let why = match denial {
            PreopenDenial::Outside => format!(
                "it is not inside any directory the manifest declares in `preopens`{}",
                if readonly {
                    " or `preopens_readonly`"
                } else {
                    ""
                }
            ),
            PreopenDenial::ReadOnlyDir(dir) => format!(
                "it is inside {}, which `preopens_readonly` allows read-only: pass \
                 {{ path, readonly: true }}",
                dir.display()
            ),
            PreopenDenial::ContainsReadOnlyDir(dir) => format!(
                "it contains {}, which `preopens_readonly` allows read-only: preopen it read-only",
                dir.display()
            ),
        };
        Err(self.denied(
            format!(
                "preopen {guest:?}: host directory {requested:?} is not allowed{how} by the \
                 capability manifest {}: {why}",
                self.file.display()
            ),
            &requested,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::checked_open::{open_dir, open_file};
    use crate::testing::TempDir;

    /// Writes `text` as the manifest in `dir` and loads it as `configure` would.
    fn manifest_policy(dir: &TempDir, text: &str) -> WasmResult<Policy> {
        let file = dir.file("manifest.app.toml", text.as_bytes());
        crate::sandbox::load(&file, Origin::Configure)
    }

    fn in_force(dir: &TempDir, text: &str) -> Policy {
        manifest_policy(dir, text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn load(policy: &Policy, path: &Path) -> WasmResult<()> {
        let opened = open_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        policy.check_load(&path.display().to_string(), &opened)
    }

    fn preopen(policy: &Policy, path: &Path, readonly: bool) -> WasmResult<()> {
        let opened = open_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        policy.check_preopen("/guest", path, &opened, readonly)
    }

    fn assert_denied(result: WasmResult<()>, says: &str) -> WasmError {
        let error = result.expect_err("should be denied");
        assert_eq!(error.code, ErrorCode::PermissionDenied, "{error}");
        assert!(
            error.message.contains(says),
            "{:?} should say {says:?}",
            error.message
        );
        error
    }

    // --- loads ---

    #[test]
    fn permissive_allows_every_load_and_preopen() {
        let dir = TempDir::new();
        let file = dir.file("anywhere/x.wasm", b"");
        let policy = Policy::Permissive;
        assert!(load(&policy, &file).is_ok());
        assert!(policy.check_unopened_load("/no/such/file.wasm").is_ok());
        assert!(preopen(&policy, dir.path(), false).is_ok());
        assert!(policy
            .check_unopened_preopen("/g", Path::new("/no/such/dir"), false)
            .is_ok());
        assert_eq!(policy.ceilings(), Ceilings::default());
    }

    #[test]
    fn a_load_matching_a_pattern_is_allowed() {
        let dir = TempDir::new();
        let file = dir.file("plugins/a.wasm", b"");
        let nested = dir.file("tools/x/y/t.wasm", b"");
        let exact = dir.file("one.wasm", b"");
        let policy = in_force(
            &dir,
            "[capabilities.wasm]\nload = [\"plugins/*.wasm\", \"tools/**/*.wasm\", \"one.wasm\"]\n",
        );
        assert!(load(&policy, &file).is_ok());
        assert!(load(&policy, &nested).is_ok());
        assert!(load(&policy, &exact).is_ok());
    }

    #[test]
    fn a_load_matching_no_pattern_is_denied_with_the_path_and_the_manifest() {
        let dir = TempDir::new();
        let outside = dir.file("other/b.wasm", b"");
        dir.file("plugins/sub/c.wasm", b"");
        let policy = in_force(&dir, "[capabilities.wasm]\nload = [\"plugins/*.wasm\"]\n");
        let error = assert_denied(load(&policy, &outside), "no `load` pattern allows it");
        let requested = outside.display().to_string();
        assert_eq!(error.details.path.as_deref(), Some(requested.as_str()));
        let manifest = dir.path().join("manifest.app.toml").display().to_string();
        assert_eq!(error.details.manifest.as_deref(), Some(manifest.as_str()));
        assert!(error.message.contains(&manifest), "{}", error.message);
        // `*` does not reach into subdirectories.
        assert_denied(
            load(&policy, &dir.path().join("plugins/sub/c.wasm")),
            "no `load` pattern allows it",
        );
    }

    #[test]
    fn a_manifest_without_load_allows_no_load() {
        let dir = TempDir::new();
        let file = dir.file("x.wasm", b"");
        let policy = in_force(&dir, "[app]\nname = \"x\"\n");
        assert_denied(load(&policy, &file), "no `load` pattern allows it");
        // Not even the manifest itself.
        assert_denied(
            load(&policy, &dir.path().join("manifest.app.toml")),
            "no `load` pattern allows it",
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_load_is_judged_by_the_real_path_of_what_was_opened() {
        let dir = TempDir::new();
        let secret = dir.file("secret.wasm", b"");
        let allowed = dir.file("plugins/a.wasm", b"");
        let policy = in_force(&dir, "[capabilities.wasm]\nload = [\"plugins/*.wasm\"]\n");
        // A link inside the allowed place to a file outside it is denied...
        let inward = dir.symlink(&secret, "plugins/evil.wasm");
        assert_denied(load(&policy, &inward), "no `load` pattern allows it");
        // ...and a link outside to an allowed file is allowed.
        let outward = dir.symlink(&allowed, "alias.wasm");
        assert!(load(&policy, &outward).is_ok());
    }

    #[test]
    fn an_unopened_load_is_denied_unless_it_names_an_allowed_place() {
        let dir = TempDir::new();
        dir.dir("plugins");
        dir.dir("other");
        let policy = in_force(&dir, "[capabilities.wasm]\nload = [\"plugins/*.wasm\"]\n");
        let in_place = dir.path().join("plugins/missing.wasm");
        assert!(policy
            .check_unopened_load(&in_place.display().to_string())
            .is_ok());
        let outside = dir.path().join("other/missing.wasm");
        assert_denied(
            policy.check_unopened_load(&outside.display().to_string()),
            "no `load` pattern allows it",
        );
        let nowhere = dir.path().join("no/such/dir/x.wasm");
        assert_denied(
            policy.check_unopened_load(&nowhere.display().to_string()),
            "no `load` pattern allows it",
        );
        for odd in ["", "/", ".", ".."] {
            assert_denied(
                policy.check_unopened_load(odd),
                "no `load` pattern allows it",
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_unopened_dangling_link_tells_nothing_about_its_target() {
        let dir = TempDir::new();
        dir.dir("plugins");
        let policy = in_force(&dir, "[capabilities.wasm]\nload = [\"plugins/*.wasm\"]\n");
        let link = dir.symlink("/nonexistent/target.wasm", "plugins/dangling.wasm");
        assert_denied(
            policy.check_unopened_load(&link.display().to_string()),
            "no `load` pattern allows it",
        );
    }

    // --- preopens ---

    const PREOPENS: &str = "[capabilities.wasm]\npreopens = [\"data\"]\n\
                            preopens_readonly = [\"data/ro\", \"assets\"]\n";

    fn preopen_tree() -> TempDir {
        let dir = TempDir::new();
        for sub in [
            "data/rw/deep",
            "data/ro/sub",
            "assets/img",
            "data2",
            "other",
        ] {
            dir.dir(sub);
        }
        dir
    }

    #[test]
    fn read_write_preopens_inside_preopens_are_allowed() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        assert!(preopen(&policy, &dir.path().join("data/rw"), false).is_ok());
        assert!(preopen(&policy, &dir.path().join("data/rw/deep"), false).is_ok());
    }

    #[test]
    fn read_write_is_denied_inside_a_read_only_directory() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        for inside in ["data/ro", "data/ro/sub", "assets", "assets/img"] {
            let error = assert_denied(
                preopen(&policy, &dir.path().join(inside), false),
                "is not allowed read-write",
            );
            assert!(
                error.message.contains("pass { path, readonly: true }"),
                "{inside}: {error}"
            );
        }
    }

    #[test]
    fn read_write_is_denied_for_a_directory_containing_a_read_only_one() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        let error = assert_denied(
            preopen(&policy, &dir.path().join("data"), false),
            "is not allowed read-write",
        );
        let ro = dir.path().join("data/ro").display().to_string();
        assert!(
            error.message.contains(&format!("it contains {ro}")),
            "{error}"
        );
    }

    #[test]
    fn read_only_preopens_may_lie_inside_either_kind() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        for inside in [
            "data",
            "data/rw",
            "data/ro",
            "data/ro/sub",
            "assets",
            "assets/img",
        ] {
            assert!(
                preopen(&policy, &dir.path().join(inside), true).is_ok(),
                "{inside}"
            );
        }
    }

    #[test]
    fn preopens_outside_every_declared_directory_are_denied() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        // "data2" shares a string prefix with "data" but is not inside it.
        for outside in ["data2", "other", ""] {
            let path = dir.path().join(outside);
            let error = assert_denied(
                preopen(&policy, &path, false),
                "it is not inside any directory the manifest declares in `preopens`",
            );
            assert!(!error.message.contains("preopens_readonly"), "{error}");
            assert_eq!(
                error.details.path.as_deref(),
                Some(path.display().to_string().as_str())
            );
            assert_denied(
                preopen(&policy, &path, true),
                "declares in `preopens` or `preopens_readonly`",
            );
        }
        assert_denied(preopen(&policy, Path::new("/"), true), "is not inside any");
    }

    #[cfg(unix)]
    #[test]
    fn a_preopen_is_judged_by_the_real_path_of_the_directory() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        let escape = dir.symlink(dir.path().join("other"), "data/rw/escape");
        assert_denied(preopen(&policy, &escape, true), "is not inside any");
        let alias = dir.symlink(dir.path().join("data/rw"), "alias");
        assert!(preopen(&policy, &alias, false).is_ok());
    }

    #[test]
    fn unopened_preopens_are_judged_by_where_they_would_be() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        let inside = dir.path().join("data/rw/missing");
        assert!(policy.check_unopened_preopen("/g", &inside, false).is_ok());
        let read_only = dir.path().join("data/ro/missing");
        assert_denied(
            policy.check_unopened_preopen("/g", &read_only, false),
            "`preopens_readonly` allows read-only",
        );
        assert!(policy
            .check_unopened_preopen("/g", &read_only, true)
            .is_ok());
        let outside = dir.path().join("other/missing");
        assert_denied(
            policy.check_unopened_preopen("/g", &outside, true),
            "is not inside any",
        );
        let nowhere = dir.path().join("no/such/place");
        assert_denied(
            policy.check_unopened_preopen("/g", &nowhere, false),
            "is not inside any",
        );
    }

    #[test]
    fn the_error_names_the_guest_path() {
        let dir = preopen_tree();
        let policy = in_force(&dir, PREOPENS);
        let opened = open_dir(&dir.path().join("other")).unwrap();
        let error = policy
            .check_preopen("/sandbox", &dir.path().join("other"), &opened, false)
            .unwrap_err();
        assert!(
            error
                .message
                .starts_with("preopen \"/sandbox\": host directory "),
            "{error}"
        );
    }

    #[test]
    fn a_replaced_preopen_is_a_permission_error_in_either_mode() {
        let dir = TempDir::new();
        let policy = in_force(&dir, PREOPENS.replace("data", "x").as_str());
        let error = policy.preopen_changed("/g", Path::new("/some/dir"));
        assert_eq!(error.code, ErrorCode::PermissionDenied);
        assert!(error
            .message
            .contains("was replaced while it was being opened"));
        assert_eq!(error.details.path.as_deref(), Some("/some/dir"));
        assert!(error.details.manifest.is_some());
        let error = Policy::Permissive.preopen_changed("/g", Path::new("/some/dir"));
        assert_eq!(error.code, ErrorCode::PermissionDenied);
        assert!(error.details.manifest.is_none());
    }

    // --- ceilings and the manifest itself ---

    #[test]
    fn ceilings_come_from_the_manifest() {
        let dir = TempDir::new();
        let policy = in_force(
            &dir,
            "[capabilities.wasm]\nmax_fuel = 5000\nmax_timeout_ms = 100\n\
             max_memory = \"1MiB\"\nmax_instances = 3\n",
        );
        assert_eq!(
            policy.ceilings(),
            Ceilings {
                max_fuel: Some(5000),
                max_timeout_ms: Some(100),
                max_memory: Some(1 << 20),
                max_instances: Some(3),
                max_module_size: None,
                max_functions: None,
                max_function_size: None,
                max_compile_time_ms: None,
            }
        );
        let only_fuel = TempDir::new();
        let only_fuel = in_force(&only_fuel, "[capabilities.wasm]\nmax_fuel = 1\n");
        assert_eq!(only_fuel.ceilings().max_memory, None);
        assert_eq!(only_fuel.ceilings().max_fuel, Some(1));
    }

    #[test]
    fn the_snapshot_shows_resolved_entries() {
        let dir = preopen_tree();
        let policy = in_force(
            &dir,
            "[capabilities.wasm]\nload = [\"data/*.wasm\"]\npreopens = [\"data\"]\n\
             preopens_readonly = [\"assets\"]\nmax_instances = 2\n",
        );
        let snapshot = policy.snapshot();
        assert_eq!(snapshot.mode, "manifest");
        assert_eq!(snapshot.origin, Some("configure"));
        let root = dir.path().display();
        assert_eq!(snapshot.source, Some(format!("{root}/manifest.app.toml")));
        assert_eq!(snapshot.load, [format!("{root}/data/*.wasm")]);
        assert_eq!(snapshot.preopens, [format!("{root}/data")]);
        assert_eq!(snapshot.preopens_readonly, [format!("{root}/assets")]);
        assert_eq!(snapshot.ceilings.max_instances, Some(2));
        let permissive = Policy::Permissive.snapshot();
        assert_eq!(permissive.mode, "permissive");
        assert_eq!(permissive.source, None);
        assert!(permissive.load.is_empty());
    }

    #[test]
    fn an_entry_that_cannot_be_resolved_is_a_broken_manifest_at_its_line() {
        let dir = TempDir::new();
        let error = manifest_policy(
            &dir,
            "[capabilities.wasm]\nload = [\"ok.wasm\",\n  \"~someone/x.wasm\"]\n",
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::PermissionDenied);
        assert_eq!(error.details.line, Some(3));
        assert_eq!(error.details.key.as_deref(), Some("capabilities.wasm.load"));
        assert!(
            error.message.contains("line 3, key capabilities.wasm.load"),
            "{error}"
        );
        assert!(error.message.contains("\"~someone/x.wasm\""), "{error}");

        let error = manifest_policy(
            &dir,
            "[capabilities.wasm]\npreopens_readonly = [\"gone/../x\"]\n",
        )
        .unwrap_err();
        assert_eq!(error.details.line, Some(2));
        assert_eq!(
            error.details.key.as_deref(),
            Some("capabilities.wasm.preopens_readonly")
        );
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_a_broken_manifest() {
        let dir = TempDir::new();
        let error =
            manifest_policy(&dir, "[capabilities.wasm]\nmax_fuel = \"lots\"\n").unwrap_err();
        assert_eq!(error.code, ErrorCode::PermissionDenied);
        assert!(
            error.message.starts_with("invalid capability manifest "),
            "{error}"
        );
        assert_eq!(error.details.line, Some(2));
        assert_eq!(
            error.details.key.as_deref(),
            Some("capabilities.wasm.max_fuel")
        );
        let manifest = dir.path().join("manifest.app.toml").display().to_string();
        assert_eq!(error.details.manifest.as_deref(), Some(manifest.as_str()));
    }

    #[test]
    fn a_missing_manifest_cannot_be_read() {
        let dir = TempDir::new();
        let error = crate::sandbox::load(&dir.path().join("absent.toml"), Origin::Env).unwrap_err();
        assert_eq!(error.code, ErrorCode::PermissionDenied);
        assert!(error.message.contains("cannot be read"), "{error}");
        assert_eq!(error.details.line, None);
    }

    #[test]
    fn the_same_manifest_is_the_same_wherever_it_was_named_from() {
        let dir = TempDir::new();
        dir.dir("p");
        let text = "[capabilities.wasm]\nload = [\"p/*.wasm\"]\nmax_fuel = 9\n";
        let file = dir.file("manifest.app.toml", text.as_bytes());
        let Policy::Manifest(first) = crate::sandbox::load(&file, Origin::Env).unwrap() else {
            panic!("a manifest policy")
        };
        let Policy::Manifest(again) = crate::sandbox::load(&file, Origin::Configure).unwrap()
        else {
            panic!("a manifest policy")
        };
        assert!(first.same_as(&again));
        std::fs::write(&file, text.replace("max_fuel = 9", "max_fuel = 10")).unwrap();
        let Policy::Manifest(changed) = crate::sandbox::load(&file, Origin::Env).unwrap() else {
            panic!("a manifest policy")
        };
        assert!(!first.same_as(&changed));
    }
}
