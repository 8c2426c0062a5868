// SPDX-License-Identifier: GPL-2.0-or-later
//! `acpi-x2apic`: a kernel written the way the Rust Limine tutorial's later
//! chapters use crates.io crates: `acpi` 5 (`AcpiTables::from_rsdp` with a
//! handler that maps physical addresses through the HHDM, `platform_info()`
//! for the MADT, `HpetInfo` for the HPET table), `x2apic` 0.5
//! (`LocalApicBuilder`: timer, error and spurious vectors, periodic mode,
//! divide 16, initial count 62500), the `x86_64` crate's IDT with
//! `extern "x86-interrupt"` handlers, `limine` 0.5, `uart_16550` 0.3,
//! `spin` and `talc` (the allocator `platform_info()` needs: 64 KiB of .bss).
//!
//! Base revision 4, so the HHDM covers the ACPI tables and the RSDP response
//! is an HHDM address. The crate picks x2APIC mode when CPUID.1:ECX[21] is
//! set, else xAPIC with the MADT's LAPIC address, which this kernel maps
//! uncached itself (the HHDM does not cover MMIO) with the x86_64 crate's
//! `OffsetPageTable` and page-table frames from .bss.
//!
//! Output (COM1, lines end in "\r\n"):
//!
//! ```text
//! acpi: revision 2, tables: FACP APIC HPET WAET
//! acpi: local APIC 0xfee00000, I/O APIC 0 at 0xfec00000 (GSI base 0), <n> CPUs
//! acpi: HPET at 0xfed00000, 3 comparators, 64-bit, legacy capable
//! x2apic: <x2APIC|xAPIC> mode, APIC ID 0, version 0x14
//! x2apic: <mode> timer interrupts: 100
//! x2apic: 100 interrupts in <t> TSC ticks
//! ```
//!
//! then exits 0x10 through isa-debug-exit. Any failure prints
//! `FAIL: <why>` (a panic `FAIL: panic ...`) and exits 0x11.
//!
//! Cmdline `xapic`: xAPIC mode is required. The crate has no switch to
//! force it (its `build()` takes x2APIC whenever CPUID offers it), so this
//! passes only on a machine whose CPUID hides x2APIC.

#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]

extern crate alloc;

use core::fmt::Write;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use acpi::{AcpiHandler, AcpiTables, HpetInfo, InterruptModel, PhysicalMapping};
use limine::BaseRevision;
use limine::request::{
    ExecutableAddressRequest, ExecutableCmdlineRequest, HhdmRequest, RequestsEndMarker, RequestsStartMarker,
    RsdpRequest,
};
use spin::Mutex;
use talc::{ClaimOnOom, Span, Talc, Talck};
use uart_16550::SerialPort;
use x2apic::lapic::{LocalApic, LocalApicBuilder, TimerDivide, TimerMode};
use x86_64::instructions::port::Port;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(4);

#[used]
#[unsafe(link_section = ".requests")]
static HHDM_REQUEST: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static RSDP_REQUEST: RsdpRequest = RsdpRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_ADDRESS_REQUEST: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static CMDLINE_REQUEST: ExecutableCmdlineRequest = ExecutableCmdlineRequest::new();

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static _START_MARKER: RequestsStartMarker = RequestsStartMarker::new();
#[used]
#[unsafe(link_section = ".requests_end_marker")]
static _END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

// --- serial ----------------------------------------------------------------

static SERIAL: Mutex<Option<SerialPort>> = Mutex::new(None);

#[doc(hidden)]
pub fn _print(args: core::fmt::Arguments) {
    if let Some(serial_port) = SERIAL.lock().as_mut() {
        serial_port.write_fmt(args).unwrap();
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::_print(format_args!($($arg)*))
    };
}

#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\r\n")
    };
    ($($arg:tt)*) => {
        $crate::print!("{}\r\n", format_args!($($arg)*))
    };
}

