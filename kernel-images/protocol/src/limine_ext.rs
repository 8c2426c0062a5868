//! The Limine requests that hello's `limine.rs` does not define, written from
//! the specification (PROTOCOL.md): framebuffer, MP, entry point, executable
//! file, module, RSDP, SMBIOS, EFI system table, EFI memory map, DTB and
//! bootloader performance. Builds on `limine.rs` (`Request`, `request_id`).
//!
//! Shared (via `#[path]`) by the crate-free kernels protocol, framebuffer,
//! smp and modules.

#![allow(dead_code)]

use core::ptr;
use core::sync::atomic::AtomicU64;

use crate::limine::request_id;

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
