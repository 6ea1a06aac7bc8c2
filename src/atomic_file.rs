//! Writing a file atomically: the one mechanism behind every file fraudnet writes whole
//! (checkpoints, the rewritten metrics log, predictions, plots).
//!
//! The contents go to a hidden temporary file beside the target (`.{name}.XXXXXX{suffix}`, in
//! the same directory so the rename cannot cross filesystems), which is flushed to disk
//! (`sync_all`), renamed over the target (`tempfile`'s `persist`), and then the directory is
//! flushed where the platform allows it, so the rename itself survives a power cut. A crash
//! or an error at any point leaves either the previous file or the new one, never a torn one;
//! on an error the temporary file is removed.
//!
//! On Unix the temporary file is created `rw-r--r--` (0644 less the umask), the mode an
//! ordinary output gets from `File::create`, not the private `rw-------` of a temporary file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// A file being written: a temporary file beside `target` that [`AtomicFile::commit`] renames
/// over it. Dropped without `commit`, it removes the temporary file and leaves `target` as it
/// was.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the hidden temporary file `.{name}.XXXXXX{suffix}` in `target`'s directory
    /// (`name` being `target`'s file name). `suffix` is `.tmp` unless a writer chooses its
    /// format by the extension (a PNG encoder, say).
    ///
    /// # Errors
    /// [`Error::Io`] naming the directory if the file cannot be created there.
    pub fn create(target: &Path, suffix: &str) -> Result<Self> {
        let dir = directory_of(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(suffix);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, "cannot create a temporary file in this directory", e))?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// The temporary file's path (for writers that open the file themselves).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The file the contents go to.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file, to write the contents to.
    pub fn as_file(&self) -> &File {
        self.tmp.as_file()
    }

    /// The temporary file, to write the contents to.
    pub fn as_file_mut(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Flushes the contents to disk, renames the file over the target, then flushes the
    /// directory (where the platform and filesystem support it).
    ///
    /// # Errors
    /// [`Error::Io`] naming the target if the flush or the rename fails; the previous file, if
    /// any, is then left as it was and the temporary file is removed.
    pub fn commit(self) -> Result<()> {
        let Self { tmp, target } = self;
        tmp.as_file().sync_all().map_err(|e| {
            Error::io(
                &target,
                "cannot flush to disk (the previous file, if any, is left as it was)",
                e,
            )
        })?;
        tmp.persist(&target)
            .map_err(|e| Error::io(&target, "cannot move the new file into place", e.error))?;
        // Make the rename itself durable; not every filesystem (nor Windows) can sync a
        // directory, and the file is already in place, so a failure here is not an error.
        if let Ok(d) = File::open(directory_of(&target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The directory a file named `path` lies in (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` atomically (see the [module](self) documentation).
///
/// # Errors
/// [`Error::Io`] naming the directory or file that could not be written; the previous file,
/// if any, is left as it was.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write()`] with the writing of the temporary file's contents done by `write(file, bytes)`;
/// the flush to disk and the rename follow only if it succeeds. Tests pass a `write` that
/// fails part-way, which the operating system cannot be made to do on demand, to check that a
/// failed write leaves the previous file intact and no temporary file.
///
/// # Errors
/// [`Error::Io`] naming the directory or file that could not be written.
pub fn write_with(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
) -> Result<()> {
    let mut file = AtomicFile::create(path, ".tmp")?;
    // Errors name the target: the temporary file is removed when `file` is dropped.
    write(file.as_file_mut(), bytes).map_err(|e| {
        Error::io(
            path,
            "cannot write (the previous file, if any, is left as it was)",
            e,
        )
    })?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_file_replaces_the_target_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("scores.csv");
        std::fs::write(&target, b"old").unwrap();
        write(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(listing(dir.path()), ["scores.csv"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
            // 0644 less the umask: readable by its owner, never executable, never private
            // unless the umask says so.
            assert_eq!(mode & 0o700, 0o600, "mode {mode:o}");
            assert_eq!(mode & 0o133, 0, "mode {mode:o}");
        }
    }

    #[test]
    fn a_file_dropped_before_commit_leaves_the_target_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("training.png");
        std::fs::write(&target, b"good plot").unwrap();
        let mut file = AtomicFile::create(&target, ".png").unwrap();
        assert!(
            file.path()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(".training.png.")
        );
        file.as_file_mut().write_all(b"half a pl").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&target).unwrap(), b"good plot");
        assert_eq!(listing(dir.path()), ["training.png"]);
    }
}
