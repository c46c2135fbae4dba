//! `proc_exit` with any status. wasmtime-wasi turns a status of 126 or more into a plain
//! error ("exit with invalid exit status outside of [0..126)"), so a program that exits with
//! 200 would fail without an exit status; here every status is the program's exit status, as
//! a POSIX shell sees it (`err.exitCode`).

use wasmtime::{Caller, Linker};
use wasmtime_wasi::I32Exit;

/// Replaces WASI's `proc_exit` on `linker` (which has WASI preview 1 already).
pub fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "proc_exit",
        |_: Caller<'_, T>, status: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(I32Exit(status)))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
