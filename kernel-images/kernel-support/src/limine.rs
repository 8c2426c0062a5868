// SPDX-License-Identifier: GPL-2.0-or-later
//! Limine boot protocol structures, written from the specification
//! (PROTOCOL.md): request = `u64 id[4]; u64 revision; response *; extras…`,
//! response = `u64 revision; …`. All little-endian, natural alignment.
//! Every request of the specification's feature list is here, so a kernel
//! declares its own request statics (in its `.requests` section, with
//! [`limine_requests!`](crate::limine_requests)) from these types and
//! constants.

use core::ptr;
use core::sync::atomic::AtomicU64;

/// First two words of every request id.
pub const COMMON_MAGIC: [u64; 2] = [0xc7b1dd30df4c8b88, 0x0a82e883a194f07b];

/// Builds a full request id from the feature's last two words.
pub const fn request_id(a: u64, b: u64) -> [u64; 4] {
    [COMMON_MAGIC[0], COMMON_MAGIC[1], a, b]
}

/// `.requests_start_marker` contents.
pub const REQUESTS_START_MARKER: [u64; 4] = [
    0xf6b8f4b39de7d1ae,
    0xfab91a6940fcb9cf,
    0x785c6ed015d3e316,
    0x181e920a7852b9d9,
];
/// `.requests_end_marker` contents.
pub const REQUESTS_END_MARKER: [u64; 2] = [0xadc0e0531bb10d03, 0x9572709f31764c62];

/// Base revision tag: `{magic0, magic1, N}`. The loader writes word 2 = 0 if
/// it supports N, and (revision >= 3 loaders) word 1 = the revision used.
pub const fn base_revision_tag(revision: u64) -> [u64; 3] {
    [0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, revision]
}
pub const BASE_REVISION_MAGIC1: u64 = 0x6a7b384944536bdc;

