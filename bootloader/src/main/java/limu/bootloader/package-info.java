// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * limu's Limine bootloader: pure Java, no engine. {@link limu.bootloader.LimineBoot#load} takes a kernel ELF, what
 * the machine offers ({@link limu.bootloader.BootOptions}), the boot volume ({@link limu.bootloader.BootVolume}) and
 * guest RAM ({@link limu.bootloader.PhysicalMemory}, laid out by {@link limu.bootloader.RamLayout}) and returns a
 * {@link limu.bootloader.BootPlan}: RAM then holds the kernel, its page tables, every response and the firmware's
 * ACPI and SMBIOS tables; the plan says how the bootstrap CPU starts, where the parked APs wait
 * ({@link limu.bootloader.ApStart}), where the framebuffer is ({@link limu.bootloader.FramebufferPlan}) and which
 * files were placed.
 * <p>
 * Request kinds are one class each ({@code *Request}, listed in {@code Requests}); placement of bootloader memory goes
 * through {@code PhysicalAllocator}, which also derives the memory map; what gets mapped per base revision is
 * {@code BootAddressSpace}; what the PC's firmware provides (ACPI tables, one class per table built with
 * {@code AcpiTable}; SMBIOS; the display) is {@code FirmwareTables}.
 */
package limu.bootloader;
