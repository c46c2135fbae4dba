//! `load` patterns: a fixed prefix resolved through the file system, then glob segments
//! matched against real paths. `*` and `?` stay within one path segment and do not match a
//! leading `.`; `**` is a whole segment that matches any number of segments.

use std::path::{Component, Path, PathBuf};

use glob::{MatchOptions, Pattern};

use super::paths;

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

#[derive(Debug)]
pub struct LoadPattern {
    /// The resolved pattern, as `capabilities()` shows it.
    shown: String,
    matcher: Matcher,
}

#[derive(Debug)]
enum Matcher {
    /// No wildcard: one file.
    Exact(PathBuf),
    Glob(Pattern),
}

impl PartialEq for LoadPattern {
    fn eq(&self, other: &Self) -> bool {
        self.shown == other.shown
    }
}

impl LoadPattern {
    pub fn resolve(entry: &str, base: &Path) -> Result<LoadPattern, String> {
        let absolute = paths::absolute(entry, base)?;
        let components: Vec<Component> = absolute.components().collect();
        let first_wild = components
            .iter()
            .position(|c| matches!(c, Component::Normal(name) if is_wild(&name.to_string_lossy())));
        let Some(first_wild) = first_wild else {
            let file = paths::resolve(&absolute)?;
            return Ok(LoadPattern {
                shown: file.display().to_string(),
                matcher: Matcher::Exact(file),
            });
        };
        let prefix: PathBuf = components[..first_wild].iter().collect();
        let prefix = paths::resolve(&prefix)?;
        let prefix = prefix
            .to_str()
            .ok_or("its directory is not valid UTF-8")?
            .trim_end_matches('/')
            .to_string();
        let mut segments = Vec::new();
        for component in &components[first_wild..] {
            match component {
                Component::Normal(name) => {
                    segments.push(name.to_str().ok_or("it is not valid UTF-8")?.to_string())
                }
                Component::CurDir => {}
                _ => return Err("`..` may not follow a wildcard".into()),
            }
        }
        let tail = segments.join("/");
        let glob = Pattern::new(&format!("{}/{tail}", Pattern::escape(&prefix)))
            .map_err(|e| format!("invalid pattern: {}", e.msg))?;
        Ok(LoadPattern {
            shown: format!("{prefix}/{tail}"),
            matcher: Matcher::Glob(glob),
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether `real` (a real path: absolute, symlinks resolved) is allowed by this pattern.
    pub fn matches(&self, real: &Path) -> bool {
        match &self.matcher {
            Matcher::Exact(file) => real == file,
            Matcher::Glob(glob) => real
                .to_str()
                .is_some_and(|real| glob.matches_with(real, OPTIONS)),
        }
    }
}

fn is_wild(segment: &str) -> bool {
    segment.contains(['*', '?', '['])
}