/// Declares a kernel's Limine requests where the loader's scan finds them:
/// `REQUESTS_START` in `.requests_start_marker`, then in `.requests` the
/// `BASE_REVISION` tag asking for the given revision and each
/// `NAME: Type = value;` as a `#[used] static mut` (attributes such as doc
/// comments written before a name go with it), in the order written, then
/// `REQUESTS_END` in `.requests_end_marker`.
///
/// ```ignore
/// kernel_support::limine_requests! {
///     base_revision: 3;
///     HHDM: Request<HhdmResponse> = Request::new(HHDM_ID, 0, ());
/// }
/// ```
///
/// It is a macro because the statics must be the kernel's own: a library's
/// would not sit between the kernel's markers. The request types name what
/// is in scope where it is used (kernels `use kernel_support::limine::*`).
#[macro_export]
macro_rules! limine_requests {
    (base_revision: $revision:expr; $($(#[$attr:meta])* $name:ident: $type:ty = $value:expr;)*) => {
        #[used]
        #[unsafe(link_section = ".requests_start_marker")]
        static mut REQUESTS_START: [u64; 4] = $crate::limine::REQUESTS_START_MARKER;

        #[used]
        #[unsafe(link_section = ".requests")]
        static mut BASE_REVISION: [u64; 3] = $crate::limine::base_revision_tag($revision);

        $(
            $(#[$attr])*
            #[used]
            #[unsafe(link_section = ".requests")]
            static mut $name: $type = $value;
        )*

        #[used]
        #[unsafe(link_section = ".requests_end_marker")]
        static mut REQUESTS_END: [u64; 2] = $crate::limine::REQUESTS_END_MARKER;
    };
}

/// A request with its extra fields `E` (use `()` for none) and response `R`.
#[repr(C)]
pub struct Request<R, E = ()> {
    pub id: [u64; 4],
    pub revision: u64,
    pub response: *const R,
    pub extra: E,
}

impl<R, E> Request<R, E> {
    pub const fn new(id: [u64; 4], revision: u64, extra: E) -> Self {
        Request {
            id,
            revision,
            response: ptr::null(),
            extra,
        }
    }
}

/// Reads a request's response pointer (volatile: the loader wrote it before
/// the kernel started, behind the compiler's back).
///
/// # Safety
/// `req` must point to a live request.
pub unsafe fn response<R, E>(req: *const Request<R, E>) -> Option<&'static R> {
    unsafe { ptr::read_volatile(&raw const (*req).response).as_ref() }
}

// Feature ids (last two words).
pub const BOOTLOADER_INFO_ID: [u64; 4] = request_id(0xf55038d8e2a1202f, 0x279426fcf5f59740);
pub const EXECUTABLE_CMDLINE_ID: [u64; 4] = request_id(0x4b161536e598651e, 0xb390ad4a2f1f303a);
pub const FIRMWARE_TYPE_ID: [u64; 4] = request_id(0x8c2f75d90bef28a8, 0x7045a4688eac00c3);
pub const STACK_SIZE_ID: [u64; 4] = request_id(0x224ef0460a8e8926, 0xe1cb0fc25f46ea3d);
pub const HHDM_ID: [u64; 4] = request_id(0x48dcf1cb8ad2b852, 0x63984e959a98244b);
pub const PAGING_MODE_ID: [u64; 4] = request_id(0x95c1a0edab0944cb, 0xa4e5cb3842f7488a);
pub const MEMMAP_ID: [u64; 4] = request_id(0x67cf3d9d378a806f, 0xe304acdfc50c3c62);
pub const EXECUTABLE_ADDRESS_ID: [u64; 4] = request_id(0x71ba76863cc55f63, 0xb2644a48c516a487);
pub const DATE_AT_BOOT_ID: [u64; 4] = request_id(0x502746e184c088aa, 0xfbc5ec83e6327893);

#[repr(C)]
pub struct BootloaderInfoResponse {
    pub revision: u64,
    pub name: *const u8,
    pub version: *const u8,
}

#[repr(C)]
pub struct ExecutableCmdlineResponse {
    pub revision: u64,
    pub cmdline: *const u8,
}

pub const FIRMWARE_X86_BIOS: u64 = 0;
pub const FIRMWARE_EFI32: u64 = 1;
pub const FIRMWARE_EFI64: u64 = 2;
pub const FIRMWARE_SBI: u64 = 3;

#[repr(C)]
pub struct FirmwareTypeResponse {
    pub revision: u64,
    pub firmware_type: u64,
}

#[repr(C)]
pub struct StackSizeRequestExtra {
    pub stack_size: u64,
}

#[repr(C)]
pub struct StackSizeResponse {
    pub revision: u64,
}

#[repr(C)]
pub struct HhdmResponse {
    pub revision: u64,
    pub offset: u64,
}

pub const PAGING_MODE_4LVL: u64 = 0;
pub const PAGING_MODE_5LVL: u64 = 1;

/// Paging mode request extras, request revision 1 (mode, max_mode, min_mode).
#[repr(C)]
pub struct PagingModeRequestExtra {
    pub mode: u64,
    pub max_mode: u64,
    pub min_mode: u64,
}

/// 4-level paging and nothing else: mode = max = min = 4-level.
pub const PAGING_4LVL_ONLY: PagingModeRequestExtra = PagingModeRequestExtra {
    mode: PAGING_MODE_4LVL,
    max_mode: PAGING_MODE_4LVL,
    min_mode: PAGING_MODE_4LVL,
};

#[repr(C)]
pub struct PagingModeResponse {
    pub revision: u64,
    pub mode: u64,
}

pub const MEMMAP_USABLE: u64 = 0;
pub const MEMMAP_RESERVED: u64 = 1;
pub const MEMMAP_ACPI_RECLAIMABLE: u64 = 2;
pub const MEMMAP_ACPI_NVS: u64 = 3;
pub const MEMMAP_BAD_MEMORY: u64 = 4;
pub const MEMMAP_BOOTLOADER_RECLAIMABLE: u64 = 5;
pub const MEMMAP_EXECUTABLE_AND_MODULES: u64 = 6;
pub const MEMMAP_FRAMEBUFFER: u64 = 7;
pub const MEMMAP_RESERVED_MAPPED: u64 = 8;

pub fn memmap_type_name(t: u64) -> &'static str {
    match t {
        MEMMAP_USABLE => "USABLE",
        MEMMAP_RESERVED => "RESERVED",
        MEMMAP_ACPI_RECLAIMABLE => "ACPI_RECLAIMABLE",
        MEMMAP_ACPI_NVS => "ACPI_NVS",
        MEMMAP_BAD_MEMORY => "BAD_MEMORY",
        MEMMAP_BOOTLOADER_RECLAIMABLE => "BOOTLOADER_RECLAIMABLE",
        MEMMAP_EXECUTABLE_AND_MODULES => "EXECUTABLE_AND_MODULES",
        MEMMAP_FRAMEBUFFER => "FRAMEBUFFER",
        MEMMAP_RESERVED_MAPPED => "RESERVED_MAPPED",
        _ => "UNKNOWN",
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MemmapEntry {
    pub base: u64,
    pub length: u64,
    pub entry_type: u64,
}

#[repr(C)]
pub struct MemmapResponse {
    pub revision: u64,
    pub entry_count: u64,
    pub entries: *const *const MemmapEntry,
}

impl MemmapResponse {
    /// Entry `i` (copied out with volatile reads).
    ///
    /// # Safety
    /// `i < entry_count` and the response must be valid.
    pub unsafe fn entry(&self, i: usize) -> MemmapEntry {
        unsafe {
            let p = ptr::read_volatile(self.entries.add(i));
            ptr::read_volatile(p)
        }
    }
}

#[repr(C)]
pub struct ExecutableAddressResponse {
    pub revision: u64,
    pub physical_base: u64,
    pub virtual_base: u64,
}

#[repr(C)]
pub struct DateAtBootResponse {
    pub revision: u64,
    pub timestamp: i64,
}

/// Bytes of a NUL-terminated string (at most `max` bytes).
///
/// # Safety
/// `p` must be null or point to readable memory up to the NUL or `max` bytes.
pub unsafe fn c_str(p: *const u8, max: usize) -> &'static [u8] {
    if p.is_null() {
        return &[];
    }
    let mut n = 0;
    unsafe {
        while n < max && ptr::read_volatile(p.add(n)) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(p, n)
    }
}

/// The executable cmdline the loader answered `req` with (at most 4096
/// bytes, the NUL not included); empty without a response.
///
/// # Safety
/// `req` must point to a live request.
pub unsafe fn executable_cmdline(req: *const Request<ExecutableCmdlineResponse>) -> &'static [u8] {
    match unsafe { response(req) } {
        Some(r) => unsafe { c_str(r.cmdline, 4096) },
        None => &[],
    }
}

// ---------------------------------------------------------------------------
// Framebuffer, MP, entry point, executable file, module, RSDP, SMBIOS, EFI
// system table, EFI memory map, DTB and bootloader performance.

pub const FRAMEBUFFER_ID: [u64; 4] = request_id(0x9d5827dcd881dd75, 0xa3148604f6fab11b);
pub const MP_ID: [u64; 4] = request_id(0x95a67b819a1b857e, 0xa0b61b723b6a73e0);
pub const ENTRY_POINT_ID: [u64; 4] = request_id(0x13d86c035a1cd3e1, 0x2b0caa89d8f3026a);
pub const EXECUTABLE_FILE_ID: [u64; 4] = request_id(0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69);
pub const MODULE_ID: [u64; 4] = request_id(0x3e7e279702be32af, 0xca1c4f3bd1280cee);
pub const RSDP_ID: [u64; 4] = request_id(0xc5e77b6b397e7b43, 0x27637845accdcf3c);
pub const SMBIOS_ID: [u64; 4] = request_id(0x9e9046f11e095391, 0xaa4a520fefbde5ee);
pub const EFI_SYSTEM_TABLE_ID: [u64; 4] = request_id(0x5ceba5163eaaf6d6, 0x0a6981610cf65fcc);
pub const EFI_MEMMAP_ID: [u64; 4] = request_id(0x7df62a431d6872d5, 0xa4fcdfb3e57306c8);
pub const DTB_ID: [u64; 4] = request_id(0xb40ddb48fb54bac7, 0x545081493f81ffb7);
pub const BOOTLOADER_PERFORMANCE_ID: [u64; 4] = request_id(0x6b50ad9bf36d13ad, 0xdc4c7e88fc759e17);

// --- Framebuffer -------------------------------------------------------------

pub const FRAMEBUFFER_RGB: u8 = 1;

#[repr(C)]
pub struct FramebufferResponse {
    pub revision: u64,
    pub framebuffer_count: u64,
    pub framebuffers: *const *const Framebuffer,
}

impl FramebufferResponse {
    /// Framebuffer `i`.
    ///
    /// # Safety
    /// `i < framebuffer_count` and the response must be valid.
    pub unsafe fn framebuffer(&self, i: usize) -> &'static Framebuffer {
        unsafe { &*ptr::read_volatile(self.framebuffers.add(i)) }
    }
}