fn exit(code: u8) -> ! {
    unsafe { Port::<u8>::new(0xf4).write(code) };
    x86_64::instructions::interrupts::disable();
    loop {
        x86_64::instructions::hlt();
    }
}

fn fail(args: core::fmt::Arguments) -> ! {
    println!("FAIL: {}", args);
    exit(0x11)
}

// --- heap (acpi's platform_info allocates) ----------------------------------

static mut ARENA: [u8; 64 * 1024] = [0; 64 * 1024];

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ClaimOnOom> =
    Talc::new(unsafe { ClaimOnOom::new(Span::from_array(core::ptr::addr_of!(ARENA).cast_mut())) }).lock();

// --- ACPI handler: physical -> HHDM -----------------------------------------

#[derive(Clone, Copy)]
struct HhdmAcpiHandler {
    offset: u64,
}

impl AcpiHandler for HhdmAcpiHandler {
    unsafe fn map_physical_region<T>(&self, physical_address: usize, size: usize) -> PhysicalMapping<Self, T> {
        let virt = (self.offset + physical_address as u64) as *mut T;
        unsafe { PhysicalMapping::new(physical_address, NonNull::new(virt).unwrap(), size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

// --- IDT ----------------------------------------------------------------------

const SPURIOUS_VECTOR: usize = 0x20;
const TIMER_VECTOR: usize = 0x21;
const ERROR_VECTOR: usize = 0x22;

static TICKS: AtomicU64 = AtomicU64::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
static SPURIOUS: AtomicU64 = AtomicU64::new(0);
static mut LAPIC: Option<LocalApic> = None;

fn lapic() -> &'static mut LocalApic {
    // Only the BSP runs this kernel; handlers and main code never overlap
    // (interrupt gates keep IF clear in the handlers).
    unsafe { (*(&raw mut LAPIC)).as_mut().unwrap() }
}

static IDT: spin::Lazy<InterruptDescriptorTable> = spin::Lazy::new(|| {
    let mut idt = InterruptDescriptorTable::new();
    idt.breakpoint.set_handler_fn(breakpoint_handler);
    idt.general_protection_fault.set_handler_fn(gp_handler);
    idt.page_fault.set_handler_fn(page_fault_handler);
    idt.double_fault.set_handler_fn(double_fault_handler);
    idt[SPURIOUS_VECTOR as u8].set_handler_fn(spurious_handler);
    idt[TIMER_VECTOR as u8].set_handler_fn(timer_handler);
    idt[ERROR_VECTOR as u8].set_handler_fn(error_handler);
    idt
});

extern "x86-interrupt" fn breakpoint_handler(frame: InterruptStackFrame) {
    println!("EXCEPTION: BREAKPOINT\r\n{:#?}", frame);
}

extern "x86-interrupt" fn gp_handler(frame: InterruptStackFrame, error: u64) {
    fail(format_args!("#GP({:#x}) at {:#x}", error, frame.instruction_pointer.as_u64()));
}

extern "x86-interrupt" fn page_fault_handler(frame: InterruptStackFrame, error: PageFaultErrorCode) {
    fail(format_args!(
        "#PF {:?} at {:#x}, address {:?}",
        error,
        frame.instruction_pointer.as_u64(),
        x86_64::registers::control::Cr2::read()
    ));
}

extern "x86-interrupt" fn double_fault_handler(frame: InterruptStackFrame, _error: u64) -> ! {
    fail(format_args!("#DF at {:#x}", frame.instruction_pointer.as_u64()));
}

extern "x86-interrupt" fn timer_handler(_frame: InterruptStackFrame) {
    TICKS.fetch_add(1, Ordering::SeqCst);
    unsafe { lapic().end_of_interrupt() };
}

extern "x86-interrupt" fn error_handler(_frame: InterruptStackFrame) {
    ERRORS.fetch_add(1, Ordering::SeqCst);
    unsafe { lapic().end_of_interrupt() };
}

extern "x86-interrupt" fn spurious_handler(_frame: InterruptStackFrame) {
    SPURIOUS.fetch_add(1, Ordering::SeqCst);
}

// --- mapping the xAPIC window uncached ---------------------------------------

/// Page-table frames from .bss (their physical address from the executable
/// address response).
#[repr(C, align(4096))]
struct Frames([[u8; 4096]; 4]);
static mut FRAMES: Frames = Frames([[0; 4096]; 4]);

struct BssFrames {
    next: usize,
    kernel_phys: u64,
    kernel_virt: u64,
}

unsafe impl FrameAllocator<Size4KiB> for BssFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        if self.next == 4 {
            return None;
        }
        let virt = unsafe { (&raw mut FRAMES.0[self.next]) as u64 };
        self.next += 1;
        unsafe { core::ptr::write_bytes(virt as *mut u8, 0, 4096) };
        Some(PhysFrame::containing_address(PhysAddr::new(virt - self.kernel_virt + self.kernel_phys)))
    }
}

/// Where the xAPIC window is mapped: PML4 slot 384, outside the HHDM.
const MMIO_VIRT_BASE: u64 = 0xffff_c000_0000_0000;

fn map_uncached(hhdm: u64, phys: u64) -> u64 {
    let exec = EXECUTABLE_ADDRESS_REQUEST
        .get_response()
        .unwrap_or_else(|| fail(format_args!("no executable address response")));
    let mut frames = BssFrames {
        next: 0,
        kernel_phys: exec.physical_base(),
        kernel_virt: exec.virtual_base(),
    };
    let (l4_frame, _) = x86_64::registers::control::Cr3::read();
    let l4 = unsafe { &mut *((hhdm + l4_frame.start_address().as_u64()) as *mut PageTable) };
    let mut mapper = unsafe { OffsetPageTable::new(l4, VirtAddr::new(hhdm)) };
    let virt = MMIO_VIRT_BASE + phys;
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt));
    let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(phys));
    let flags = PageTableFlags::PRESENT
        | PageTableFlags::WRITABLE
        | PageTableFlags::NO_CACHE
        | PageTableFlags::WRITE_THROUGH
        | PageTableFlags::NO_EXECUTE;
    match unsafe { mapper.map_to(page, frame, flags, &mut frames) } {
        Ok(flush) => flush.flush(),
        Err(e) => fail(format_args!("mapping the local APIC at {:#x}: {:?}", phys, e)),
    }
    virt
}

