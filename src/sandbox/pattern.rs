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
        // Wildcards are looked for in the entry as written only: the manifest's directory and
        // the home directory are literal even when their names hold `*`, `?` or `[`.
        let components: Vec<Component> = Path::new(entry).components().collect();
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
        let literal: PathBuf = components[..first_wild].iter().collect();
        let literal = literal.to_str().ok_or("it is not valid UTF-8")?;
        let prefix = paths::resolve(&paths::absolute(literal, base)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    fn pattern(entry: &str, base: &Path) -> LoadPattern {
        LoadPattern::resolve(entry, base).unwrap_or_else(|e| panic!("{entry:?}: {e}"))
    }

    #[test]
    fn a_plain_entry_matches_exactly_one_file() {
        let dir = TempDir::new();
        let file = dir.file("plugins/a.wasm", b"");
        dir.file("plugins/b.wasm", b"");
        let exact = pattern("plugins/a.wasm", dir.path());
        assert_eq!(exact.shown(), file.display().to_string());
        assert!(exact.matches(&file));
        assert!(!exact.matches(&dir.path().join("plugins/b.wasm")));
        assert!(!exact.matches(&dir.path().join("plugins/a.wasm/x")));
        assert!(!exact.matches(&dir.path().join("plugins")));
    }

    #[test]
    fn a_plain_entry_may_name_a_file_that_does_not_exist_yet() {
        let dir = TempDir::new();
        let exact = pattern("later/x.wasm", dir.path());
        assert_eq!(
            exact.shown(),
            dir.path().join("later/x.wasm").display().to_string()
        );
        assert!(exact.matches(&dir.path().join("later/x.wasm")));
    }

    #[test]
    fn star_stays_within_one_segment() {
        let dir = TempDir::new();
        let base = dir.dir("plugins");
        let star = pattern("plugins/*.wasm", dir.path());
        assert_eq!(star.shown(), format!("{}/*.wasm", base.display()));
        assert!(star.matches(&base.join("a.wasm")));
        assert!(star.matches(&base.join("x.y.wasm")));
        assert!(!star.matches(&base.join("sub/a.wasm")));
        assert!(!star.matches(&base.join("a.wat")));
        assert!(!star.matches(&base.join("a.wasm.bak")));
        assert!(!star.matches(&dir.path().join("a.wasm")));
        assert!(!star.matches(&dir.path().join("plugins2/a.wasm")));
    }

    #[test]
    fn wildcards_do_not_match_a_leading_dot() {
        let dir = TempDir::new();
        let base = dir.dir("p");
        let star = pattern("p/*", dir.path());
        assert!(star.matches(&base.join("visible")));
        assert!(!star.matches(&base.join(".hidden")));
        let question = pattern("p/?x", dir.path());
        assert!(question.matches(&base.join("ax")));
        assert!(!question.matches(&base.join(".x")));
        let deep = pattern("p/**/*.wasm", dir.path());
        assert!(!deep.matches(&base.join(".git/x.wasm")));
        assert!(!deep.matches(&base.join("a/.hidden.wasm")));
    }

    #[test]
    fn double_star_matches_any_depth() {
        let dir = TempDir::new();
        let base = dir.dir("tools");
        let deep = pattern("tools/**/*.wasm", dir.path());
        assert!(deep.matches(&base.join("x.wasm")), "zero directories");
        assert!(deep.matches(&base.join("a/x.wasm")));
        assert!(deep.matches(&base.join("a/b/c/x.wasm")));
        assert!(!deep.matches(&base.join("a/b/c/x.wat")));
        assert!(!deep.matches(&dir.path().join("other/x.wasm")));
    }

    #[test]
    fn question_mark_and_classes_match_one_character() {
        let dir = TempDir::new();
        let base = dir.dir("p");
        let question = pattern("p/v?.wasm", dir.path());
        assert!(question.matches(&base.join("v1.wasm")));
        assert!(!question.matches(&base.join("v10.wasm")));
        assert!(!question.matches(&base.join("v.wasm")));
        let class = pattern("p/[ab].wasm", dir.path());
        assert!(class.matches(&base.join("a.wasm")));
        assert!(class.matches(&base.join("b.wasm")));
        assert!(!class.matches(&base.join("c.wasm")));
        let negated = pattern("p/[!a].wasm", dir.path());
        assert!(negated.matches(&base.join("c.wasm")));
        assert!(!negated.matches(&base.join("a.wasm")));
    }

    #[test]
    fn matching_is_case_sensitive() {
        let dir = TempDir::new();
        let base = dir.dir("p");
        let star = pattern("p/*.wasm", dir.path());
        assert!(!star.matches(&base.join("A.WASM")));
    }

    #[test]
    fn the_fixed_prefix_is_matched_literally() {
        // The real directory has glob characters in its name: they must not act as a pattern
        // (a directory called "b[a]se" would otherwise match "bas"... and vice versa).
        let dir = TempDir::new();
        let odd = dir.dir("b[a]se*?");
        let star = LoadPattern::resolve("*.wasm", &odd).unwrap();
        assert!(star.matches(&odd.join("x.wasm")));
        for lookalike in ["ba*?", "bas", "b[a]seXY", "b[a]se*?x"] {
            assert!(
                !star.matches(&dir.path().join(lookalike).join("x.wasm")),
                "{lookalike}"
            );
        }
    }

    #[test]
    fn a_plain_entry_in_a_directory_with_glob_characters_is_still_exact() {
        let dir = TempDir::new();
        let odd = dir.dir("my[app]");
        let file = dir.file("my[app]/x.wasm", b"");
        dir.file("mya/x.wasm", b"");
        let exact = LoadPattern::resolve("x.wasm", &odd).unwrap();
        assert!(exact.matches(&file));
        assert!(!exact.matches(&dir.path().join("mya/x.wasm")));
    }

    #[cfg(unix)]
    #[test]
    fn the_prefix_is_resolved_through_symlinks() {
        let dir = TempDir::new();
        let real = dir.dir("real");
        let link = dir.symlink(&real, "link");
        let star = pattern("link/*.wasm", dir.path());
        assert_eq!(star.shown(), format!("{}/*.wasm", real.display()));
        // Checks are made with real paths: the link's own path is not one.
        assert!(star.matches(&real.join("x.wasm")));
        assert!(!star.matches(&link.join("x.wasm")));
    }

    #[test]
    fn dot_dot_before_the_first_wildcard_is_resolved() {
        let dir = TempDir::new();
        dir.dir("a");
        let base = dir.dir("b");
        let star = pattern("a/../b/*.wasm", dir.path());
        assert_eq!(star.shown(), format!("{}/*.wasm", base.display()));
        assert!(star.matches(&base.join("x.wasm")));
    }

    #[test]
    fn dot_dot_after_a_wildcard_is_refused() {
        let dir = TempDir::new();
        dir.dir("plugins");
        let error = LoadPattern::resolve("plugins/*/../../secret.wasm", dir.path()).unwrap_err();
        assert_eq!(error, "`..` may not follow a wildcard");
    }

    #[test]
    fn an_invalid_glob_is_refused() {
        let dir = TempDir::new();
        let error = LoadPattern::resolve("[.wasm", dir.path()).unwrap_err();
        assert!(error.starts_with("invalid pattern: "), "{error}");
        let error = LoadPattern::resolve("a***b/x", dir.path()).unwrap_err();
        assert!(error.starts_with("invalid pattern: "), "{error}");
    }

    #[test]
    fn tilde_user_is_refused() {
        let error = LoadPattern::resolve("~someone/*.wasm", Path::new("/")).unwrap_err();
        assert!(error.contains("`~user`"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_real_path_that_is_not_utf8_matches_no_glob() {
        use std::os::unix::ffi::OsStrExt;
        let dir = TempDir::new();
        let star = pattern("*", dir.path());
        let name = std::ffi::OsStr::from_bytes(b"\xff.wasm");
        assert!(!star.matches(&dir.path().join(name)));
    }

    #[test]
    fn patterns_are_equal_when_they_resolve_alike() {
        let dir = TempDir::new();
        dir.dir("p");
        assert!(pattern("p/*.wasm", dir.path()) == pattern("./p/*.wasm", dir.path()));
        assert!(pattern("p/*.wasm", dir.path()) != pattern("p/*.wat", dir.path()));
        let absolute = format!("{}/p/*.wasm", dir.path().display());
        assert!(pattern(&absolute, Path::new("/elsewhere")) == pattern("p/*.wasm", dir.path()));
    }
}