/// `struct limine_framebuffer`; `mode_count`/`modes` exist only if the
/// response revision is >= 1.
#[repr(C)]
pub struct Framebuffer {
    pub address: *mut u8,
    pub width: u64,
    pub height: u64,
    pub pitch: u64,
    pub bpp: u16,
    pub memory_model: u8,
    pub red_mask_size: u8,
    pub red_mask_shift: u8,
    pub green_mask_size: u8,
    pub green_mask_shift: u8,
    pub blue_mask_size: u8,
    pub blue_mask_shift: u8,
    pub unused: [u8; 7],
    pub edid_size: u64,
    pub edid: *const u8,
    // Response revision 1:
    pub mode_count: u64,
    pub modes: *const *const VideoMode,
}

#[repr(C)]
pub struct VideoMode {
    pub pitch: u64,
    pub width: u64,
    pub height: u64,
    pub bpp: u16,
    pub memory_model: u8,
    pub red_mask_size: u8,
    pub red_mask_shift: u8,
    pub green_mask_size: u8,
    pub green_mask_shift: u8,
    pub blue_mask_size: u8,
    pub blue_mask_shift: u8,
}

// --- MP ----------------------------------------------------------------------

/// Request flag bit 0: enable x2APIC if possible.
pub const MP_X2APIC: u64 = 1;

