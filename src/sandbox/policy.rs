//! The policy in force and its checks. A check judges an object that was already opened, by
//! its real path (absolute, symlinks resolved; see `checked_open`), never by the name it was
//! asked for.

use std::path::{Path, PathBuf};

use super::manifest::{Entry, WasmSection};
use super::paths;
use super::pattern::LoadPattern;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox::checked_open::{would_be_real_path, Opened};

/// Resource ceilings declared by the manifest (enforced by the limits layer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ceilings {
    pub max_fuel: Option<u64>,
    pub max_timeout_ms: Option<u64>,
    /// Bytes.
    pub max_memory: Option<u64>,
    pub max_instances: Option<u64>,
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
            super::broken_manifest(
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
        Ok(ManifestPolicy {
            ceilings: Ceilings {
                max_fuel: section.max_fuel,
                max_timeout_ms: section.max_timeout_ms,
                max_memory: section.max_memory,
                max_instances: section.max_instances,
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

    /// compileFile: may the opened module file be loaded? It is judged by the real path of
    /// the object that was opened; `requested` is the path as the caller gave it.
    pub fn check_load(&self, requested: &str, opened: &Opened) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        let real = opened.real_path().map_err(|why| {
            manifest.denied(
                format!(
                    "compileFile {requested:?}: cannot be checked against the capability \
                     manifest {}: {why}",
                    manifest.file.display()
                ),
                requested,
            )
        })?;
        manifest.judge_load(requested, Some(real), "the file's real path")
    }

    /// compileFile, when `requested` could not be opened: denied unless it could name a file
    /// that `load` allows, so that a failed open tells nothing about places outside them.
    pub fn check_unopened_load(&self, requested: &str) -> WasmResult<()> {
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        manifest.judge_load(
            requested,
            would_be_real_path(requested).as_deref(),
            "the path",
        )
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
        let Policy::Manifest(manifest) = self else {
            return Ok(());
        };
        let real = opened.real_path().map_err(|why| {
            manifest.denied(
                format!(
                    "preopen {guest:?}: host directory {:?} cannot be checked against the \
                     capability manifest {}: {why}",
                    requested.display(),
                    manifest.file.display()
                ),
                &requested.display().to_string(),
            )
        })?;
        manifest.judge_preopen(guest, requested, Some(real), readonly)
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
    fn judge_load(&self, requested: &str, real: Option<&Path>, judged: &str) -> WasmResult<()> {
        match real {
            Some(real) if self.allows_load(real) => Ok(()),
            Some(_) => Err(self.denied(
                format!(
                    "compileFile {requested:?}: not allowed by the capability manifest {}: \
                     {judged} matches no `load` pattern",
                    self.file.display()
                ),
                requested,
            )),
            None => Err(self.denied(
                format!(
                    "compileFile {requested:?}: not allowed by the capability manifest {}: \
                     it does not name a file in a place that `load` allows",
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
