//! Special files in preopened directories: a guest that opens a FIFO, a socket or a device
//! is refused (ENXIO). Opening a FIFO blocks the opening thread until a writer comes, and
//! reading one (or a terminal) blocks it until data does: a thread of the shared blocking
//! pool pinned past its call's end, and enough of them starve every other instance and
//! `compile()`. Regular files and directories, which the pool serves in bounded time, are
//! opened as wasmtime-wasi opens them.
//!
//! The check looks at what the path names just before the open. The guest cannot make a
//! special file (WASI has no mkfifo); only another process writing into the preopened
//! directory at that moment could swap one in.

use tokio::sync::Semaphore;
use wasmtime::{AsContextMut, Caller, Extern, Linker};
use wasmtime_wasi::p1::types::{Errno, Fd, Filetype, Lookupflags};
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as preview1, WasiSnapshotPreview1};
use wasmtime_wasi::p1::WasiP1Ctx;
use wiggle::{GuestMemory, GuestPtr};

const MODULE: &str = "wasi_snapshot_preview1";

/// Checks made at once, process-wide. Each takes a thread of the blocking pool for a moment:
/// many guests opening files at the same time share a few threads instead of each growing the
/// pool by one. (A check never blocks for long: it looks at a file, it does not open it.)
static CHECKS_AT_ONCE: Semaphore = Semaphore::const_new(4);

/// Parameters of `path_open`: dirfd, dirflags, path and its length, oflags, base and
/// inheriting rights, fdflags, and where to write the new descriptor.
type PathOpenParams = (i32, i32, i32, i32, i32, i64, i64, i32, i32);