#[repr(C)]
pub struct MpRequestExtra {
    pub flags: u64,
}

/// x86-64 MP response.
#[repr(C)]
pub struct MpResponse {
    pub revision: u64,
    pub flags: u32,
    pub bsp_lapic_id: u32,
    pub cpu_count: u64,
    pub cpus: *const *const MpInfo,
}

impl MpResponse {
    /// Pointer to CPU `i`'s info.
    ///
    /// # Safety
    /// `i < cpu_count` and the response must be valid.
    pub unsafe fn cpu(&self, i: usize) -> *const MpInfo {
        unsafe { ptr::read_volatile(self.cpus.add(i)) }
    }
}

/// x86-64 `struct limine_mp_info`. Writing `goto_address` (atomically) makes
/// a parked AP jump there with RDI = this struct and its own stack. Limine
/// keeps the AP's stack top in `reserved`.
#[repr(C)]
pub struct MpInfo {
    pub processor_id: u32,
    pub lapic_id: u32,
    pub reserved: u64,
    pub goto_address: AtomicU64,
    pub extra_argument: AtomicU64,
}

// --- Entry point -------------------------------------------------------------

#[repr(C)]
pub struct EntryPointRequestExtra {
    pub entry: extern "C" fn() -> !,
}

#[repr(C)]
pub struct EntryPointResponse {
    pub revision: u64,
}

// --- Files: executable file and modules -------------------------------------

#[repr(C)]
pub struct Uuid {
    pub a: u32,
    pub b: u16,
    pub c: u16,
    pub d: [u8; 8],
}

pub const MEDIA_TYPE_GENERIC: u32 = 0;
pub const MEDIA_TYPE_OPTICAL: u32 = 1;
pub const MEDIA_TYPE_TFTP: u32 = 2;

/// `struct limine_file`.
#[repr(C)]
pub struct File {
    pub revision: u64,
    pub address: *const u8,
    pub size: u64,
    pub path: *const u8,
    /// The file's string (was "cmdline").
    pub string: *const u8,
    pub media_type: u32,
    pub unused: u32,
    pub tftp_ip: u32,
    pub tftp_port: u32,
    pub partition_index: u32,
    pub mbr_disk_id: u32,
    pub gpt_disk_uuid: Uuid,
    pub gpt_part_uuid: Uuid,
    pub part_uuid: Uuid,
}

#[repr(C)]
pub struct ExecutableFileResponse {
    pub revision: u64,
    pub executable_file: *const File,
}

/// Internal module flag: the loader refuses to boot without it.
pub const INTERNAL_MODULE_REQUIRED: u64 = 1;
/// Internal module flag: GZ-compressed.
pub const INTERNAL_MODULE_COMPRESSED: u64 = 2;

#[repr(C)]
pub struct InternalModule {
    pub path: *const u8,
    pub string: *const u8,
    pub flags: u64,
}

/// Module request extras, request revision 1.
#[repr(C)]
pub struct ModuleRequestExtra {
    pub internal_module_count: u64,
    pub internal_modules: *const *const InternalModule,
}

#[repr(C)]
pub struct ModuleResponse {
    pub revision: u64,
    pub module_count: u64,
    pub modules: *const *const File,
}

impl ModuleResponse {
    /// Module `i`.
    ///
    /// # Safety
    /// `i < module_count` and the response must be valid.
    pub unsafe fn module(&self, i: usize) -> &'static File {
        unsafe { &*ptr::read_volatile(self.modules.add(i)) }
    }
}

// --- Firmware tables -----------------------------------------------------------

/// RSDP: physical address under base revision 3, HHDM address otherwise.
#[repr(C)]
pub struct RsdpResponse {
    pub revision: u64,
    pub address: u64,
}

/// SMBIOS entry points (0 if absent): physical under base revisions 3 and 4.
#[repr(C)]
pub struct SmbiosResponse {
    pub revision: u64,
    pub entry_32: u64,
    pub entry_64: u64,
}

#[repr(C)]
pub struct EfiSystemTableResponse {
    pub revision: u64,
    pub address: u64,
}

#[repr(C)]
pub struct EfiMemmapResponse {
    pub revision: u64,
    pub memmap: u64,
    pub memmap_size: u64,
    pub desc_size: u64,
    pub desc_version: u64,
}

#[repr(C)]
pub struct DtbResponse {
    pub revision: u64,
    pub dtb_ptr: u64,
}

/// Bootloader performance: microsecond timestamps.
#[repr(C)]
pub struct BootloaderPerformanceResponse {
    pub revision: u64,
    pub reset_usec: u64,
    pub init_usec: u64,
    pub exec_usec: u64,
}
