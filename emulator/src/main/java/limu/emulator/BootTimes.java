// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * Host time spent making a {@link Machine}, in nanoseconds: loading Unicorn and limu's shim (and
 * mapping guest RAM), reading the ELF into the bootloader's plan (requests, page tables, ACPI and
 * SMBIOS tables, memory map), and setting the machine up (board, devices, one engine per CPU,
 * entry state). The start-up phases {@code limu run --timings} prints.
 */
public record BootTimes(long unicornLoadNanos, long bootPlanNanos, long machineSetupNanos) {
}