// --- entry ----------------------------------------------------------------------

#[unsafe(no_mangle)]
unsafe extern "C" fn entry_point_from_limine() -> ! {
    let mut serial_port = unsafe { SerialPort::new(0x3F8) };
    serial_port.init();
    *SERIAL.lock() = Some(serial_port);

    if !BASE_REVISION.is_supported() {
        fail(format_args!("base revision 4 not supported"));
    }
    let hhdm = HHDM_REQUEST
        .get_response()
        .unwrap_or_else(|| fail(format_args!("no HHDM response")))
        .offset();
    let cmdline = CMDLINE_REQUEST
        .get_response()
        .map(|r| r.cmdline().to_bytes())
        .unwrap_or(b"");
    let want_xapic = cmdline.split(|&b| b == b' ').any(|w| w == b"xapic");

    // ACPI. Base revision 4: the RSDP response is an HHDM address.
    let rsdp_virt = RSDP_REQUEST
        .get_response()
        .unwrap_or_else(|| fail(format_args!("no RSDP response")))
        .address() as u64;
    let rsdp_phys = rsdp_virt.checked_sub(hhdm).unwrap_or(rsdp_virt);
    let handler = HhdmAcpiHandler { offset: hhdm };
    let tables = unsafe { AcpiTables::from_rsdp(handler, rsdp_phys as usize) }
        .unwrap_or_else(|e| fail(format_args!("AcpiTables::from_rsdp({:#x}): {:?}", rsdp_phys, e)));
    print!("acpi: revision {}, tables:", tables.revision());
    for header in tables.headers() {
        print!(" {}", header.signature);
    }
    println!();
    let platform = tables
        .platform_info()
        .unwrap_or_else(|e| fail(format_args!("platform_info: {:?}", e)));
    let InterruptModel::Apic(apic) = &platform.interrupt_model else {
        fail(format_args!("interrupt model is not APIC"));
    };
    let cpus = platform
        .processor_info
        .as_ref()
        .map_or(0, |p| 1 + p.application_processors.len());
    for io in apic.io_apics.iter() {
        println!(
            "acpi: local APIC {:#x}, I/O APIC {} at {:#x} (GSI base {}), {} CPUs",
            apic.local_apic_address, io.id, io.address, io.global_system_interrupt_base, cpus
        );
    }
    if apic.io_apics.is_empty() {
        fail(format_args!("no I/O APIC in the MADT"));
    }
    let hpet = HpetInfo::new(&tables).unwrap_or_else(|e| fail(format_args!("HpetInfo: {:?}", e)));
    println!(
        "acpi: HPET at {:#x}, {} comparators, 64-bit {}, legacy capable {}",
        hpet.base_address,
        hpet.num_comparators(),
        hpet.main_counter_is_64bits(),
        hpet.legacy_irq_capable()
    );

    // IDT, then the local APIC through the x2apic crate.
    IDT.load();
    let xapic_virt = map_uncached(hhdm, apic.local_apic_address);
    let built = LocalApicBuilder::new()
        .timer_vector(TIMER_VECTOR)
        .error_vector(ERROR_VECTOR)
        .spurious_vector(SPURIOUS_VECTOR)
        .timer_mode(TimerMode::Periodic)
        .timer_divide(TimerDivide::Div16)
        .timer_initial(62_500)
        .set_xapic_base(xapic_virt)
        .build()
        .unwrap_or_else(|e| fail(format_args!("LocalApicBuilder: {}", e)));
    let x2 = x86_64::registers::model_specific::Msr::new(0x1B);
    unsafe { LAPIC = Some(built) };
    unsafe { lapic().enable() };
    let apic_base = unsafe { x2.read() };
    let mode = if apic_base & (1 << 10) != 0 { "x2APIC" } else { "xAPIC" };
    let (id, version) = unsafe { (lapic().id(), lapic().version()) };
    println!(
        "x2apic: {} mode, APIC ID {}, version {:#x}, IA32_APIC_BASE {:#x}",
        mode,
        if mode == "xAPIC" { id >> 24 } else { id },
        version,
        apic_base
    );
    if want_xapic && mode != "xAPIC" {
        fail(format_args!(
            "cmdline xapic: CPUID.1:ECX[21] reports x2APIC and x2apic 0.5's LocalApicBuilder::build() then always picks x2APIC mode"
        ));
    }

    // Count 100 periodic timer interrupts, sleeping in hlt.
    let t0 = unsafe { core::arch::x86_64::_rdtsc() };
    while TICKS.load(Ordering::SeqCst) < 100 {
        x86_64::instructions::interrupts::enable_and_hlt();
        x86_64::instructions::interrupts::disable();
    }
    let t1 = unsafe { core::arch::x86_64::_rdtsc() };
    unsafe { lapic().disable_timer() };
    println!("x2apic: {} timer interrupts: {}", mode, TICKS.load(Ordering::SeqCst));
    println!("x2apic: 100 interrupts in {} TSC ticks", t1 - t0);
    let errors = ERRORS.load(Ordering::SeqCst);
    let spurious = SPURIOUS.load(Ordering::SeqCst);
    if errors != 0 || spurious != 0 {
        fail(format_args!("{} APIC error and {} spurious interrupts", errors, spurious));
    }
    exit(0x10)
}

#[panic_handler]
fn rust_panic(info: &core::panic::PanicInfo) -> ! {
    // The lock may be held by the code that panicked.
    unsafe { SERIAL.force_unlock() };
    println!("FAIL: panic {}", info);
    exit(0x11)
}