/// Replaces WASI's `path_open` on `linker` (which has WASI preview 1 already) with one that
/// refuses special files.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    wasi: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap_async(
        MODULE,
        "path_open",
        move |mut caller: Caller<'_, T>, params: PathOpenParams| {
            Box::new(async move {
                // As wasmtime-wasi's own bindings do: the call's allowance of host copying,
                // and the guest's memory beside the WASI context.
                let fuel = caller.as_context_mut().hostcall_fuel();
                let export = caller.get_export("memory");
                let (mut memory, context) = match &export {
                    Some(Extern::Memory(memory)) => {
                        let (bytes, state) = memory.data_and_store_mut(&mut caller);
                        (GuestMemory::Unshared(bytes), wasi(state))
                    }
                    Some(Extern::SharedMemory(memory)) => {
                        (GuestMemory::Shared(memory.data()), wasi(caller.data_mut()))
                    }
                    _ => return Err(wasmtime::Error::msg("missing required memory export")),
                };
                context.set_hostcall_fuel(fuel);
                let memory = &mut memory;
                let (dirfd, dirflags, path, path_len, ..) = params;
                if names_special_file(context, memory, dirfd, dirflags, path, path_len).await {
                    return Ok(Errno::Nxio as i32);
                }
                let (dirfd, dirflags, path, path_len, oflags, base, inheriting, fdflags, opened) =
                    params;
                preview1::path_open(
                    context, memory, dirfd, dirflags, path, path_len, oflags, base, inheriting,
                    fdflags, opened,
                )
                .await
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Whether the path names (following symlinks as the open would) an existing file that is
/// neither a regular file, a directory nor a symlink.
async fn names_special_file(
    context: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    dirfd: i32,
    dirflags: i32,
    path: i32,
    path_len: i32,
) -> bool {
    let path = GuestPtr::<str>::new((path as u32, path_len as u32));
    let flags = Lookupflags::from_bits_truncate(dirflags as u32);
    // Never closed, so acquiring cannot fail; without a permit the check would still be right.
    let _permit = CHECKS_AT_ONCE.acquire().await;
    let Ok(stat) = context
        .path_filestat_get(memory, Fd::from(dirfd as u32), flags, path)
        .await
    else {
        return false; // missing, or not reachable: path_open says why
    };
    !matches!(
        stat.filetype,
        Filetype::RegularFile | Filetype::Directory | Filetype::SymbolicLink
    )
}

/// The WASI 0.2 interface whose `open-at` is replaced (components of any 0.2.x version reach
/// it: the linker matches compatible versions).
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replaces WASI 0.2's `[method]descriptor.open-at` on a component linker (which has WASI 0.2
/// already) with one that refuses special files, as `add_to_linker` does for preview 1.
pub fn add_to_component_linker<T: wasmtime_wasi::WasiView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi::p2::bindings::filesystem::types::{self as fs, Host as _, HostDescriptor};
    type OpenAtParams = (
        Resource<fs::Descriptor>,
        fs::PathFlags,
        String,
        fs::OpenFlags,
        fs::DescriptorFlags,
    );
    linker.allow_shadowing(true);
    linker.instance(FILESYSTEM_TYPES)?.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: wasmtime::StoreContextMut<'_, T>, params: OpenAtParams| {
            Box::new(async move {
                let (dir, path_flags, path, oflags, flags) = params;
                let mut view =
                    wasmtime_wasi::filesystem::WasiFilesystemView::filesystem(store.data_mut());
                let probe = Resource::<fs::Descriptor>::new_borrow(dir.rep());
                if names_special_file_p2(&mut view, probe, path_flags, path.clone()).await {
                    return Ok((Err(fs::ErrorCode::NoSuchDevice),));
                }
                match HostDescriptor::open_at(&mut view, dir, path_flags, path, oflags, flags).await
                {
                    Ok(opened) => Ok((Ok(opened),)),
                    Err(e) => Ok((Err(view.convert_error_code(e)?),)),
                }
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Whether the path names (following symlinks when the flags say so, as the open would) an
/// existing file that is neither a regular file, a directory nor a symlink.
async fn names_special_file_p2(
    view: &mut wasmtime_wasi::filesystem::WasiFilesystemCtxView<'_>,
    dir: wasmtime::component::Resource<wasmtime_wasi::p2::bindings::filesystem::types::Descriptor>,
    path_flags: wasmtime_wasi::p2::bindings::filesystem::types::PathFlags,
    path: String,
) -> bool {
    use wasmtime_wasi::p2::bindings::filesystem::types::{DescriptorType, HostDescriptor};
    let _permit = CHECKS_AT_ONCE.acquire().await;
    let Ok(stat) = HostDescriptor::stat_at(view, dir, path_flags, path).await else {
        return false; // missing, or not reachable: open-at says why
    };
    !matches!(
        stat.type_,
        DescriptorType::RegularFile | DescriptorType::Directory | DescriptorType::SymbolicLink
    )
}

/// The WASI 0.3 interface whose `open-at` is replaced.
const FILESYSTEM_TYPES_P3: &str = "wasi:filesystem/types@0.3.0";

/// Replaces WASI 0.3's `[method]descriptor.open-at` on a component linker (which has WASI 0.3
/// already) with one that refuses special files, as `add_to_component_linker` does for 0.2.
pub fn add_to_component_linker_p3<T: wasmtime_wasi::WasiView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime::component::{Accessor, Resource};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
    use wasmtime_wasi::p3::bindings::filesystem::types::{
        self as fs, DescriptorType, HostDescriptorWithStore,
    };
    type OpenAtParams = (
        Resource<fs::Descriptor>,
        fs::PathFlags,
        String,
        fs::OpenFlags,
        fs::DescriptorFlags,
    );
    linker.allow_shadowing(true);
    linker.instance(FILESYSTEM_TYPES_P3)?.func_wrap_concurrent(
        "[method]descriptor.open-at",
        |accessor: &Accessor<T>, params: OpenAtParams| {
            Box::pin(async move {
                let (dir, path_flags, path, oflags, flags) = params;
                let files: Accessor<T, WasiFilesystem> =
                    accessor.with_getter(|state: &mut T| state.filesystem());
                let probe = Resource::<fs::Descriptor>::new_borrow(dir.rep());
                let special = {
                    let _permit = CHECKS_AT_ONCE.acquire().await;
                    match WasiFilesystem::stat_at(&files, probe, path_flags, path.clone()).await {
                        Ok(stat) => !matches!(
                            stat.type_,
                            DescriptorType::RegularFile
                                | DescriptorType::Directory
                                | DescriptorType::SymbolicLink
                        ),
                        Err(_) => false, // missing, or not reachable: open-at says why
                    }
                };
                if special {
                    return Ok((Err(fs::ErrorCode::NoSuchDevice),));
                }
                match WasiFilesystem::open_at(&files, dir, path_flags, path, oflags, flags).await {
                    Ok(opened) => Ok((Ok(opened),)),
                    Err(e) => Ok((Err(e.downcast()?),)),
                }
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
